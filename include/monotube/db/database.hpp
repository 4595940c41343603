#pragma once
// The database: a pool of SOCI sessions to SQLite (the default) or PostgreSQL (for
// replicas). Every call blocks, so it belongs on a worker thread, never on an IO thread.
// Database is thread-safe; a soci::session handed to a callback is not, and must not
// escape the callback.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

namespace soci {
class session;
class statement;
}  // namespace soci

namespace monotube::db {

enum class Dialect { kSqlite, kPostgresql };

struct DatabaseOptions {
  // "" = SQLite at sqlite_path; "sqlite:///abs/path" or "sqlite:relative/path";
  // "postgresql://user:pass@host:port/db[?libpq parameters]" (also "postgres://").
  std::string url;
  std::filesystem::path sqlite_path = "data/monotube.db";
  std::size_t pool_size = 8;
  // SQLite: how long a writer waits for another writer before "database is locked".
  std::chrono::milliseconds busy_timeout{5000};
  // How long a caller waits for a free pooled connection before Unavailable.
  std::chrono::milliseconds acquire_timeout{10000};
};

// A failed statement. SOCI's own messages list the values bound to the statement, which can
// be password hashes, tokens or e-mail addresses; this one keeps the error and the SQL only.
class DatabaseError : public std::runtime_error {
 public:
  enum class Kind { kOther, kUniqueViolation };
  DatabaseError(const std::string& message, Kind kind) : std::runtime_error(message), kind_(kind) {}
  Kind kind() const noexcept { return kind_; }

 private:
  Kind kind_;
};

class Database {
 public:
  // Opens the pool and one connection to prove the database is reachable.
  // Throws ConfigError("database_url: ...") for a malformed URL and
  // Unavailable("database_unavailable", ...) when the database cannot be reached.
  explicit Database(const DatabaseOptions& options);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  Dialect dialect() const noexcept;
  // "sqlite:/abs/path/monotube.db" or "postgresql://user@host:port/db"; never a password.
  std::string Describe() const;
  std::size_t pool_size() const noexcept;

  // Runs fn(soci::session&) on a pooled connection and returns what fn returns. Waits at
  // most acquire_timeout for a connection (then Unavailable). A SOCI error leaves as
  // DatabaseError, or as Unavailable("database_unavailable") when the connection turned out
  // to be dead (it is reopened on its next use); other exceptions pass unchanged. Do not
  // nest calls: the inner one would need a second connection from the same pool.
  template <class F>
  decltype(auto) WithSession(F&& fn) {
    Lease lease(*this);
    try {
      return std::invoke(std::forward<F>(fn), lease.session());
    } catch (...) {
      lease.RethrowAfterFailure(std::current_exception());
    }
  }

  // A write transaction: "BEGIN IMMEDIATE" on SQLite (so concurrent writers wait on the
  // busy timeout instead of failing), "BEGIN" on PostgreSQL. Commits when fn returns,
  // rolls back and rethrows when it throws. Never retried automatically.
  template <class F>
  decltype(auto) InTransaction(F&& fn) {
    using Result = std::invoke_result_t<F&, soci::session&>;
    return WithSession([this, &fn](soci::session& session) -> Result {
      Begin(session);
      try {
        if constexpr (std::is_void_v<Result>) {
          std::invoke(fn, session);
          Commit(session);
        } else {
          Result result = std::invoke(fn, session);
          Commit(session);
          return result;
        }
      } catch (...) {
        RollbackAfterFailure(session);
        throw;
      }
    });
  }

  // Runs SELECT 1. Throws Unavailable("database_unavailable", reason) on failure. A pooled
  // connection the server dropped (restart, pg_terminate_backend) is reopened and the
  // query tried once more, so Ping succeeds again as soon as the database is back.
  void Ping();

 private:
  struct Impl;

  // One pooled connection, given back on destruction. Opens (or reopens, if it was found
  // broken) the connection before handing it out.
  class Lease {
   public:
    explicit Lease(Database& database);
    ~Lease();
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    soci::session& session() noexcept { return *session_; }
    // After a failed call: marks a dead connection for reopening and rethrows as documented
    // at WithSession.
    [[noreturn]] void RethrowAfterFailure(std::exception_ptr error);

   private:
    Impl& impl_;
    std::size_t position_;
    soci::session* session_;
  };

  void Begin(soci::session& session);
  void Commit(soci::session& session);
  void RollbackAfterFailure(soci::session& session) noexcept;

  std::unique_ptr<Impl> impl_;
};

// The dialect of a session leased from a Database, for the few queries that differ.
Dialect DialectOf(soci::session& session);

// Executes a prepared statement once and returns how many rows it changed. The values
// bound with soci::use() must outlive the statement, so bind named variables, not temporaries.
long long ExecuteAndCountRows(soci::statement& statement);

// True when the exception (a DatabaseError or a SOCI error) is a unique-constraint violation
// on SQLite or PostgreSQL, e.g. to turn a lost race on a unique column into Conflict.
bool IsUniqueViolation(const std::exception& error) noexcept;

}  // namespace monotube::db
