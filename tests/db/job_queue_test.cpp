#include "monotube/jobs/job_queue.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <set>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "monotube/clock.hpp"
#include "monotube/db/database.hpp"

#include "support/test_database.hpp"

using namespace monotube;
using namespace std::chrono_literals;
using jobs::FailOutcome;
using jobs::JobQueue;

namespace {

struct QueueFixture {
  test::TestDatabase test_database;
  ManualClock clock;
  db::Database& database = test_database.Migrated();
  JobQueue queue{database, clock};

  jobs::JobRecord Job(std::int64_t id) {
    auto record = queue.Get(id);
    REQUIRE(record);
    return *record;
  }
};

}  // namespace

TEST_CASE("JobQueue enqueues, claims and completes a job", "[jobs]") {
  QueueFixture f;
  const std::int64_t enqueued_at = f.clock.NowMs();
  std::int64_t id = f.queue.Enqueue("test.echo", {{"text", "hello"}});

  jobs::JobRecord queued = f.Job(id);
  CHECK(queued.type == "test.echo");
  CHECK(queued.state == "queued");
  CHECK(queued.payload == nlohmann::json{{"text", "hello"}});
  CHECK(queued.attempts == 0);
  CHECK(queued.max_attempts == 5);
  CHECK(queued.run_at_ms == enqueued_at);
  CHECK(queued.created_at_ms == enqueued_at);
  CHECK_FALSE(queued.lease_owner);
  CHECK_FALSE(queued.last_error);

  f.clock.Advance(1000);
  auto claimed = f.queue.Claim("worker-1", 30s);
  REQUIRE(claimed);
  CHECK(claimed->id == id);
  CHECK(claimed->type == "test.echo");
  CHECK(claimed->payload["text"] == "hello");
  CHECK(claimed->attempt == 1);
  CHECK(claimed->worker_id == "worker-1");
  CHECK(claimed->lease_expires_at_ms == f.clock.NowMs() + 30'000);

  jobs::JobRecord running = f.Job(id);
  CHECK(running.state == "running");
  CHECK(running.lease_owner == "worker-1");
  CHECK(running.lease_expires_at_ms == f.clock.NowMs() + 30'000);
  CHECK(running.attempts == 1);
  CHECK(running.updated_at_ms == f.clock.NowMs());

  CHECK_FALSE(f.queue.Claim("worker-2", 30s));
  CHECK_FALSE(f.queue.Complete(id, "worker-2"));
  CHECK(f.queue.Complete(id, "worker-1"));
  jobs::JobRecord done = f.Job(id);
  CHECK(done.state == "succeeded");
  CHECK_FALSE(done.lease_owner);
  CHECK_FALSE(done.lease_expires_at_ms);
  CHECK_FALSE(f.queue.Complete(id, "worker-1"));
  CHECK_FALSE(f.queue.Claim("worker-1", 30s));
  CHECK_FALSE(f.queue.Get(id + 1000));
}

TEST_CASE("JobQueue claims by priority, then age, and never a job scheduled for later", "[jobs]") {
  QueueFixture f;
  std::int64_t old_job = f.queue.Enqueue("test.a", {});
  f.clock.Advance(1);
  std::int64_t newer_job = f.queue.Enqueue("test.a", {});
  std::int64_t urgent_job = f.queue.Enqueue("test.a", {}, {.priority = 5});
  std::int64_t later_job =
      f.queue.Enqueue("test.a", {}, {.run_at_ms = f.clock.NowMs() + 60'000, .priority = 10});

  CHECK(f.queue.Claim("w", 1h)->id == urgent_job);
  CHECK(f.queue.Claim("w", 1h)->id == old_job);
  CHECK(f.queue.Claim("w", 1h)->id == newer_job);
  CHECK_FALSE(f.queue.Claim("w", 1h));
  f.clock.Advance(59'999);
  CHECK_FALSE(f.queue.Claim("w", 1h));
  f.clock.Advance(1);
  CHECK(f.queue.Claim("w", 1h)->id == later_job);
}

TEST_CASE("JobQueue claims only the requested types", "[jobs]") {
  QueueFixture f;
  std::int64_t x = f.queue.Enqueue("test.x", {});
  std::int64_t y = f.queue.Enqueue("test.y", {});
  CHECK_FALSE(f.queue.Claim("w", 30s, {"test.z"}));
  CHECK(f.queue.Claim("w", 30s, {"test.z", "test.y"})->id == y);
  CHECK(f.queue.Claim("w", 30s)->id == x);  // no types: any
}

TEST_CASE("JobQueue renews a lease only for the worker holding it", "[jobs]") {
  QueueFixture f;
  std::int64_t id = f.queue.Enqueue("test.long", {});
  REQUIRE(f.queue.Claim("worker-1", 30s));
  f.clock.Advance(20'000);
  CHECK(f.queue.Renew(id, "worker-1", 30s));
  CHECK(f.Job(id).lease_expires_at_ms == f.clock.NowMs() + 30'000);
  CHECK_FALSE(f.queue.Renew(id, "worker-2", 30s));
  f.clock.Advance(25'000);  // past the first lease, inside the renewed one
  CHECK_FALSE(f.queue.Claim("worker-2", 30s));
  CHECK(f.Job(id).lease_owner == "worker-1");
}

TEST_CASE("JobQueue claims a job again after its worker's lease expires", "[jobs]") {
  QueueFixture f;
  std::int64_t id = f.queue.Enqueue("test.crashy", {});
  REQUIRE(f.queue.Claim("worker-1", 10s));
  f.clock.Advance(9'999);
  CHECK_FALSE(f.queue.Claim("worker-2", 10s));
  f.clock.Advance(1);
  auto reclaimed = f.queue.Claim("worker-2", 10s);
  REQUIRE(reclaimed);
  CHECK(reclaimed->id == id);
  CHECK(reclaimed->attempt == 2);
  // The first worker lost the job for good.
  CHECK_FALSE(f.queue.Renew(id, "worker-1", 10s));
  CHECK_FALSE(f.queue.Complete(id, "worker-1"));
  CHECK(f.queue.Fail(id, "worker-1", "late").result == FailOutcome::Result::kNotOwner);
  CHECK(f.queue.Complete(id, "worker-2"));
  CHECK(f.Job(id).state == "succeeded");
}

TEST_CASE("JobQueue retries with exponential backoff, then fails the job keeping its error", "[jobs]") {
  QueueFixture f;
  CHECK(JobQueue::RetryDelay(1) == 10s);
  CHECK(JobQueue::RetryDelay(2) == 20s);
  CHECK(JobQueue::RetryDelay(3) == 40s);
  CHECK(JobQueue::RetryDelay(9) == 2560s);
  CHECK(JobQueue::RetryDelay(10) == 1h);
  CHECK(JobQueue::RetryDelay(1000) == 1h);

  std::int64_t id = f.queue.Enqueue("test.flaky", {}, {.max_attempts = 3});
  REQUIRE(f.queue.Claim("w", 30s));
  FailOutcome first = f.queue.Fail(id, "w", "boom 1");
  CHECK(first.result == FailOutcome::Result::kRetryScheduled);
  CHECK(first.retry_at_ms == f.clock.NowMs() + 10'000);
  jobs::JobRecord waiting = f.Job(id);
  CHECK(waiting.state == "queued");
  CHECK(waiting.attempts == 1);
  CHECK(waiting.last_error == "boom 1");
  CHECK(waiting.run_at_ms == first.retry_at_ms);
  CHECK_FALSE(waiting.lease_owner);

  CHECK_FALSE(f.queue.Claim("w", 30s));
  f.clock.Advance(10'000);
  REQUIRE(f.queue.Claim("w", 30s)->attempt == 2);
  FailOutcome second = f.queue.Fail(id, "w", "boom 2");
  CHECK(second.result == FailOutcome::Result::kRetryScheduled);
  CHECK(second.retry_at_ms == f.clock.NowMs() + 20'000);
  f.clock.Advance(20'000);
  REQUIRE(f.queue.Claim("w", 30s)->attempt == 3);
  CHECK(f.queue.Fail(id, "w", "boom 3").result == FailOutcome::Result::kFailed);

  jobs::JobRecord failed = f.Job(id);
  CHECK(failed.state == "failed");
  CHECK(failed.attempts == 3);
  CHECK(failed.last_error == "boom 3");
  f.clock.Advance(24 * 3'600'000LL);
  CHECK_FALSE(f.queue.Claim("w", 30s));
}

TEST_CASE("JobQueue fails a job whose worker dies on its last allowed attempt", "[jobs]") {
  QueueFixture f;
  std::int64_t id = f.queue.Enqueue("test.killer", {}, {.max_attempts = 2});
  REQUIRE(f.queue.Claim("worker-1", 10s));
  f.clock.Advance(10'000);
  REQUIRE(f.queue.Claim("worker-2", 10s)->attempt == 2);
  f.clock.Advance(10'000);
  CHECK_FALSE(f.queue.Claim("worker-3", 10s));
  jobs::JobRecord failed = f.Job(id);
  CHECK(failed.state == "failed");
  REQUIRE(failed.last_error);
  CHECK_THAT(*failed.last_error,
             Catch::Contains("worker-2") && Catch::Contains("stopped renewing its lease"));
}

TEST_CASE("JobQueue cancels queued and running jobs, and the running worker learns it on renew", "[jobs]") {
  QueueFixture f;
  std::int64_t queued = f.queue.Enqueue("test.a", {});
  CHECK(f.queue.Cancel(queued));
  CHECK(f.Job(queued).state == "cancelled");
  CHECK_FALSE(f.queue.Claim("w", 30s));

  std::int64_t running = f.queue.Enqueue("test.a", {});
  REQUIRE(f.queue.Claim("w", 30s));
  CHECK(f.queue.Cancel(running));
  CHECK_FALSE(f.queue.Renew(running, "w", 30s));
  CHECK_FALSE(f.queue.Complete(running, "w"));
  CHECK(f.queue.Fail(running, "w", "gave up").result == FailOutcome::Result::kNotOwner);
  CHECK(f.Job(running).state == "cancelled");
  CHECK_FALSE(f.queue.Cancel(running));

  std::int64_t done = f.queue.Enqueue("test.a", {});
  REQUIRE(f.queue.Claim("w", 30s));
  REQUIRE(f.queue.Complete(done, "w"));
  CHECK_FALSE(f.queue.Cancel(done));
  CHECK_FALSE(f.queue.Cancel(done + 1000));
}

TEST_CASE("JobQueue retry puts failed and cancelled jobs back with attempts reset", "[jobs]") {
  QueueFixture f;
  std::int64_t id = f.queue.Enqueue("test.once", {}, {.max_attempts = 1});
  REQUIRE(f.queue.Claim("w", 30s));
  REQUIRE(f.queue.Fail(id, "w", "broken").result == FailOutcome::Result::kFailed);
  f.clock.Advance(5'000);
  CHECK(f.queue.Retry(id));
  jobs::JobRecord retried = f.Job(id);
  CHECK(retried.state == "queued");
  CHECK(retried.attempts == 0);
  CHECK(retried.run_at_ms == f.clock.NowMs());
  auto claimed = f.queue.Claim("w", 30s);
  REQUIRE(claimed);
  CHECK(claimed->attempt == 1);
  CHECK_FALSE(f.queue.Retry(id));  // running

  REQUIRE(f.queue.Cancel(id));
  CHECK(f.queue.Retry(id));
  CHECK(f.Job(id).state == "queued");
  CHECK_FALSE(f.queue.Retry(id + 1000));
}

TEST_CASE("JobQueue release hands a job back without counting the attempt", "[jobs]") {
  QueueFixture f;
  std::int64_t id = f.queue.Enqueue("test.a", {});
  REQUIRE(f.queue.Claim("w", 30s));
  CHECK_FALSE(f.queue.Release(id, "other"));
  CHECK(f.queue.Release(id, "w"));
  jobs::JobRecord released = f.Job(id);
  CHECK(released.state == "queued");
  CHECK(released.attempts == 0);
  CHECK(f.queue.Claim("w", 30s)->attempt == 1);
}

TEST_CASE("JobQueue counts jobs by state, zeros included, and lists the newest first", "[jobs]") {
  QueueFixture f;
  auto empty = f.queue.CountByState();
  CHECK(empty == std::map<std::string, std::int64_t>{
                     {"queued", 0}, {"running", 0}, {"succeeded", 0}, {"failed", 0}, {"cancelled", 0}});

  std::int64_t a = f.queue.Enqueue("test.a", {});
  std::int64_t b = f.queue.Enqueue("test.a", {});
  std::int64_t c = f.queue.Enqueue("test.a", {});
  std::int64_t d = f.queue.Enqueue("test.a", {});
  REQUIRE(f.queue.Claim("w", 30s)->id == a);
  REQUIRE(f.queue.Complete(a, "w"));
  REQUIRE(f.queue.Claim("w", 30s)->id == b);
  REQUIRE(f.queue.Cancel(c));
  auto counts = f.queue.CountByState();
  CHECK(counts == std::map<std::string, std::int64_t>{
                      {"queued", 1}, {"running", 1}, {"succeeded", 1}, {"failed", 0}, {"cancelled", 1}});

  auto all = f.queue.List("", 10);
  REQUIRE(all.size() == 4);
  CHECK(all[0].id == d);
  CHECK(all[3].id == a);
  auto page = f.queue.List("", 2, all[1].id);
  REQUIRE(page.size() == 2);
  CHECK(page[0].id == b);
  auto cancelled = f.queue.List("cancelled", 10);
  REQUIRE(cancelled.size() == 1);
  CHECK(cancelled[0].id == c);
}

TEST_CASE("Concurrent claimers never claim the same job twice", "[jobs][concurrency]") {
  QueueFixture f;
  constexpr int kJobs = 200;
  constexpr int kWorkers = 4;
  for (int i = 0; i < kJobs; ++i) f.queue.Enqueue("test.parallel", {{"n", i}});

  std::atomic<int> completed{0};
  std::vector<std::future<std::vector<std::int64_t>>> workers;
  for (int w = 0; w < kWorkers; ++w) {
    workers.push_back(std::async(std::launch::async, [&f, &completed, w] {
      std::vector<std::int64_t> mine;
      const std::string worker_id = "worker-" + std::to_string(w);
      const auto deadline = std::chrono::steady_clock::now() + 120s;
      while (completed.load() < kJobs && std::chrono::steady_clock::now() < deadline) {
        // PostgreSQL's SKIP LOCKED may answer "nothing" while another claimer holds the
        // candidate row, so an empty answer is only final once every job is done.
        auto job = f.queue.Claim(worker_id, 10min);
        if (!job) {
          std::this_thread::yield();
          continue;
        }
        mine.push_back(job->id);
        if (f.queue.Complete(job->id, worker_id)) ++completed;
      }
      return mine;
    }));
  }
  std::vector<std::int64_t> all;
  for (auto& worker : workers) {
    auto mine = worker.get();
    all.insert(all.end(), mine.begin(), mine.end());
  }
  std::set<std::int64_t> distinct(all.begin(), all.end());
  CHECK(all.size() == static_cast<std::size_t>(kJobs));
  CHECK(distinct.size() == static_cast<std::size_t>(kJobs));
  CHECK(f.queue.CountByState()["succeeded"] == kJobs);
}

TEST_CASE("A worker process that dies mid-job is replaced once its lease expires", "[jobs][process]") {
  test::TestDatabase test_database;
  ManualClock clock;
  // Fork before this process opens any connection: SQLite connections must not cross a
  // fork, and the child opens its own anyway. The pipe tells the child which job to take.
  int go[2];
  REQUIRE(pipe(go) == 0);
  pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    close(go[1]);
    std::int64_t expected = 0;
    int code = 0;
    if (read(go[0], &expected, sizeof expected) != static_cast<ssize_t>(sizeof expected)) _exit(5);
    try {
      db::Database own(test_database.options());
      JobQueue queue(own, clock);
      auto job = queue.Claim("child-worker", 30s);
      if (!job || job->id != expected) code = 2;
    } catch (...) {
      code = 3;
    }
    if (code != 0) _exit(code);
    raise(SIGKILL);  // dies holding the job, like a crash or the OOM killer
    _exit(4);
  }
  close(go[0]);
  db::Database& database = test_database.Migrated();
  JobQueue queue(database, clock);
  std::int64_t id = queue.Enqueue("test.crash", {{"step", 1}}, {.max_attempts = 3});
  REQUIRE(write(go[1], &id, sizeof id) == static_cast<ssize_t>(sizeof id));
  close(go[1]);
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  INFO("child status " << status);
  REQUIRE(WIFSIGNALED(status));
  REQUIRE(WTERMSIG(status) == SIGKILL);

  auto orphaned = queue.Get(id);
  REQUIRE(orphaned);
  CHECK(orphaned->state == "running");
  CHECK(orphaned->lease_owner == "child-worker");
  CHECK(orphaned->attempts == 1);

  CHECK_FALSE(queue.Claim("parent-worker", 30s));
  clock.Advance(30'000);
  auto reclaimed = queue.Claim("parent-worker", 30s);
  REQUIRE(reclaimed);
  CHECK(reclaimed->id == id);
  CHECK(reclaimed->attempt == 2);
  CHECK(reclaimed->payload["step"] == 1);
  CHECK(queue.Complete(id, "parent-worker"));
  CHECK(queue.Get(id)->state == "succeeded");
}
