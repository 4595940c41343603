#include "monotube/rate_limit.hpp"

#include <algorithm>

#include <soci/soci.h>

#include "monotube/errors.hpp"

namespace monotube {

RateLimiter::RateLimiter(db::Database& database, const Clock& clock) : database_(database), clock_(clock) {}

std::int64_t RateLimiter::Hit(std::string_view bucket_view, const RateLimit& limit, const std::string& message) {
  std::string bucket(bucket_view);
  long long now = clock_.NowMs();
  long long window_start = now - std::chrono::duration_cast<std::chrono::milliseconds>(limit.window).count();
  struct Outcome {
    long long id = 0;
    int count = 0;
    long long oldest = 0;
  };
  Outcome outcome = database_.WithSession([&](soci::session& session) {
    Outcome result;
    session << "INSERT INTO rate_limit_hits (bucket, at_ms) VALUES (:bucket, :at_ms) RETURNING id",
        soci::use(bucket), soci::use(now), soci::into(result.id);
    session << "SELECT COUNT(*), MIN(at_ms) FROM rate_limit_hits WHERE bucket = :bucket AND at_ms > :start",
        soci::use(bucket), soci::use(window_start), soci::into(result.count), soci::into(result.oldest);
    return result;
  });
  if (outcome.count <= limit.limit) return outcome.id;

  Forget(outcome.id);
  long long window_ms = std::chrono::duration_cast<std::chrono::milliseconds>(limit.window).count();
  long long retry_ms = std::max<long long>(outcome.oldest + window_ms - now, 1000);
  throw RateLimited(message, (retry_ms + 999) / 1000);
}

void RateLimiter::Forget(std::int64_t hit_id) {
  long long id = hit_id;
  database_.WithSession(
      [&](soci::session& session) { session << "DELETE FROM rate_limit_hits WHERE id = :id", soci::use(id); });
}

int RateLimiter::Count(std::string_view bucket_view, std::chrono::seconds window) {
  std::string bucket(bucket_view);
  long long window_start = clock_.NowMs() - std::chrono::duration_cast<std::chrono::milliseconds>(window).count();
  return database_.WithSession([&](soci::session& session) {
    int count = 0;
    session << "SELECT COUNT(*) FROM rate_limit_hits WHERE bucket = :bucket AND at_ms > :start", soci::use(bucket),
        soci::use(window_start), soci::into(count);
    return count;
  });
}

std::int64_t RateLimiter::Prune(std::chrono::seconds max_window) {
  long long cutoff = clock_.NowMs() - std::chrono::duration_cast<std::chrono::milliseconds>(max_window).count();
  return database_.WithSession([&](soci::session& session) {
    soci::statement statement = (session.prepare << "DELETE FROM rate_limit_hits WHERE at_ms <= :cutoff",
                                 soci::use(cutoff));
    return static_cast<std::int64_t>(db::ExecuteAndCountRows(statement));
  });
}

}  // namespace monotube
