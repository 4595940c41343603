#pragma once
// A fresh, empty database for one test. MONOTUBE_TEST_DB selects the dialect: "sqlite"
// (the default: a new file in a TempDir) or "postgresql" (a new database
// monotube_test_<random> created through the admin URL in MONOTUBE_TEST_PG_URL and
// dropped WITH (FORCE) on destruction). Asking for PostgreSQL without that URL throws:
// a PostgreSQL run never silently turns into a SQLite one. Not thread-safe.
#include <memory>
#include <optional>
#include <string>

#include "monotube/clock.hpp"
#include "monotube/db/database.hpp"

#include "support/temp_dir.hpp"

namespace monotube::test {

class TestDatabase {
 public:
  TestDatabase();
  ~TestDatabase();
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  db::Dialect dialect() const noexcept { return dialect_; }
  // A MONOTUBE_DATABASE_URL for this database (for a server process or an in-process app).
  const std::string& url() const noexcept { return url_; }
  db::DatabaseOptions options() const;
  // Opened on first use; not migrated.
  db::Database& db();
  // db(), migrated once with the embedded migrations.
  db::Database& Migrated();

  // PostgreSQL only: runs a statement on the admin connection (the "postgres" database),
  // e.g. to refuse or terminate this database's connections. Trusted test SQL only.
  void ExecuteAsAdmin(const std::string& sql);
  // PostgreSQL only: this database's name; "" on SQLite.
  const std::string& database_name() const noexcept { return database_name_; }

 private:
  db::Dialect dialect_ = db::Dialect::kSqlite;
  std::optional<TempDir> dir_;
  std::string admin_url_;
  std::string database_name_;
  std::string url_;
  std::unique_ptr<db::Database> db_;
  bool migrated_ = false;
};

}  // namespace monotube::test
