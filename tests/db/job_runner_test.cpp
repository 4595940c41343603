#include "monotube/jobs/job_runner.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <thread>

#include <catch2/catch.hpp>

#include "monotube/clock.hpp"
#include "monotube/jobs/job_queue.hpp"

#include "support/test_database.hpp"

using namespace monotube;
using namespace std::chrono_literals;
using jobs::JobContext;
using jobs::JobQueue;
using jobs::JobRunner;
using jobs::JobRunnerOptions;

namespace {

// Polls until the condition holds; false after the deadline. Never used as a delay.
bool Eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout = 30s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

// A one-shot signal between a test and a handler.
class Flag {
 public:
  void Set() {
    {
      std::lock_guard lock(mutex_);
      set_ = true;
    }
    changed_.notify_all();
  }
  bool IsSet() {
    std::lock_guard lock(mutex_);
    return set_;
  }
  bool WaitFor(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [this] { return set_; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool set_ = false;
};

struct RunnerFixture {
  test::TestDatabase test_database;
  ManualClock clock;
  db::Database& database = test_database.Migrated();
  JobQueue queue{database, clock};

  std::string State(std::int64_t id) { return queue.Get(id).value().state; }
};

JobRunnerOptions Options(std::chrono::milliseconds lease = 30s, std::chrono::milliseconds poll = 20ms) {
  JobRunnerOptions options;
  options.lease = lease;
  options.poll_interval = poll;
  options.worker_name = "test-runner";
  return options;
}

}  // namespace

TEST_CASE("JobRunner runs a registered job type, woken by the enqueue", "[jobs][runner]") {
  RunnerFixture f;
  // A poll interval far longer than the test: the job only runs in time if Enqueue wakes the runner.
  JobRunner runner(f.queue, Options(30s, 10min));
  std::mutex mutex;
  nlohmann::json seen_payload;
  std::string seen_worker;
  runner.Register("test.echo", [&](JobContext& context) {
    std::lock_guard lock(mutex);
    seen_payload = context.payload();
    seen_worker = context.worker_id();
  });
  runner.Start();
  std::int64_t id = f.queue.Enqueue("test.echo", {{"text", "hi"}});
  REQUIRE(Eventually([&] { return f.State(id) == "succeeded"; }));
  runner.Stop();
  std::lock_guard lock(mutex);
  CHECK(seen_payload == nlohmann::json{{"text", "hi"}});
  CHECK(seen_worker == "test-runner/1");
  CHECK(f.queue.Get(id)->attempts == 1);
}

TEST_CASE("JobRunner renews the lease while a long job runs", "[jobs][runner]") {
  RunnerFixture f;
  constexpr auto kLease = 300ms;
  JobRunner runner(f.queue, Options(kLease));
  Flag started;
  Flag release;
  runner.Register("test.long", [&](JobContext&) {
    started.Set();
    if (!release.WaitFor(60s)) throw std::runtime_error("the test never released the job");
  });
  runner.Start();
  std::int64_t id = f.queue.Enqueue("test.long", {});
  REQUIRE(started.WaitFor(30s));

  // Move the clock well past the original lease, in steps the runner's renewals keep up with.
  for (int step = 0; step < 6; ++step) {
    f.clock.Advance(200);
    REQUIRE(
        Eventually([&] { return f.queue.Get(id)->lease_expires_at_ms == f.clock.NowMs() + kLease.count(); }));
  }
  CHECK_FALSE(f.queue.Claim("intruder", 10s));  // the lease is alive: nobody else gets the job

  release.Set();
  REQUIRE(Eventually([&] { return f.State(id) == "succeeded"; }));
  CHECK(f.queue.Get(id)->attempts == 1);
  runner.Stop();
}

TEST_CASE("JobRunner retries a throwing handler, then fails the job with its message", "[jobs][runner]") {
  RunnerFixture f;
  JobRunner runner(f.queue, Options());
  std::atomic<int> calls{0};
  runner.Register("test.broken", [&](JobContext&) {
    ++calls;
    throw std::runtime_error("disk on fire");
  });
  runner.Start();
  std::int64_t id = f.queue.Enqueue("test.broken", {}, {.max_attempts = 2});
  REQUIRE(Eventually([&] {
    auto job = f.queue.Get(id);
    return job->state == "queued" && job->attempts == 1;
  }));
  CHECK(f.queue.Get(id)->last_error == "disk on fire");
  f.clock.Advance(JobQueue::RetryDelay(1).count());
  REQUIRE(Eventually([&] { return f.State(id) == "failed"; }));
  runner.Stop();
  auto job = f.queue.Get(id);
  CHECK(job->attempts == 2);
  CHECK(job->last_error == "disk on fire");
  CHECK(calls == 2);
}

TEST_CASE("JobRunner fails a job of a listed type that has no handler", "[jobs][runner]") {
  RunnerFixture f;
  JobRunnerOptions options = Options();
  options.types = {"test.known", "test.unknown"};
  JobRunner runner(f.queue, options);
  runner.Register("test.known", [](JobContext&) {});
  runner.Start();
  std::int64_t unknown = f.queue.Enqueue("test.unknown", {}, {.max_attempts = 1});
  std::int64_t elsewhere = f.queue.Enqueue("test.other_runner", {});
  REQUIRE(Eventually([&] { return f.State(unknown) == "failed"; }));
  runner.Stop();
  CHECK_THAT(f.queue.Get(unknown)->last_error.value(),
             Catch::Contains("no handler is registered for job type 'test.unknown'"));
  CHECK(f.State(elsewhere) == "queued");  // not a type this runner claims
}

TEST_CASE("JobRunner tells a running handler that its job was cancelled", "[jobs][runner]") {
  RunnerFixture f;
  JobRunner runner(f.queue, Options(300ms));
  Flag started;
  std::atomic<bool> saw_cancel{false};
  runner.Register("test.cancellable", [&](JobContext& context) {
    started.Set();
    while (context.WaitFor(10s)) {
    }
    saw_cancel = context.cancelled();
    throw std::runtime_error("cancelled");
  });
  runner.Start();
  std::int64_t id = f.queue.Enqueue("test.cancellable", {});
  REQUIRE(started.WaitFor(30s));
  REQUIRE(f.queue.Cancel(id));
  REQUIRE(Eventually([&] { return saw_cancel.load(); }));
  runner.Stop();
  CHECK(f.State(id) == "cancelled");
}

TEST_CASE("JobRunner.Stop cancels and waits for the running handler", "[jobs][runner]") {
  RunnerFixture f;
  JobRunner runner(f.queue, Options());
  Flag started;
  std::atomic<bool> finished{false};
  runner.Register("test.slow", [&](JobContext& context) {
    started.Set();
    context.WaitFor(60s);
    std::this_thread::sleep_for(200ms);  // cleanup work after being asked to stop
    finished = true;
    throw std::runtime_error("interrupted by shutdown");
  });
  runner.Start();
  std::int64_t id = f.queue.Enqueue("test.slow", {});
  REQUIRE(started.WaitFor(30s));
  runner.Stop();
  CHECK(finished);
  // Interrupted by the stop: back in the queue, the attempt not counted.
  auto job = f.queue.Get(id);
  CHECK(job->state == "queued");
  CHECK(job->attempts == 0);
  runner.Stop();  // idempotent
}

TEST_CASE("JobRunner with two workers runs two jobs at the same time", "[jobs][runner]") {
  RunnerFixture f;
  JobRunnerOptions options = Options();
  options.concurrency = 2;
  JobRunner runner(f.queue, options);
  std::atomic<int> inside{0};
  runner.Register("test.pair", [&](JobContext& context) {
    ++inside;
    // Each job waits for the other to start: this only finishes if both run at once.
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (inside.load() < 2 && std::chrono::steady_clock::now() < deadline) context.WaitFor(5ms);
    if (inside.load() < 2) throw std::runtime_error("the other job never started");
  });
  runner.Start();
  std::int64_t a = f.queue.Enqueue("test.pair", {});
  std::int64_t b = f.queue.Enqueue("test.pair", {});
  REQUIRE(Eventually([&] { return f.State(a) == "succeeded" && f.State(b) == "succeeded"; }));
  runner.Stop();
}

TEST_CASE("JobRunner without handlers stays idle instead of claiming other runners' jobs", "[jobs][runner]") {
  RunnerFixture f;
  std::int64_t id = f.queue.Enqueue("test.someone_elses", {});
  JobRunner runner(f.queue, Options());
  runner.Start();
  CHECK_THROWS_AS(runner.Register("test.late", [](JobContext&) {}), std::logic_error);
  runner.Stop();
  CHECK(f.State(id) == "queued");

  JobRunnerOptions disabled = Options();
  disabled.concurrency = 0;
  JobRunner none(f.queue, disabled);
  none.Register("test.someone_elses", [](JobContext&) {});
  none.Start();
  none.Stop();
  CHECK(f.State(id) == "queued");
}
