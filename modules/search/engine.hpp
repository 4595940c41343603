#pragma once
// Inside the search module: the Xapian index of one replica (its folder, the indexer
// thread that applies the change log, a pool of readers) and the suggestion table.
#include <condition_variable>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <thread>
#include <unordered_map>

#include <xapian.h>

#include "modules/search/search.hpp"

namespace monotube::search {

// A video as the index sees it: one row of videos joined with its owner.
struct IndexRow {
  std::int64_t id = 0;
  std::int64_t owner_id = 0;
  std::string title;
  std::string description;
  std::vector<std::string> tags;
  bool searchable = false;  // public, ready, owner not suspended
  std::int64_t published_ms = 0;
  std::int64_t duration_ms = 0;
  std::int64_t views = 0;
  std::string username;
  std::string display_name;
};

// The SQL side: indexable rows and the change log. Blocking; thread-safe.
class SearchRepository {
 public:
  explicit SearchRepository(db::Database& database) : database_(database) {}

  std::optional<IndexRow> LoadVideo(std::int64_t id);
  std::vector<std::int64_t> VideoIdsOfOwner(std::int64_t owner_id);
  // The lowest and highest video id (0, 0 without videos).
  std::pair<std::int64_t, std::int64_t> VideoIdRange();
  // The searchable videos with after < id <= upto, in id order.
  std::vector<IndexRow> SearchableBetween(std::int64_t after, std::int64_t upto);

  struct Change {
    std::int64_t seq = 0;
    std::optional<std::int64_t> video_id;
    std::optional<std::int64_t> owner_id;
  };
  std::vector<Change> ChangesAfter(std::int64_t seq, int limit);
  // The seq to start from after a full build that began now: everything older than
  // `settle` before now is in the build (a later commit of an older seq is re-read).
  std::int64_t SettledSeq(std::chrono::milliseconds settle);
  std::int64_t PrunedUpto();
  // Removes rows older than the retention (always keeping the newest row).
  void Prune(std::chrono::milliseconds retention);

  struct ViewCount {
    std::int64_t video_id;
    std::int64_t views;
  };
  std::vector<ViewCount> ViewsChangedSince(std::int64_t since_ms);

 private:
  db::Database& database_;
};

// spelling: also add the title's words to the database's spelling table (the
// generator's database).
Xapian::Document MakeDocument(const IndexRow& row, Xapian::TermGenerator& generator, bool spelling = true);
// "Music Video" -> "XTmusic video"
std::string TagTerm(std::string_view tag);

// Written into every index; an index of another format is rebuilt when opened (the
// documents of format 2 carry the bucket terms that filters and sorts rely on).
inline constexpr const char* kIndexFormat = "2";

// How searches run over an index (tests lower these to take the other paths).
struct SearchTuning {
  // Sorting by date or views reads the value of every match up to this many matches;
  // beyond it, it goes through the value's buckets from the top until the page is full.
  Xapian::doccount value_sort_scan_limit = 5000;
};

// One search over an open index. Throws InvalidInput for queries it cannot parse.
SearchResult SearchIndex(const Xapian::Database& database, const SearchQuery& query, const SearchTuning& tuning = {});

// Title and tag completions, most popular first. Sources are updated one video at a time
// by the indexer; lookups use an immutable sorted snapshot rebuilt from them when they
// changed (at most every few seconds, longer for very large tables). Thread-safe.
class Suggester {
 public:
  void Upsert(std::int64_t video_id, const std::string& title, const std::vector<std::string>& tags,
              std::int64_t views);
  void Remove(std::int64_t video_id);
  void SetViews(std::int64_t video_id, std::int64_t views);
  void Clear();
  // Rebuilds the snapshot if the sources changed since the last one (and, unless now,
  // enough time passed since the last rebuild: ten times what it took, at least 0.5 s).
  void RefreshIfChanged(bool now = false);
  std::vector<Suggestion> Lookup(std::string_view prefix, int limit) const;
  static std::string Normalize(std::string_view text);

  struct Source {
    std::string title;
    std::vector<std::string> tags;
    std::int64_t views = 0;
  };

 private:
  struct Snapshot;
  mutable std::mutex sources_mutex_;
  std::unordered_map<std::int64_t, Source> sources_;
  bool changed_ = false;
  std::chrono::steady_clock::time_point next_refresh_{};
  mutable std::mutex snapshot_mutex_;
  std::shared_ptr<Snapshot> snapshot_;
};

class SearchEngine {
 public:
  SearchEngine(db::Database& database, SearchOptions options);
  ~SearchEngine();

  void Start();
  void Stop();
  SearchResult Search(const SearchQuery& query);
  std::vector<Suggestion> Suggest(std::string_view prefix, int limit) const;
  std::int64_t Rebuild();
  std::int64_t applied_seq() const { return applied_seq_.load(); }

 private:
  struct Reader {
    std::filesystem::path dir;
    std::uint64_t generation = 0;
    Xapian::Database database;
  };
  std::unique_ptr<Reader> AcquireReader();
  void ReleaseReader(std::unique_ptr<Reader> reader);
  SearchResult RunSearch(Reader& reader, const SearchQuery& query);

  void Loop();
  // Opens (building first, if needed) the current index; false when not possible now.
  bool OpenCurrent();
  void ApplyChanges();
  void ApplyVideo(std::int64_t id);
  void ApplyOwner(std::int64_t owner_id);
  void RefreshViews();
  void Commit();
  void LoadSuggestions(Xapian::Database& database);

  db::Database& database_;
  SearchOptions options_;
  SearchRepository repository_;
  Suggester suggester_;

  // Indexer thread state.
  std::thread thread_;
  std::mutex wake_mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::unique_ptr<Xapian::WritableDatabase> writer_;  // null: another process writes this folder
  std::filesystem::path writer_dir_;
  std::unique_ptr<Xapian::TermGenerator> generator_;
  std::map<std::int64_t, bool> seen_above_;  // seqs applied past applied_seq_
  std::optional<std::chrono::steady_clock::time_point> gap_since_;
  std::chrono::steady_clock::time_point next_views_refresh_{};
  std::chrono::steady_clock::time_point next_prune_{};
  std::int64_t views_checked_ms_ = 0;
  bool dirty_ = false;
  std::atomic<std::int64_t> applied_seq_{0};
  SearchTuning tuning_;

  // Readers.
  mutable std::mutex readers_mutex_;
  std::vector<std::unique_ptr<Reader>> free_readers_;
  std::filesystem::path current_dir_;  // "" until an index is open
  std::atomic<std::uint64_t> generation_{1};
};

// The folder layout: dir/current is a symlink to dir/index-<stamp>.
std::filesystem::path CurrentIndexDir(const std::filesystem::path& dir);

}  // namespace monotube::search
