#pragma once
// Sliding-window rate limits kept in the database, so a limit holds across every replica
// sharing it. A limit is "at most `limit` hits of one bucket within `window`"; a bucket is
// any string naming who is limited for what ("login:account:42", "signup:ip:10.0.0.7").
// Thread-safe; every call blocks on the database (worker threads only).
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "monotube/clock.hpp"
#include "monotube/db/database.hpp"

namespace monotube {

struct RateLimit {
  int limit;                     // hits allowed within window
  std::chrono::seconds window;
};

class RateLimiter {
 public:
  // Both must outlive the limiter.
  RateLimiter(db::Database& database, const Clock& clock);

  // Records a hit and counts the window including it; when that makes more than
  // limit.limit hits, the hit is taken back and RateLimited is thrown with Retry-After
  // (message is shown to the client). Recording before counting keeps concurrent callers,
  // on any replica, from all slipping under the limit at once. Returns the hit's id, so
  // an attempt that turned out not to count (a successful log-in) can be taken back.
  std::int64_t Hit(std::string_view bucket, const RateLimit& limit, const std::string& message);

  // Forgets one hit returned by Hit.
  void Forget(std::int64_t hit_id);

  // Hits of bucket within window (for tests and diagnostics).
  int Count(std::string_view bucket, std::chrono::seconds window);

  // Deletes hits older than max_window; returns how many. Called now and then.
  std::int64_t Prune(std::chrono::seconds max_window);

 private:
  db::Database& database_;
  const Clock& clock_;
};

}  // namespace monotube
