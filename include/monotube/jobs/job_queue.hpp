#pragma once
// The job queue lives in the database, so every replica sees the same jobs. A worker
// claims a job with a lease that it renews while it works; a job whose worker died is
// claimed again once its lease expires. Failures retry with exponential backoff until
// max_attempts, then the job ends as `failed` with its last error kept.
// Thread-safe; every call blocks on the database (worker threads only).
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "monotube/clock.hpp"
#include "monotube/db/database.hpp"

namespace monotube::jobs {

// Job states as stored in jobs.state.
inline constexpr std::string_view kStateQueued = "queued";
inline constexpr std::string_view kStateRunning = "running";
inline constexpr std::string_view kStateSucceeded = "succeeded";
inline constexpr std::string_view kStateFailed = "failed";
inline constexpr std::string_view kStateCancelled = "cancelled";

struct EnqueueOptions {
  std::int64_t run_at_ms = 0;  // 0 = now
  int max_attempts = 5;
  int priority = 0;  // higher runs first
};

struct ClaimedJob {
  std::int64_t id;
  std::string type;
  nlohmann::json payload;
  int attempt;  // 1 for the first run
  int max_attempts;
  std::string worker_id;
  std::int64_t lease_expires_at_ms;
};

struct JobRecord {
  std::int64_t id;
  std::string type;
  nlohmann::json payload;
  std::string state;
  int priority;
  int attempts;
  int max_attempts;
  std::optional<std::string> last_error;
  std::int64_t run_at_ms;
  std::optional<std::string> lease_owner;
  std::optional<std::int64_t> lease_expires_at_ms;
  std::int64_t created_at_ms;
  std::int64_t updated_at_ms;
};

struct FailOutcome {
  enum class Result {
    kRetryScheduled,  // back to queued, runs again at retry_at_ms
    kFailed,          // attempts exhausted: the job is failed for good
    kNotOwner,        // the worker no longer held the job (cancelled, or its lease was lost)
  };
  Result result;
  std::int64_t retry_at_ms = 0;
};

class JobQueue {
 public:
  // Retry delay after attempt n: kBaseRetryDelay * 2^(n-1), at most kMaxRetryDelay.
  static constexpr std::chrono::milliseconds kBaseRetryDelay{10'000};
  static constexpr std::chrono::milliseconds kMaxRetryDelay{3'600'000};

  // Both must outlive the queue.
  JobQueue(db::Database& database, const Clock& clock);
  JobQueue(const JobQueue&) = delete;
  JobQueue& operator=(const JobQueue&) = delete;

  std::int64_t Enqueue(std::string type, nlohmann::json payload, EnqueueOptions options = {});

  // Takes the next runnable job: queued with run_at <= now, or running with an expired
  // lease (its worker died). Order: priority (high first), run_at, id. types empty = any.
  // A job whose lease expired on its last allowed attempt is marked failed instead.
  std::optional<ClaimedJob> Claim(std::string_view worker_id, std::chrono::milliseconds lease,
                                  const std::vector<std::string>& types = {});
  // Extends the lease; false if the worker no longer holds the job (cancelled or reclaimed).
  bool Renew(std::int64_t id, std::string_view worker_id, std::chrono::milliseconds lease);
  // Marks the job succeeded; false if the worker no longer holds it.
  bool Complete(std::int64_t id, std::string_view worker_id);
  FailOutcome Fail(std::int64_t id, std::string_view worker_id, std::string error);
  // Puts a running job back to queued without counting the attempt (a worker shutting
  // down); false if the worker no longer holds it.
  bool Release(std::int64_t id, std::string_view worker_id);
  // queued or running -> cancelled; a running worker learns it from Renew.
  bool Cancel(std::int64_t id);
  // failed or cancelled -> queued, runnable now, attempts reset.
  bool Retry(std::int64_t id);

  std::optional<JobRecord> Get(std::int64_t id);
  // Newest first; state "" = all; before_id 0 = from the newest (for paging).
  std::vector<JobRecord> List(std::string_view state, int limit, std::int64_t before_id = 0);
  // Every state, zeros included.
  std::map<std::string, std::int64_t> CountByState();

  // fn runs after each Enqueue by this process (runners use it to wake up early). It must be
  // quick and must not call back into the queue. Remove it before it becomes invalid.
  int AddEnqueueListener(std::function<void()> fn);
  void RemoveEnqueueListener(int token);

  static std::chrono::milliseconds RetryDelay(int attempts);

 private:
  db::Database& database_;
  const Clock& clock_;
  std::mutex listeners_mutex_;
  int next_listener_token_ = 1;
  std::map<int, std::function<void()>> listeners_;
};

}  // namespace monotube::jobs
