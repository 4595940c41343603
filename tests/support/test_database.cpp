#include "support/test_database.hpp"

#include <cstdlib>
#include <stdexcept>

#include <soci/soci.h>
#include <spdlog/spdlog.h>

#include "monotube/db/migrations.hpp"
#include "monotube/ids.hpp"

namespace monotube::test {
namespace {

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value ? std::string(value) : std::string();
}

// The admin URL with its database name replaced.
std::string WithDatabase(const std::string& admin_url, const std::string& database) {
  auto scheme_end = admin_url.find("://");
  if (scheme_end == std::string::npos)
    throw std::runtime_error("MONOTUBE_TEST_PG_URL is not a postgresql:// URL: " + admin_url);
  auto path_start = admin_url.find('/', scheme_end + 3);
  auto query_start = admin_url.find('?', scheme_end + 3);
  std::string base = admin_url.substr(0, std::min(path_start, query_start));
  std::string query = query_start == std::string::npos ? std::string() : admin_url.substr(query_start);
  return base + "/" + database + query;
}

void RunAdmin(const std::string& admin_url, const std::string& sql) {
  db::DatabaseOptions options;
  options.url = admin_url;
  options.pool_size = 1;
  db::Database admin(options);
  admin.WithSession([&sql](soci::session& session) { session << sql; });
}

}  // namespace

TestDatabase::TestDatabase() {
  std::string kind = Env("MONOTUBE_TEST_DB");
  if (kind.empty() || kind == "sqlite") {
    dialect_ = db::Dialect::kSqlite;
    dir_.emplace("monotube-db-test");
    url_ = "sqlite://" + (dir_->path() / "monotube.db").string();
    return;
  }
  if (kind != "postgresql")
    throw std::runtime_error("MONOTUBE_TEST_DB must be 'sqlite' or 'postgresql', not '" + kind + "'");
  admin_url_ = Env("MONOTUBE_TEST_PG_URL");
  if (admin_url_.empty()) {
    throw std::runtime_error(
        "MONOTUBE_TEST_DB=postgresql but MONOTUBE_TEST_PG_URL is not set: point it at an admin URL such as "
        "postgresql://postgres@127.0.0.1:55432/postgres (scripts/test.sh starts such a cluster)");
  }
  dialect_ = db::Dialect::kPostgresql;
  // Lower-case hex only, so the name needs no quoting in CREATE/DROP DATABASE.
  database_name_ = "monotube_test_" + Sha256Hex(RandomToken()).substr(0, 16);
  RunAdmin(admin_url_, "CREATE DATABASE " + database_name_);
  url_ = WithDatabase(admin_url_, database_name_);
}

TestDatabase::~TestDatabase() {
  db_.reset();
  if (dialect_ != db::Dialect::kPostgresql) return;
  try {
    RunAdmin(admin_url_, "DROP DATABASE IF EXISTS " + database_name_ + " WITH (FORCE)");
  } catch (const std::exception& e) {
    spdlog::warn("test database {} could not be dropped: {}", database_name_, e.what());
  }
}

db::DatabaseOptions TestDatabase::options() const {
  db::DatabaseOptions options;
  options.url = url_;
  // Generous: two cores shared with compilers make slow writers in concurrency tests.
  options.busy_timeout = std::chrono::seconds(30);
  options.acquire_timeout = std::chrono::seconds(30);
  return options;
}

db::Database& TestDatabase::db() {
  if (!db_) db_ = std::make_unique<db::Database>(options());
  return *db_;
}

db::Database& TestDatabase::Migrated() {
  db::Database& database = db();
  if (!migrated_) {
    SystemClock clock;
    db::Migrate(database, clock);
    migrated_ = true;
  }
  return database;
}

void TestDatabase::ExecuteAsAdmin(const std::string& sql) {
  if (dialect_ != db::Dialect::kPostgresql) throw std::logic_error("ExecuteAsAdmin is for PostgreSQL only");
  RunAdmin(admin_url_, sql);
}

}  // namespace monotube::test
