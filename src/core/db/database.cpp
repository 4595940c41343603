#include "monotube/db/database.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <string_view>
#include <system_error>
#include <vector>

#include <soci/connection-pool.h>
#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>
#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include "monotube/errors.hpp"

namespace monotube::db {
namespace {

constexpr std::string_view kUrlExample =
    "postgresql://user:pass@host:5432/monotube or sqlite:/path/to/monotube.db";

struct ConnectionTarget {
  Dialect dialect = Dialect::kSqlite;
  std::string connect_string;  // may hold the password: never logged
  std::string description;
  std::string password;  // only to scrub it from error messages
  std::filesystem::path sqlite_file;
};

bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

ConnectionTarget SqliteTarget(std::filesystem::path path) {
  if (path.empty()) throw ConfigError("database_url: the SQLite file path is empty");
  std::string text = path.string();
  if (text == ":memory:")
    throw ConfigError("database_url: an in-memory SQLite database cannot be shared by a connection pool");
  // SOCI reads "key=value" pairs from the SQLite connect string; a bare path has no '='.
  if (text.find('=') != std::string::npos)
    throw ConfigError("database_url: the SQLite file path must not contain '=': " + text);
  std::error_code error;
  std::filesystem::path absolute = std::filesystem::absolute(path, error);
  if (error)
    throw ConfigError("database_url: cannot resolve the SQLite path '" + text + "': " + error.message());
  absolute = absolute.lexically_normal();
  ConnectionTarget target;
  target.dialect = Dialect::kSqlite;
  target.connect_string = absolute.string();
  target.description = "sqlite:" + absolute.string();
  target.sqlite_file = absolute;
  return target;
}

bool IsDigits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

ConnectionTarget PostgresqlTarget(std::string_view url) {
  for (char c : url) {
    if (std::isspace(static_cast<unsigned char>(c)) || std::iscntrl(static_cast<unsigned char>(c)))
      throw ConfigError("database_url: the PostgreSQL URL must not contain spaces or control characters");
  }
  std::string_view rest = url.substr(url.find("://") + 3);
  std::string_view query;
  if (auto q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  if (rest.find('#') != std::string_view::npos)
    throw ConfigError("database_url: the PostgreSQL URL must not contain a '#' fragment");
  auto slash = rest.find('/');
  if (slash == std::string_view::npos || slash + 1 == rest.size())
    throw ConfigError("database_url: the PostgreSQL URL must name a database, e.g. " +
                      std::string(kUrlExample));
  std::string_view authority = rest.substr(0, slash);
  std::string_view database = rest.substr(slash + 1);
  if (database.find('/') != std::string_view::npos)
    throw ConfigError("database_url: the database name in the PostgreSQL URL must not contain '/'");

  std::string_view user;
  std::string_view password;
  std::string_view host_port = authority;
  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    std::string_view user_info = authority.substr(0, at);
    host_port = authority.substr(at + 1);
    auto colon = user_info.find(':');
    user = user_info.substr(0, colon);
    if (colon != std::string_view::npos) password = user_info.substr(colon + 1);
  }
  std::string_view host = host_port;
  std::string_view port;
  if (StartsWith(host_port, "[")) {
    auto close = host_port.find(']');
    if (close == std::string_view::npos)
      throw ConfigError("database_url: unterminated IPv6 address in the PostgreSQL URL");
    host = host_port.substr(0, close + 1);
    std::string_view after = host_port.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') throw ConfigError("database_url: unexpected text after the IPv6 address");
      port = after.substr(1);
    }
  } else if (auto colon = host_port.rfind(':'); colon != std::string_view::npos) {
    host = host_port.substr(0, colon);
    port = host_port.substr(colon + 1);
    if (port.empty()) throw ConfigError("database_url: the port in the PostgreSQL URL is empty");
  }
  if (!port.empty() && (!IsDigits(port) || port.size() > 5 || std::stoi(std::string(port)) < 1 ||
                        std::stoi(std::string(port)) > 65535))
    throw ConfigError("database_url: the port in the PostgreSQL URL must be a number from 1 to 65535");

  // A connect timeout so an unreachable server fails start-up and /readyz instead of
  // hanging them; the application name makes our sessions easy to spot in pg_stat_activity.
  std::string parameters(query);
  auto add_default = [&parameters](std::string_view key, std::string_view value) {
    if (parameters.find(std::string(key) + "=") != std::string::npos) return;
    if (!parameters.empty()) parameters += '&';
    parameters.append(key).append("=").append(value);
  };
  add_default("connect_timeout", "10");
  add_default("application_name", "monotube");

  // SOCI 4.0 re-tokenises the connect string around spaces, quotes and '=' before libpq sees
  // it; a URI with at least one '=' (added above), no spaces (refused above) and no quotes
  // passes through unchanged, and libpq percent-decodes the quotes back.
  std::string connect_string = "postgresql://" + std::string(rest) + "?" + parameters;
  for (std::size_t pos = connect_string.find_first_of("'\""); pos != std::string::npos;
       pos = connect_string.find_first_of("'\"", pos)) {
    connect_string.replace(pos, 1, connect_string[pos] == '\'' ? "%27" : "%22");
  }

  ConnectionTarget target;
  target.dialect = Dialect::kPostgresql;
  target.connect_string = std::move(connect_string);
  target.description = "postgresql://" + (user.empty() ? std::string() : std::string(user) + "@") +
                       std::string(host) + (port.empty() ? std::string() : ":" + std::string(port)) + "/" +
                       std::string(database);
  target.password = std::string(password);
  return target;
}

ConnectionTarget ParseTarget(const DatabaseOptions& options) {
  const std::string& url = options.url;
  if (url.empty()) return SqliteTarget(options.sqlite_path);
  if (StartsWith(url, "postgresql://") || StartsWith(url, "postgres://")) return PostgresqlTarget(url);
  if (StartsWith(url, "sqlite:")) {
    std::string_view path = std::string_view(url).substr(7);
    // "sqlite:///abs/path" -> "/abs/path"; "sqlite:relative/path" stays relative.
    if (StartsWith(path, "//")) path.remove_prefix(2);
    return SqliteTarget(std::filesystem::path(std::string(path)));
  }
  auto colon = url.find(':');
  std::string scheme = colon == std::string::npos ? std::string("(none)") : url.substr(0, colon);
  throw ConfigError("database_url: unsupported scheme '" + scheme + "'; use " + std::string(kUrlExample));
}

// Removes the data from a one-line SOCI error message: SOCI appends the bound values
// (` with :name="value", ...`) and PostgreSQL's DETAIL repeats key values
// ("Key (email)=(a@b.c) already exists.").
std::string WithoutValues(std::string message) {
  if (auto values = message.rfind("\" with :"); values != std::string::npos)
    message = message.substr(0, values + 1) + " (values omitted)";
  if (auto detail = message.find("DETAIL: "); detail != std::string::npos) {
    auto end = message.find(" while executing", detail);
    message.replace(detail, end == std::string::npos ? std::string::npos : end - detail, "DETAIL omitted.");
  }
  return message;
}

bool IsSociUniqueViolation(const std::exception& error) noexcept {
  if (auto* pg = dynamic_cast<const soci::postgresql_soci_error*>(&error)) return pg->sqlstate() == "23505";
  if (auto* lite = dynamic_cast<const soci::sqlite3_soci_error*>(&error)) {
    return (lite->result() & 0xff) == SQLITE_CONSTRAINT &&
           std::string_view(lite->what()).find("UNIQUE constraint failed") != std::string_view::npos;
  }
  return false;
}

struct SlotState {
  bool open = false;
  // The value of Impl::lost_connections when this connection was last known to be alive.
  std::uint64_t checked_at_loss = 0;
};

}  // namespace

struct Database::Impl {
  Impl(ConnectionTarget target_in, const DatabaseOptions& options)
      : target(std::move(target_in)),
        busy_timeout(options.busy_timeout),
        acquire_timeout(options.acquire_timeout),
        pool_size(options.pool_size),
        pool(options.pool_size),
        slots(options.pool_size) {}

  // One line, without the password, for messages that reach logs and clients.
  std::string Clean(std::string_view message) const {
    std::string out;
    bool space = false;
    for (char c : message) {
      if (std::isspace(static_cast<unsigned char>(c))) {
        space = !out.empty();
        continue;
      }
      if (space) out += ' ';
      space = false;
      out += c;
    }
    if (!target.password.empty()) {
      for (auto pos = out.find(target.password); pos != std::string::npos;
           pos = out.find(target.password, pos))
        out.replace(pos, target.password.size(), "***");
    }
    return out;
  }

  void Configure(soci::session& session) const {
    if (target.dialect == Dialect::kPostgresql) {
      // libpq prints NOTICEs straight to stderr, bypassing the log ("... already exists, skipping").
      session << "SET client_min_messages = warning";
      return;
    }
    // busy_timeout first, so that switching to WAL waits for another connection doing the same.
    session << "PRAGMA busy_timeout = " + std::to_string(busy_timeout.count());
    std::string mode;
    session << "PRAGMA journal_mode = WAL", soci::into(mode);
    std::transform(mode.begin(), mode.end(), mode.begin(), [](unsigned char c) { return std::tolower(c); });
    if (mode != "wal") throw std::runtime_error("SQLite refused WAL mode (journal_mode is '" + mode + "')");
    session << "PRAGMA synchronous = NORMAL";
    session << "PRAGMA foreign_keys = ON";
  }

  void Open(std::size_t position) {
    soci::session& session = pool.at(position);
    session.close();
    try {
      if (target.dialect == Dialect::kSqlite)
        session.open(soci::sqlite3, target.connect_string);
      else
        session.open(soci::postgresql, target.connect_string);
      Configure(session);
    } catch (const std::exception& e) {
      session.close();
      throw Unavailable("database_unavailable",
                        "cannot connect to " + target.description + ": " + Clean(e.what()));
    }
  }

  // Called with the slot leased: makes sure its connection is open and, if some other
  // connection was found dead since this one was last checked, still alive.
  void Prepare(std::size_t position) {
    SlotState& slot = slots[position];
    std::uint64_t losses = lost_connections.load();
    if (slot.open && slot.checked_at_loss != losses) {
      if (!pool.at(position).is_connected()) {
        pool.at(position).close();
        slot.open = false;
      }
      slot.checked_at_loss = losses;
    }
    if (!slot.open) {
      Open(position);
      slot.open = true;
      slot.checked_at_loss = losses;
    }
  }

  ConnectionTarget target;
  std::chrono::milliseconds busy_timeout;
  std::chrono::milliseconds acquire_timeout;
  std::size_t pool_size;
  soci::connection_pool pool;
  // slots[i] is only touched by the holder of pool position i; the pool's mutex orders them.
  std::vector<SlotState> slots;
  // Counts connections found dead: a server restart kills all of them, so every other
  // connection checks itself once before its next use.
  std::atomic<std::uint64_t> lost_connections{0};
};

Database::Database(const DatabaseOptions& options) {
  if (options.pool_size == 0) throw ConfigError("database_pool_size: must be at least 1");
  if (options.busy_timeout.count() < 0) throw ConfigError("database_busy_timeout: must not be negative");
  ConnectionTarget target = ParseTarget(options);
  if (target.dialect == Dialect::kSqlite) {
    std::error_code error;
    std::filesystem::create_directories(target.sqlite_file.parent_path(), error);
    if (error)
      throw ConfigError("database_url: cannot create the directory for the SQLite file " +
                        target.sqlite_file.string() + ": " + error.message());
  }
  impl_ = std::make_unique<Impl>(std::move(target), options);
  Lease proof(*this);
}

Database::~Database() = default;

Dialect Database::dialect() const noexcept { return impl_->target.dialect; }

std::string Database::Describe() const { return impl_->target.description; }

std::size_t Database::pool_size() const noexcept { return impl_->pool_size; }

void Database::Ping() {
  auto select_one = [](soci::session& session) {
    int one = 0;
    session << "SELECT 1", soci::into(one);
  };
  auto fail = [this](const std::exception& e) {
    return Unavailable("database_unavailable",
                       "the database " + Describe() + " does not answer: " + e.what());
  };
  const std::uint64_t losses_before = impl_->lost_connections.load();
  try {
    WithSession(select_one);
    return;
  } catch (const Unavailable&) {
    if (impl_->lost_connections.load() == losses_before) throw;
  } catch (const std::exception& e) {
    if (impl_->lost_connections.load() == losses_before) throw fail(e);
  }
  // The first try found a connection the server had dropped (restart, pg_terminate_backend);
  // it is reopened on its next lease, so one more try tells whether the database is back.
  try {
    WithSession(select_one);
  } catch (const Unavailable&) {
    throw;
  } catch (const std::exception& e) {
    throw fail(e);
  }
}

void Database::Begin(soci::session& session) {
  session << (impl_->target.dialect == Dialect::kSqlite ? "BEGIN IMMEDIATE" : "BEGIN");
}

void Database::Commit(soci::session& session) { session << "COMMIT"; }

void Database::RollbackAfterFailure(soci::session& session) noexcept {
  try {
    session << "ROLLBACK";
  } catch (const std::exception& e) {
    // The transaction's own error is what the caller needs; this only matters if it repeats.
    spdlog::warn("database: rollback failed on {}: {}", impl_->target.description, impl_->Clean(e.what()));
  }
}

Database::Lease::Lease(Database& database) : impl_(*database.impl_), position_(0), session_(nullptr) {
  auto timeout = std::max<std::chrono::milliseconds::rep>(0, impl_.acquire_timeout.count());
  if (!impl_.pool.try_lease(position_, static_cast<int>(std::min<decltype(timeout)>(timeout, 1'000'000'000))))
    throw Unavailable("database_busy", "All database connections are busy. Please try again in a moment.");
  try {
    impl_.Prepare(position_);
  } catch (...) {
    impl_.pool.give_back(position_);
    throw;
  }
  session_ = &impl_.pool.at(position_);
}

Database::Lease::~Lease() { impl_.pool.give_back(position_); }

void Database::Lease::RethrowAfterFailure(std::exception_ptr error) {
  const bool lost = !session_->is_connected();
  if (lost) {
    session_->close();
    impl_.slots[position_].open = false;
    ++impl_.lost_connections;
  }
  try {
    std::rethrow_exception(error);
  } catch (const soci::soci_error& e) {
    std::string message = WithoutValues(impl_.Clean(e.what()));
    if (lost) {
      spdlog::warn("database: lost a connection to {} ({}); connections are reopened on their next use",
                   impl_.target.description, message);
      throw Unavailable("database_unavailable",
                        "The database is unavailable right now. Please try again in a moment.");
    }
    throw DatabaseError(message, IsSociUniqueViolation(e) ? DatabaseError::Kind::kUniqueViolation
                                                          : DatabaseError::Kind::kOther);
  }
}

Dialect DialectOf(soci::session& session) {
  return session.get_backend_name() == "postgresql" ? Dialect::kPostgresql : Dialect::kSqlite;
}

long long ExecuteAndCountRows(soci::statement& statement) {
  statement.execute(true);
  return statement.get_affected_rows();
}

bool IsUniqueViolation(const std::exception& error) noexcept {
  if (auto* database_error = dynamic_cast<const DatabaseError*>(&error))
    return database_error->kind() == DatabaseError::Kind::kUniqueViolation;
  return IsSociUniqueViolation(error);
}

}  // namespace monotube::db
