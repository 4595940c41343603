#pragma once
// The search module: a local Xapian index of the public, ready videos of owners in good
// standing, kept in step with the database through the change log (search_changes, written
// by triggers, see migrations/0006_search.*.sql), title/tag suggestions, and the search
// API. Every replica has an index of its own (search_dir) and an indexer thread that
// applies the log every poll_interval. Thread-safe once started.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "monotube/clock.hpp"
#include "monotube/db/database.hpp"
#include "monotube/http/router.hpp"

namespace monotube::auth {
class AuthModule;
}
namespace monotube::videos {
class VideosModule;
}

namespace monotube::search {

// Value slots of an index document (sortable_serialise'd numbers).
inline constexpr unsigned kSlotPublished = 0;  // ms since the epoch
inline constexpr unsigned kSlotDuration = 1;   // ms
inline constexpr unsigned kSlotViews = 2;

// Longest query text accepted (bytes); longer ones are refused with query_too_long.
inline constexpr std::size_t kMaxQueryBytes = 256;
inline constexpr int kMaxResultWindow = 1000;  // offset + limit at most this

enum class SortOrder { kRelevance, kDate, kViews };

struct SearchQuery {
  std::string text;               // user syntax: words, "phrases", -word, tag:name
  std::vector<std::string> tags;  // all of them (exact, case-insensitive)
  std::optional<std::int64_t> published_after_ms;   // exclusive
  std::optional<std::int64_t> published_before_ms;  // exclusive
  std::optional<std::int64_t> min_duration_ms;      // inclusive
  std::optional<std::int64_t> max_duration_ms;      // inclusive
  SortOrder sort = SortOrder::kRelevance;
  int offset = 0;
  int limit = 20;
};

// Text with the parts that matched the query marked.
struct Segment {
  std::string text;
  bool highlight = false;
};

struct SearchHit {
  std::int64_t video_id = 0;
  std::vector<Segment> title;
  std::vector<Segment> snippet;  // from the description; empty when it has no text
};

struct SearchResult {
  std::vector<SearchHit> hits;
  std::int64_t total_estimate = 0;
  std::string did_you_mean;  // "" when no correction applies
};

struct Suggestion {
  std::string text;
  std::string kind;  // "title" or "tag"
  std::int64_t score = 0;
};

struct SearchOptions {
  std::filesystem::path dir = "data/search";  // this replica's index folder
  std::chrono::milliseconds poll_interval{300};
  // A seq gap (a transaction that took a seq but has not committed, or rolled back) is
  // waited for this long before the indexer passes it.
  std::chrono::milliseconds gap_wait{5000};
  std::chrono::milliseconds views_refresh_interval{30000};
  std::chrono::hours change_retention{24};
};

// Parses the query-string parameters of GET /api/search/videos (query, tags,
// uploaded_after, uploaded_before, upload_date, min_duration, max_duration, duration,
// filter, sort, limit, page, cursor). Throws InvalidInput naming the parameter.
SearchQuery ParseSearchParameters(const std::function<std::optional<std::string>(std::string_view)>& param,
                                  std::int64_t now_ms);
// Throws InvalidInput unless the text is UTF-8 without control characters, at most max bytes.
void CheckQueryText(std::string_view text, std::string_view name, std::size_t max_bytes);

// Builds a complete index of the database into a new folder under dir and makes it the
// current one (an atomic symlink swap); an index serving from dir meanwhile keeps serving
// and switches over on its next poll. Blocking; returns the number of videos indexed.
std::int64_t RebuildIndex(db::Database& database, const std::filesystem::path& dir);

class SearchEngine;

class SearchModule {
 public:
  // The references must outlive the module.
  SearchModule(db::Database& database, const Clock& clock, videos::VideosModule& videos, auth::AuthModule& auth,
               SearchOptions options);
  ~SearchModule();

  void RegisterRoutes(http::Router& router, const std::function<void(std::string_view)>& add_page);
  // Starts the indexer thread (which builds the index first if there is none).
  void Start();
  void Stop();

  // Blocking. Throws Unavailable("search_unavailable") until the first index is ready.
  SearchResult Search(const SearchQuery& query);
  std::vector<Suggestion> Suggest(std::string_view prefix, int limit);
  // Blocking: RebuildIndex into this module's folder.
  std::int64_t Rebuild();
  // The highest change-log seq this replica's index has applied everything up to.
  std::int64_t applied_seq() const;

  videos::VideosModule& videos() noexcept { return videos_; }
  auth::AuthModule& auth() noexcept { return auth_; }
  const Clock& clock() const noexcept { return clock_; }

 private:
  db::Database& database_;
  const Clock& clock_;
  videos::VideosModule& videos_;
  auth::AuthModule& auth_;
  SearchOptions options_;
  std::unique_ptr<SearchEngine> engine_;
};

}  // namespace monotube::search
