#include "monotube/jobs/job_queue.hpp"

#include <algorithm>
#include <array>
#include <stdexcept>

#include <soci/soci.h>
#include <spdlog/spdlog.h>

#include "monotube/clock.hpp"

namespace monotube::jobs {
namespace {

constexpr std::size_t kMaxErrorBytes = 2000;
constexpr int kMaxAbandonedPerClaim = 20;
constexpr std::array<std::string_view, 5> kAllStates = {kStateQueued, kStateRunning, kStateSucceeded,
                                                        kStateFailed, kStateCancelled};

constexpr const char* kJobColumns =
    "id, type, payload, state, priority, attempts, max_attempts, last_error, run_at, lease_owner, "
    "lease_expires_at, created_at, updated_at";

// A statement whose binds are only known at run time (e.g. an IN list). Values given to Use
// and Into must outlive Run/Fetch.
class DynamicStatement {
 public:
  explicit DynamicStatement(soci::session& session) : statement_(session) {}

  template <class T>
  DynamicStatement& Use(const T& value) {
    statement_.exchange(soci::use(value));
    return *this;
  }
  template <class T>
  DynamicStatement& Into(T& target) {
    statement_.exchange(soci::into(target));
    return *this;
  }
  template <class T>
  DynamicStatement& Into(T& target, soci::indicator& indicator) {
    statement_.exchange(soci::into(target, indicator));
    return *this;
  }
  // Executes and fetches the first row; false when there is none.
  bool Run(const std::string& sql) {
    statement_.alloc();
    statement_.prepare(sql, soci::details::st_one_time_query);
    statement_.define_and_bind();
    return statement_.execute(true);
  }
  bool Fetch() { return statement_.fetch(); }
  long long affected_rows() { return statement_.get_affected_rows(); }

 private:
  soci::statement statement_;
};

struct JobRow {
  long long id = 0;
  std::string type;
  std::string payload;
  std::string state;
  int priority = 0;
  int attempts = 0;
  int max_attempts = 0;
  std::string last_error;
  soci::indicator last_error_indicator = soci::i_null;
  long long run_at = 0;
  std::string lease_owner;
  soci::indicator lease_owner_indicator = soci::i_null;
  long long lease_expires_at = 0;
  soci::indicator lease_expires_at_indicator = soci::i_null;
  long long created_at = 0;
  long long updated_at = 0;

  void BindInto(DynamicStatement& statement) {
    statement.Into(id).Into(type).Into(payload).Into(state).Into(priority).Into(attempts).Into(max_attempts);
    statement.Into(last_error, last_error_indicator).Into(run_at).Into(lease_owner, lease_owner_indicator);
    statement.Into(lease_expires_at, lease_expires_at_indicator).Into(created_at).Into(updated_at);
  }

  JobRecord ToRecord() const {
    JobRecord record{
        id,           type,   ParsePayload(payload), state,        priority,   attempts,  max_attempts,
        std::nullopt, run_at, std::nullopt,          std::nullopt, created_at, updated_at};
    if (last_error_indicator == soci::i_ok) record.last_error = last_error;
    if (lease_owner_indicator == soci::i_ok) record.lease_owner = lease_owner;
    if (lease_expires_at_indicator == soci::i_ok) record.lease_expires_at_ms = lease_expires_at;
    return record;
  }

  static nlohmann::json ParsePayload(const std::string& text) {
    // Payloads are written by Enqueue, so this only fails on a hand-edited row; the
    // handler then sees null rather than the whole queue stalling on one row.
    nlohmann::json payload = nlohmann::json::parse(text, nullptr, false);
    return payload.is_discarded() ? nlohmann::json() : payload;
  }
};

std::string TruncateError(std::string error) {
  if (error.size() <= kMaxErrorBytes) return error;
  std::size_t cut = kMaxErrorBytes;
  while (cut > 0 && (static_cast<unsigned char>(error[cut]) & 0xC0) == 0x80) --cut;  // keep UTF-8 whole
  error.resize(cut);
  return error + "…";
}

std::string Plural(int count, std::string_view word) {
  return std::to_string(count) + " " + std::string(word) + (count == 1 ? "" : "s");
}

void CheckWorkerId(std::string_view worker_id) {
  if (worker_id.empty()) throw std::invalid_argument("JobQueue: the worker id must not be empty");
}

struct JobSummary {
  long long id = 0;
  std::string type;
  int attempts = 0;
  int max_attempts = 0;
  std::string lease_owner;
};

// Running jobs whose lease expired on their last allowed attempt: the worker died (or the
// job kills its worker every time), so the job fails instead of running forever.
std::vector<JobSummary> FailAbandoned(soci::session& session, long long now, bool postgresql) {
  std::vector<JobSummary> abandoned;
  {
    JobSummary row;
    soci::indicator owner_indicator = soci::i_null;
    std::string sql =
        "SELECT id, type, attempts, max_attempts, lease_owner FROM jobs "
        "WHERE state = 'running' AND lease_expires_at <= :now AND attempts >= max_attempts ORDER BY id "
        "LIMIT " +
        std::to_string(kMaxAbandonedPerClaim);
    if (postgresql) sql += " FOR UPDATE SKIP LOCKED";
    DynamicStatement select(session);
    select.Use(now)
        .Into(row.id)
        .Into(row.type)
        .Into(row.attempts)
        .Into(row.max_attempts)
        .Into(row.lease_owner, owner_indicator);
    for (bool more = select.Run(sql); more; more = select.Fetch()) {
      abandoned.push_back(row);
      if (owner_indicator != soci::i_ok) abandoned.back().lease_owner = "(unknown)";
    }
  }
  for (const JobSummary& job : abandoned) {
    std::string error =
        "the worker " + job.lease_owner +
        " stopped renewing its lease during the last attempt (it probably crashed or was killed)";
    long long id = job.id;
    session << "UPDATE jobs SET state = 'failed', last_error = :error, lease_owner = NULL, lease_expires_at "
               "= NULL, "
               "updated_at = :now WHERE id = :id AND state = 'running'",
        soci::use(error), soci::use(now), soci::use(id);
  }
  return abandoned;
}

struct ChangedJob {
  std::string type;
  int attempts = 0;
};

// One state transition of one job, in a transaction: bind(update, now) binds the
// UPDATE's placeholders, in order. When the UPDATE changed the job, returns its type
// and attempts for the log line; nullopt when the job was not in the state the UPDATE
// requires (gone, finished, or held by another worker).
template <class Bind>
std::optional<ChangedJob> ChangeJob(db::Database& database, const Clock& clock, long long job_id,
                                    const std::string& sql, Bind bind) {
  return database.InTransaction([&](soci::session& session) -> std::optional<ChangedJob> {
    long long now = clock.NowMs();
    DynamicStatement update(session);
    bind(update, now);
    update.Run(sql);
    if (update.affected_rows() != 1) return std::nullopt;
    ChangedJob job;
    session << "SELECT type, attempts FROM jobs WHERE id = :id", soci::use(job_id), soci::into(job.type),
        soci::into(job.attempts);
    return job;
  });
}

}  // namespace

JobQueue::JobQueue(db::Database& database, const Clock& clock) : database_(database), clock_(clock) {}

std::chrono::milliseconds JobQueue::RetryDelay(int attempts) {
  if (attempts < 1) attempts = 1;
  if (attempts > 30) return kMaxRetryDelay;
  return std::min(std::chrono::milliseconds(kBaseRetryDelay.count() << (attempts - 1)), kMaxRetryDelay);
}

std::int64_t JobQueue::Enqueue(std::string type, nlohmann::json payload, EnqueueOptions options) {
  if (type.empty() || type.size() > 100)
    throw std::invalid_argument("JobQueue: the job type must be 1-100 characters");
  if (options.max_attempts < 1) throw std::invalid_argument("JobQueue: max_attempts must be at least 1");
  long long now = clock_.NowMs();
  long long run_at = options.run_at_ms == 0 ? now : options.run_at_ms;
  std::string payload_text = payload.dump();
  int priority = options.priority;
  int max_attempts = options.max_attempts;
  long long id = database_.WithSession([&](soci::session& session) {
    long long inserted = 0;
    session
        << "INSERT INTO jobs (type, payload, state, priority, attempts, max_attempts, run_at, created_at, "
           "updated_at) VALUES (:type, :payload, 'queued', :priority, 0, :max_attempts, :run_at, "
           ":created_at, "
           ":updated_at) RETURNING id",
        soci::use(type), soci::use(payload_text), soci::use(priority), soci::use(max_attempts),
        soci::use(run_at), soci::use(now), soci::use(now), soci::into(inserted);
    return inserted;
  });
  if (run_at > now)
    spdlog::info("job {} ({}) queued to run at {}", id, type, FormatIso8601(run_at));
  else
    spdlog::info("job {} ({}) queued", id, type);
  std::lock_guard lock(listeners_mutex_);
  for (const auto& [token, listener] : listeners_) listener();
  return id;
}

std::optional<ClaimedJob> JobQueue::Claim(std::string_view worker_id, std::chrono::milliseconds lease,
                                          const std::vector<std::string>& types) {
  CheckWorkerId(worker_id);
  if (lease.count() <= 0) throw std::invalid_argument("JobQueue: the lease must be positive");
  const bool postgresql = database_.dialect() == db::Dialect::kPostgresql;
  std::string owner(worker_id);
  std::vector<JobSummary> abandoned;
  std::string previous_owner;
  std::string previous_state;
  auto claimed = database_.InTransaction([&](soci::session& session) -> std::optional<ClaimedJob> {
    const long long now = clock_.NowMs();
    abandoned = FailAbandoned(session, now, postgresql);

    std::string sql =
        "SELECT id, type, payload, attempts, max_attempts, state, lease_owner FROM jobs "
        "WHERE ((state = 'queued' AND run_at <= :now_queued) "
        "OR (state = 'running' AND lease_expires_at <= :now_running AND attempts < max_attempts))";
    if (!types.empty()) {
      sql += " AND type IN (";
      for (std::size_t i = 0; i < types.size(); ++i) sql += (i ? ", :type" : ":type") + std::to_string(i);
      sql += ")";
    }
    sql += " ORDER BY priority DESC, run_at, id LIMIT 1";
    // Concurrent claimers on PostgreSQL skip each other's candidate instead of queueing on it.
    if (postgresql) sql += " FOR UPDATE SKIP LOCKED";

    JobSummary row;
    std::string payload;
    soci::indicator owner_indicator = soci::i_null;
    DynamicStatement select(session);
    select.Use(now).Use(now);
    for (const std::string& type : types) select.Use(type);
    select.Into(row.id)
        .Into(row.type)
        .Into(payload)
        .Into(row.attempts)
        .Into(row.max_attempts)
        .Into(previous_state);
    select.Into(previous_owner, owner_indicator);
    if (!select.Run(sql)) return std::nullopt;
    if (owner_indicator != soci::i_ok) previous_owner.clear();

    long long expires = now + lease.count();
    int attempt = row.attempts + 1;
    session << "UPDATE jobs SET state = 'running', lease_owner = :owner, lease_expires_at = :expires, "
               "attempts = :attempts, updated_at = :now WHERE id = :id",
        soci::use(owner), soci::use(expires), soci::use(attempt), soci::use(now), soci::use(row.id);
    return ClaimedJob{row.id, row.type, JobRow::ParsePayload(payload), attempt, row.max_attempts,
                      owner,  expires};
  });
  for (const JobSummary& job : abandoned) {
    spdlog::error(
        "job {} ({}) failed after {}: the worker {} stopped renewing its lease during the last attempt",
        job.id, job.type, Plural(job.attempts, "attempt"), job.lease_owner);
  }
  if (claimed) {
    if (previous_state == kStateRunning) {
      spdlog::warn("job {} ({}) reclaimed by {}: worker {} stopped renewing its lease (attempt {}/{})",
                   claimed->id, claimed->type, owner, previous_owner, claimed->attempt,
                   claimed->max_attempts);
    } else {
      spdlog::info("job {} ({}) started by {} (attempt {}/{})", claimed->id, claimed->type, owner,
                   claimed->attempt, claimed->max_attempts);
    }
  }
  return claimed;
}

bool JobQueue::Renew(std::int64_t id, std::string_view worker_id, std::chrono::milliseconds lease) {
  CheckWorkerId(worker_id);
  if (lease.count() <= 0) throw std::invalid_argument("JobQueue: the lease must be positive");
  std::string owner(worker_id);
  long long job_id = id;
  return database_.WithSession([&](soci::session& session) {
    long long now = clock_.NowMs();
    long long expires = now + lease.count();
    DynamicStatement update(session);
    update.Use(expires).Use(now).Use(job_id).Use(owner);
    update.Run(
        "UPDATE jobs SET lease_expires_at = :expires, updated_at = :now "
        "WHERE id = :id AND state = 'running' AND lease_owner = :owner");
    return update.affected_rows() == 1;
  });
}

bool JobQueue::Complete(std::int64_t id, std::string_view worker_id) {
  CheckWorkerId(worker_id);
  std::string owner(worker_id);
  long long job_id = id;
  auto job = ChangeJob(database_, clock_, job_id,
                       "UPDATE jobs SET state = 'succeeded', lease_owner = NULL, lease_expires_at = NULL, "
                       "updated_at = :now WHERE id = :id AND state = 'running' AND lease_owner = :owner",
                       [&](DynamicStatement& update, const long long& now) { update.Use(now).Use(job_id).Use(owner); });
  if (job) spdlog::info("job {} ({}) succeeded after {}", id, job->type, Plural(job->attempts, "attempt"));
  return job.has_value();
}

FailOutcome JobQueue::Fail(std::int64_t id, std::string_view worker_id, std::string error) {
  CheckWorkerId(worker_id);
  const bool postgresql = database_.dialect() == db::Dialect::kPostgresql;
  std::string owner(worker_id);
  std::string stored_error = TruncateError(std::move(error));
  long long job_id = id;
  JobSummary job;
  FailOutcome outcome = database_.InTransaction([&](soci::session& session) {
    long long now = clock_.NowMs();
    std::string state;
    soci::indicator owner_indicator = soci::i_null;
    DynamicStatement select(session);
    select.Use(job_id).Into(job.type).Into(state).Into(job.lease_owner, owner_indicator).Into(job.attempts);
    select.Into(job.max_attempts);
    bool found = select.Run(
        std::string("SELECT type, state, lease_owner, attempts, max_attempts FROM jobs WHERE id = :id") +
        (postgresql ? " FOR UPDATE" : ""));
    if (!found || state != kStateRunning || owner_indicator != soci::i_ok || job.lease_owner != owner)
      return FailOutcome{FailOutcome::Result::kNotOwner, 0};
    if (job.attempts >= job.max_attempts) {
      session << "UPDATE jobs SET state = 'failed', last_error = :error, lease_owner = NULL, "
                 "lease_expires_at = NULL, "
                 "updated_at = :now WHERE id = :id",
          soci::use(stored_error), soci::use(now), soci::use(job_id);
      return FailOutcome{FailOutcome::Result::kFailed, 0};
    }
    long long retry_at = now + RetryDelay(job.attempts).count();
    session
        << "UPDATE jobs SET state = 'queued', last_error = :error, run_at = :retry_at, lease_owner = NULL, "
           "lease_expires_at = NULL, updated_at = :now WHERE id = :id",
        soci::use(stored_error), soci::use(retry_at), soci::use(now), soci::use(job_id);
    return FailOutcome{FailOutcome::Result::kRetryScheduled, retry_at};
  });
  switch (outcome.result) {
    case FailOutcome::Result::kFailed:
      spdlog::error("job {} ({}) failed after {}: {}", id, job.type, Plural(job.attempts, "attempt"),
                    stored_error);
      break;
    case FailOutcome::Result::kRetryScheduled:
      spdlog::warn("job {} ({}) failed on attempt {}/{}, retrying in {} s: {}", id, job.type, job.attempts,
                   job.max_attempts, (outcome.retry_at_ms - clock_.NowMs() + 999) / 1000, stored_error);
      break;
    case FailOutcome::Result::kNotOwner:
      break;
  }
  return outcome;
}

bool JobQueue::Release(std::int64_t id, std::string_view worker_id) {
  CheckWorkerId(worker_id);
  std::string owner(worker_id);
  long long job_id = id;
  auto job = ChangeJob(database_, clock_, job_id,
                       "UPDATE jobs SET state = 'queued', attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 "
                       "END, lease_owner = NULL, lease_expires_at = NULL, updated_at = :now "
                       "WHERE id = :id AND state = 'running' AND lease_owner = :owner",
                       [&](DynamicStatement& update, const long long& now) { update.Use(now).Use(job_id).Use(owner); });
  if (job) spdlog::info("job {} ({}) released by {}, which is stopping; it will run again", id, job->type, owner);
  return job.has_value();
}

bool JobQueue::Cancel(std::int64_t id) {
  long long job_id = id;
  auto job = ChangeJob(database_, clock_, job_id,
                       "UPDATE jobs SET state = 'cancelled', lease_owner = NULL, lease_expires_at = NULL, "
                       "updated_at = :now WHERE id = :id AND state IN ('queued', 'running')",
                       [&](DynamicStatement& update, const long long& now) { update.Use(now).Use(job_id); });
  if (job) spdlog::info("job {} ({}) cancelled", id, job->type);
  return job.has_value();
}

bool JobQueue::Retry(std::int64_t id) {
  long long job_id = id;
  auto job = ChangeJob(database_, clock_, job_id,
                       "UPDATE jobs SET state = 'queued', attempts = 0, run_at = :run_at, lease_owner = NULL, "
                       "lease_expires_at = NULL, updated_at = :now WHERE id = :id AND state IN ('failed', 'cancelled')",
                       [&](DynamicStatement& update, const long long& now) { update.Use(now).Use(now).Use(job_id); });
  if (!job) return false;
  spdlog::info("job {} ({}) queued again by a retry", id, job->type);
  std::lock_guard lock(listeners_mutex_);
  for (const auto& [token, listener] : listeners_) listener();
  return true;
}

std::optional<JobRecord> JobQueue::Get(std::int64_t id) {
  long long job_id = id;
  return database_.WithSession([&](soci::session& session) -> std::optional<JobRecord> {
    JobRow row;
    DynamicStatement select(session);
    select.Use(job_id);
    row.BindInto(select);
    if (!select.Run(std::string("SELECT ") + kJobColumns + " FROM jobs WHERE id = :id")) return std::nullopt;
    return row.ToRecord();
  });
}

std::vector<JobRecord> JobQueue::List(std::string_view state, int limit, std::int64_t before_id) {
  std::string state_filter(state);
  long long before = before_id;
  int capped_limit = std::clamp(limit, 1, 1000);
  return database_.WithSession([&](soci::session& session) {
    std::string sql = std::string("SELECT ") + kJobColumns + " FROM jobs WHERE 1 = 1";
    JobRow row;
    DynamicStatement select(session);
    if (!state_filter.empty()) {
      sql += " AND state = :state";
      select.Use(state_filter);
    }
    if (before > 0) {
      sql += " AND id < :before";
      select.Use(before);
    }
    sql += " ORDER BY id DESC LIMIT :limit";
    select.Use(capped_limit);
    row.BindInto(select);
    std::vector<JobRecord> records;
    for (bool more = select.Run(sql); more; more = select.Fetch()) records.push_back(row.ToRecord());
    return records;
  });
}

std::map<std::string, std::int64_t> JobQueue::CountByState() {
  return database_.WithSession([](soci::session& session) {
    std::map<std::string, std::int64_t> counts;
    for (std::string_view state_name : kAllStates) {
      std::string state(state_name);
      long long count = 0;
      session << "SELECT COUNT(*) FROM jobs WHERE state = :state", soci::use(state), soci::into(count);
      counts[state] = count;
    }
    return counts;
  });
}

int JobQueue::AddEnqueueListener(std::function<void()> fn) {
  std::lock_guard lock(listeners_mutex_);
  int token = next_listener_token_++;
  listeners_.emplace(token, std::move(fn));
  return token;
}

void JobQueue::RemoveEnqueueListener(int token) {
  std::lock_guard lock(listeners_mutex_);
  listeners_.erase(token);
}

}  // namespace monotube::jobs
