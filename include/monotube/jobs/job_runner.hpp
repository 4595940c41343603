#pragma once
// Runs jobs from a JobQueue on threads of its own: claims, calls the handler registered
// for the job's type, renews the lease while the handler runs (every lease/3), then
// completes or fails the job. Several runners can share a queue, each with its own types
// (e.g. the transcoding pool). Register before Start; Start and Stop from one thread.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "monotube/jobs/job_queue.hpp"

namespace monotube::jobs {

struct JobRunnerOptions {
  unsigned concurrency = 1;  // 0 = Start runs nothing
  std::chrono::milliseconds lease{30000};
  std::chrono::milliseconds poll_interval{500};
  std::string worker_name;  // "" = "<hostname>:<pid>:<random>"
  // The types this runner claims; empty = the types registered with Register (none: the
  // runner stays idle). A listed type without a handler is claimed and failed with a clear
  // message.
  std::vector<std::string> types;
};

// What a handler gets. Thread-safe.
class JobContext {
 public:
  JobContext(ClaimedJob job, std::string worker_id);
  JobContext(const JobContext&) = delete;
  JobContext& operator=(const JobContext&) = delete;

  std::int64_t id() const noexcept { return job_.id; }
  const std::string& type() const noexcept { return job_.type; }
  const nlohmann::json& payload() const noexcept { return job_.payload; }
  int attempt() const noexcept { return job_.attempt; }
  int max_attempts() const noexcept { return job_.max_attempts; }
  const std::string& worker_id() const noexcept { return worker_id_; }

  // True once the job was cancelled, its lease was lost, or the runner is stopping: the
  // handler should stop soon (returning or throwing).
  bool cancelled() const;
  // Waits up to `duration` unless cancelled first; returns !cancelled(). For handlers that
  // wait on something external, instead of sleeping.
  bool WaitFor(std::chrono::milliseconds duration) const;

  void Cancel();

 private:
  ClaimedJob job_;
  std::string worker_id_;
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  bool cancelled_ = false;
};

class JobRunner {
 public:
  using Handler = std::function<void(JobContext&)>;

  // The queue must outlive the runner.
  JobRunner(JobQueue& queue, JobRunnerOptions options);
  ~JobRunner();  // Stop()
  JobRunner(const JobRunner&) = delete;
  JobRunner& operator=(const JobRunner&) = delete;

  // Before Start only.
  void Register(std::string type, Handler handler);
  void Start();
  // Stops claiming, cancels running handlers (JobContext::cancelled) and waits for them.
  // A handler that returns normally completes its job; one that throws because of the
  // stop puts its job back in the queue without counting the attempt. Idempotent.
  void Stop();

  const std::string& worker_name() const noexcept { return options_.worker_name; }

 private:
  struct ActiveJob {
    std::shared_ptr<JobContext> context;
    std::chrono::steady_clock::time_point next_renewal;
  };

  void WorkLoop(std::string worker_id);
  void RunJob(const ClaimedJob& job, const std::string& worker_id);
  void RenewLoop();

  JobQueue& queue_;
  JobRunnerOptions options_;
  std::map<std::string, Handler> handlers_;
  std::vector<std::string> claim_types_;
  int listener_token_ = 0;

  std::mutex mutex_;
  std::condition_variable wake_;          // workers: stop or new work
  std::condition_variable renewer_wake_;  // renewer: stop or job set changed
  bool started_ = false;
  bool stopping_ = false;
  bool renewer_stopping_ = false;
  std::uint64_t enqueue_signals_ = 0;
  std::map<std::int64_t, ActiveJob> active_;
  std::vector<std::thread> workers_;
  std::thread renewer_;
};

}  // namespace monotube::jobs
