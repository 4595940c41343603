#include "monotube/jobs/job_runner.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <stdexcept>

#include <spdlog/spdlog.h>

#include "monotube/ids.hpp"

namespace monotube::jobs {
namespace {

std::string DefaultWorkerName() {
  std::array<char, 256> host{};
  if (gethostname(host.data(), host.size() - 1) != 0) host[0] = '\0';
  std::string name = host[0] != '\0' ? std::string(host.data()) : std::string("worker");
  // The random part tells apart two processes with the same host name and pid, such as a
  // container restarted as pid 1.
  return name + ":" + std::to_string(getpid()) + ":" + RandomToken(3);
}

}  // namespace

JobContext::JobContext(ClaimedJob job, std::string worker_id)
    : job_(std::move(job)), worker_id_(std::move(worker_id)) {}

bool JobContext::cancelled() const {
  std::lock_guard lock(mutex_);
  return cancelled_;
}

bool JobContext::WaitFor(std::chrono::milliseconds duration) const {
  std::unique_lock lock(mutex_);
  return !changed_.wait_for(lock, duration, [this] { return cancelled_; });
}

void JobContext::Cancel() {
  {
    std::lock_guard lock(mutex_);
    cancelled_ = true;
  }
  changed_.notify_all();
}

JobRunner::JobRunner(JobQueue& queue, JobRunnerOptions options)
    : queue_(queue), options_(std::move(options)) {
  if (options_.lease < std::chrono::milliseconds(3))
    throw std::invalid_argument("JobRunner: the lease must be at least 3 ms");
  if (options_.poll_interval.count() <= 0)
    throw std::invalid_argument("JobRunner: the poll interval must be positive");
  if (options_.worker_name.empty()) options_.worker_name = DefaultWorkerName();
}

JobRunner::~JobRunner() { Stop(); }

void JobRunner::Register(std::string type, Handler handler) {
  if (type.empty()) throw std::invalid_argument("JobRunner: the job type must not be empty");
  if (!handler) throw std::invalid_argument("JobRunner: the handler for '" + type + "' is empty");
  std::lock_guard lock(mutex_);
  if (started_) throw std::logic_error("JobRunner: register handlers before Start");
  handlers_[std::move(type)] = std::move(handler);
}

void JobRunner::Start() {
  {
    std::lock_guard lock(mutex_);
    if (started_) throw std::logic_error("JobRunner: already started");
    if (options_.types.empty()) {
      for (const auto& [type, handler] : handlers_) claim_types_.push_back(type);
    } else {
      claim_types_ = options_.types;
    }
    started_ = true;
    // An empty type list means "any type" to JobQueue::Claim: a runner with nothing
    // registered must not steal jobs that another runner exists for, so it stays idle.
    if (claim_types_.empty() || options_.concurrency == 0) {
      spdlog::info("job runner {}: {}, so it runs nothing", options_.worker_name,
                   claim_types_.empty() ? "no job types are registered" : "concurrency is 0");
      return;
    }
    for (const std::string& type : claim_types_) {
      if (!handlers_.count(type))
        spdlog::warn("job runner {}: no handler for job type '{}'; such jobs will fail", options_.worker_name,
                     type);
    }
  }
  listener_token_ = queue_.AddEnqueueListener([this] {
    {
      std::lock_guard lock(mutex_);
      ++enqueue_signals_;
    }
    wake_.notify_all();
  });
  renewer_ = std::thread(&JobRunner::RenewLoop, this);
  for (unsigned i = 0; i < options_.concurrency; ++i)
    workers_.emplace_back(&JobRunner::WorkLoop, this, options_.worker_name + "/" + std::to_string(i + 1));
}

void JobRunner::Stop() {
  {
    std::lock_guard lock(mutex_);
    if (!started_ || stopping_) return;
    stopping_ = true;
    if (workers_.empty()) return;
    for (auto& [id, active] : active_) active.context->Cancel();
  }
  wake_.notify_all();
  queue_.RemoveEnqueueListener(listener_token_);
  for (std::thread& worker : workers_) worker.join();
  workers_.clear();
  {
    std::lock_guard lock(mutex_);
    renewer_stopping_ = true;
  }
  renewer_wake_.notify_all();
  renewer_.join();
}

void JobRunner::WorkLoop(std::string worker_id) {
  bool claim_failing = false;
  for (;;) {
    std::uint64_t signals_seen = 0;
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      signals_seen = enqueue_signals_;
    }
    std::optional<ClaimedJob> job;
    try {
      job = queue_.Claim(worker_id, options_.lease, claim_types_);
      if (claim_failing) spdlog::info("job runner {}: claiming jobs works again", worker_id);
      claim_failing = false;
    } catch (const std::exception& e) {
      if (!claim_failing)
        spdlog::warn("job runner {}: claiming a job failed (retrying every {} ms): {}", worker_id,
                     options_.poll_interval.count(), e.what());
      claim_failing = true;
    }
    if (job) {
      RunJob(*job, worker_id);
      continue;
    }
    std::unique_lock lock(mutex_);
    wake_.wait_for(lock, options_.poll_interval,
                   [&] { return stopping_ || (!claim_failing && enqueue_signals_ != signals_seen); });
  }
}

void JobRunner::RunJob(const ClaimedJob& job, const std::string& worker_id) {
  auto context = std::make_shared<JobContext>(job, worker_id);
  const auto renewal_interval = std::max(options_.lease / 3, std::chrono::milliseconds(1));
  bool stopping = false;
  {
    std::lock_guard lock(mutex_);
    stopping = stopping_;
    if (!stopping) active_[job.id] = ActiveJob{context, std::chrono::steady_clock::now() + renewal_interval};
  }
  if (stopping) {
    // Claimed while Stop was starting: hand it back untouched.
    try {
      queue_.Release(job.id, worker_id);
    } catch (const std::exception& e) {
      spdlog::warn(
          "job {} ({}): could not hand the job back while stopping; it runs again once its lease "
          "expires: {}",
          job.id, job.type, e.what());
    }
    return;
  }
  renewer_wake_.notify_all();

  std::optional<std::string> error;
  auto handler = handlers_.find(job.type);
  if (handler == handlers_.end()) {
    error = "no handler is registered for job type '" + job.type + "' in job runner " + options_.worker_name;
  } else {
    try {
      handler->second(*context);
    } catch (const std::exception& e) {
      error = *e.what() ? e.what() : "the handler threw an exception without a message";
    } catch (...) {
      error = "the handler threw something that is not a std::exception";
    }
  }
  {
    std::lock_guard lock(mutex_);
    active_.erase(job.id);
    stopping = stopping_;
  }

  try {
    if (!error) {
      if (!queue_.Complete(job.id, worker_id))
        spdlog::info("job {} ({}): the handler finished, but the job had been cancelled or reclaimed", job.id,
                     job.type);
    } else if (stopping && context->cancelled()) {
      queue_.Release(job.id, worker_id);
    } else if (queue_.Fail(job.id, worker_id, *error).result == FailOutcome::Result::kNotOwner) {
      spdlog::info("job {} ({}): the handler failed after the job had been cancelled or reclaimed: {}",
                   job.id, job.type, *error);
    }
  } catch (const std::exception& e) {
    spdlog::error("job {} ({}): recording the outcome failed; the job runs again once its lease expires: {}",
                  job.id, job.type, e.what());
  }
}

void JobRunner::RenewLoop() {
  const auto interval = std::max(options_.lease / 3, std::chrono::milliseconds(1));
  std::unique_lock lock(mutex_);
  while (!renewer_stopping_) {
    const auto now = std::chrono::steady_clock::now();
    auto next_wake = now + interval;
    std::vector<std::shared_ptr<JobContext>> due;
    for (auto& [id, active] : active_) {
      if (active.next_renewal <= now) {
        due.push_back(active.context);
        active.next_renewal = now + interval;
      }
      next_wake = std::min(next_wake, active.next_renewal);
    }
    if (due.empty()) {
      renewer_wake_.wait_until(lock, next_wake);
      continue;
    }
    lock.unlock();
    for (const auto& context : due) {
      try {
        if (!queue_.Renew(context->id(), context->worker_id(), options_.lease) && !context->cancelled()) {
          spdlog::info("job {} ({}) was cancelled or its lease was lost; asking its handler to stop",
                       context->id(), context->type());
          context->Cancel();
        }
      } catch (const std::exception& e) {
        spdlog::warn("job {} ({}): renewing the lease failed, retrying in {} ms: {}", context->id(),
                     context->type(), interval.count(), e.what());
      }
    }
    lock.lock();
  }
}

}  // namespace monotube::jobs
