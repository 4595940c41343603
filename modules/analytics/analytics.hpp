#pragma once
// The analytics module: roll-ups of the view log (view_events, written by interactions) and
// of interaction history (analytics_activity, written through the interactions module's
// activity hook in the same transaction as each change) per video, channel and site per
// hour and per day; the dashboards' API (/api/analytics/*); and trending, which also
// orders GET /api/videos?sort=trending. See migrations/0009_analytics.*.sql.
// Thread-safe once routes are registered.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "monotube/clock.hpp"
#include "monotube/db/database.hpp"
#include "monotube/http/router.hpp"
#include "modules/auth/auth.hpp"
#include "modules/interactions/interactions_module.hpp"
#include "modules/videos/videos_module.hpp"

namespace monotube::analytics {

inline constexpr std::int64_t kHourMs = 3'600'000;
inline constexpr std::int64_t kDayMs = 86'400'000;

// A range of whole buckets: [from_ms, to_ms), both multiples of span_ms (an hour or a day).
struct Range {
  std::int64_t from_ms = 0;
  std::int64_t to_ms = 0;
  std::int64_t span_ms = kDayMs;
};

// The range parameters of the dashboards: range=24h|7d|28d|90d|365d (default 28d, ending
// with the current bucket) or from+to (ms since the epoch or YYYY-MM-DD, to exclusive, at
// most 400 days), granularity=hour|day (default hour up to 48 h). Throws InvalidInput
// (invalid_range, invalid_granularity).
Range ParseRange(const std::function<std::optional<std::string>(std::string_view)>& param, std::int64_t now_ms);

struct RollupOptions {
  std::int64_t retention_days = 90;      // raw events older than this are pruned once rolled up
  std::int64_t chunk_events = 250'000;   // events per roll-up transaction
  std::chrono::milliseconds lease{10 * 60'000};
};

struct RollupResult {
  bool ran = false;          // false: another replica holds the roll-up lease
  bool complete = false;     // caught up with every event committed when the run began
  std::int64_t chunks = 0;
  std::int64_t view_events = 0;
  std::int64_t activity_events = 0;
  std::int64_t pruned = 0;   // raw events removed
};

// Test seams for a run: stop after some chunks; and a step observer, called inside each
// chunk's transaction after every step, that may throw to act as a crash.
struct RollupLimits {
  std::int64_t max_chunks = 0;  // 0 = all
  std::function<void(std::string_view step)> after_step;
};

// The roll-up. A run takes the lease (one runner across replicas), takes the ids of the
// events every writer has committed (the high-water mark), and rolls them up in chunks:
// each chunk, one transaction, lists the buckets its events touch (and, for heartbeats,
// the bucket of the view they belong to), recomputes those whole buckets from the raw events
// and replaces them, then advances the watermark. So a repeated or interrupted run gives the
// same rows, and an event committed after its bucket was rolled up re-rolls that bucket in
// the next run. Blocking; thread-safe.
class Rollup {
 public:
  Rollup(db::Database& database, const Clock& clock, RollupOptions options);
  RollupResult Run(const RollupLimits& limits = {});
  // Removes raw events older than the retention that are rolled up; their buckets are final.
  std::int64_t Prune();
  const RollupOptions& options() const noexcept { return options_; }
  // Goes up with every chunk this process commits (lets caches of derived data notice).
  std::int64_t generation() const noexcept { return generation_.load(); }

 private:
  bool TakeLease();
  void ReleaseLease();
  void RollChunk(soci::session& session, long long view_from, long long view_to, long long activity_from,
                 long long activity_to, const RollupLimits& limits);

  db::Database& database_;
  const Clock& clock_;
  RollupOptions options_;
  std::string owner_;  // this process's name in the lease
  std::atomic<std::int64_t> generation_{0};
};

struct TrendingEntry {
  std::int64_t video_id = 0;
  double score = 0;
  std::int64_t recent_views = 0;
};

struct AnalyticsOptions {
  RollupOptions rollup;
  // How long one replica reuses a trending list (clock time); the roll-up runs every
  // rollup_interval, so trending is fresh within the sum of both.
  std::int64_t trending_cache_ms = 20'000;
  std::int64_t trending_candidates = 1000;  // the longest trending list kept
};

class AnalyticsRoutes;

class AnalyticsModule {
 public:
  // The references must outlive the module. Registers the activity hook with interactions
  // and the trending order with videos.
  AnalyticsModule(db::Database& database, const Clock& clock, auth::AuthModule& auth, videos::VideosModule& videos,
                  interactions::InteractionsModule& interactions, AnalyticsOptions options);
  ~AnalyticsModule();

  void RegisterRoutes(http::Router& router, const std::function<void(std::string_view)>& add_page);

  // Blocking. The dashboards' answers (see the API contract in README.md).
  nlohmann::json VideoReport(const videos::Video& video, const Range& range);
  nlohmann::json ChannelReport(const auth::User& channel, const Range& range);
  nlohmann::json SiteReport(const Range& range);
  // Blocking. Public, ready, visible videos of owners in good standing, best first, with
  // views decaying by e every window (a view a window old weighs 1/e of a fresh one) and
  // none older than the window.
  std::vector<TrendingEntry> Trending(std::int64_t window_ms);

  Rollup& rollup() noexcept { return rollup_; }

 private:
  friend class AnalyticsRoutes;
  std::vector<TrendingEntry> ComputeTrending(std::int64_t window_ms);

  db::Database& database_;
  const Clock& clock_;
  auth::AuthModule& auth_;
  videos::VideosModule& videos_;
  AnalyticsOptions options_;
  Rollup rollup_;
  std::mutex trending_mutex_;
  struct CachedTrending {
    std::int64_t computed_at_ms = 0;
    std::int64_t generation = -1;
    std::vector<TrendingEntry> entries;
  };
  std::map<std::int64_t, CachedTrending> trending_cache_;
  std::shared_ptr<AnalyticsRoutes> routes_;
};

}  // namespace monotube::analytics
