#include "monotube/db/migrations.hpp"

#include <future>
#include <set>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <soci/soci.h>

#include "monotube/clock.hpp"
#include "monotube/db/database.hpp"

#include "support/test_database.hpp"

using namespace monotube;
using monotube::test::TestDatabase;

namespace {

bool TableExists(db::Database& database, std::string table) {
  return database.WithSession([&](soci::session& session) {
    int count = 0;
    if (database.dialect() == db::Dialect::kSqlite) {
      session << "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = :name", soci::use(table),
          soci::into(count);
    } else {
      session << "SELECT COUNT(*) FROM pg_catalog.pg_tables WHERE schemaname = current_schema() AND "
                 "tablename = :name",
          soci::use(table), soci::into(count);
    }
    return count > 0;
  });
}

struct AppliedRow {
  int version;
  std::string name;
  long long applied_at;
};

std::vector<AppliedRow> AppliedRows(db::Database& database) {
  return database.WithSession([](soci::session& session) {
    std::vector<AppliedRow> rows;
    AppliedRow row{};
    soci::statement select =
        (session.prepare << "SELECT version, name, applied_at FROM schema_migrations ORDER BY version",
         soci::into(row.version), soci::into(row.name), soci::into(row.applied_at));
    select.execute();
    while (select.fetch()) rows.push_back(row);
    return rows;
  });
}

// How many migrations there are: versions may have gaps while parallel branches each
// hold a number (0005 on one, 0006 on another).
int EmbeddedMigrationCount() {
  std::set<int> versions;
  for (const auto& file : db::EmbeddedMigrationFiles()) versions.insert(file.version);
  return static_cast<int>(versions.size());
}

}  // namespace

TEST_CASE("SplitSqlStatements splits at semicolons outside quotes and comments", "[migrations]") {
  auto statements = db::SplitSqlStatements(
      "-- a comment; with a semicolon\n"
      "CREATE TABLE a (x TEXT DEFAULT 'a;b');\n"
      "INSERT INTO a VALUES ('it''s; fine'); /* block; /* nested; */ still comment; */\n"
      "SELECT \"we;ird\" FROM a;\n"
      "CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql;;\n"
      "SELECT $1 -- trailing comment without a newline");
  REQUIRE(statements.size() == 5);
  CHECK(statements[0] == "CREATE TABLE a (x TEXT DEFAULT 'a;b')");
  CHECK(statements[1] == "INSERT INTO a VALUES ('it''s; fine')");
  CHECK(statements[2] == "SELECT \"we;ird\" FROM a");
  CHECK(statements[3] == "CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql");
  CHECK(statements[4] == "SELECT $1");
  CHECK(db::SplitSqlStatements("  -- nothing but a comment\n ; ").empty());
  CHECK_THROWS(db::SplitSqlStatements("SELECT 'unterminated"));
}

TEST_CASE("SplitSqlStatements keeps a SQLite trigger body in one statement", "[migrations]") {
  auto statements = db::SplitSqlStatements(
      "CREATE TRIGGER t AFTER INSERT ON a\nBEGIN\n  INSERT INTO b VALUES (1);\n  DELETE FROM c;\nEND;\n"
      "CREATE TRIGGER u AFTER DELETE ON a FOR EACH ROW EXECUTE FUNCTION f();\n"
      "SELECT 1;");
  REQUIRE(statements.size() == 3);
  CHECK(statements[0] == "CREATE TRIGGER t AFTER INSERT ON a\nBEGIN\n  INSERT INTO b VALUES (1);\n  DELETE FROM c;\nEND");
  CHECK(statements[1] == "CREATE TRIGGER u AFTER DELETE ON a FOR EACH ROW EXECUTE FUNCTION f()");
  CHECK(statements[2] == "SELECT 1");
}

TEST_CASE("Migrations apply once, are recorded, and running them again is a no-op", "[migrations]") {
  TestDatabase test_database;
  db::Database& database = test_database.db();
  ManualClock clock;
  CHECK(db::CurrentVersion(database) == 0);

  db::MigrationResult first = db::Migrate(database, clock);
  CHECK(first.from_version == 0);
  CHECK(first.to_version == db::LatestEmbeddedVersion());
  CHECK(first.applied == EmbeddedMigrationCount());
  CHECK(db::CurrentVersion(database) == db::LatestEmbeddedVersion());
  CHECK(TableExists(database, "jobs"));
  CHECK(TableExists(database, "users"));

  auto rows = AppliedRows(database);
  REQUIRE(rows.size() >= 2);
  CHECK(rows[0].version == 1);
  CHECK(rows[0].name == "0001_jobs");
  CHECK(rows[1].name == "0002_users");
  for (const auto& row : rows) CHECK(row.applied_at == clock.NowMs());

  clock.Advance(60'000);
  db::MigrationResult again = db::Migrate(database, clock);
  CHECK(again.from_version == db::LatestEmbeddedVersion());
  CHECK(again.to_version == db::LatestEmbeddedVersion());
  CHECK(again.applied == 0);
  CHECK(AppliedRows(database).size() == rows.size());
}

TEST_CASE("Migrate refuses a database that a newer monotube migrated", "[migrations]") {
  TestDatabase test_database;
  db::Database& database = test_database.Migrated();
  int future_version = db::LatestEmbeddedVersion() + 1;
  database.WithSession([&](soci::session& session) {
    session << "INSERT INTO schema_migrations (version, name, applied_at) VALUES (:version, "
               "'from_the_future', 0)",
        soci::use(future_version);
  });
  ManualClock clock;
  try {
    db::Migrate(database, clock);
    FAIL("migrated a database newer than the binary");
  } catch (const std::runtime_error& e) {
    CHECK_THAT(e.what(), Catch::Contains("schema version " + std::to_string(future_version)));
    CHECK_THAT(e.what(), Catch::Contains("upgrade"));
  }
  CHECK(db::CurrentVersion(database) == future_version);
}

TEST_CASE("A failing migration leaves nothing of itself applied", "[migrations]") {
  TestDatabase test_database;
  db::Database& database = test_database.db();
  ManualClock clock;
  const std::vector<db::MigrationFile> broken = {
      {1, "alpha", "both", "CREATE TABLE alpha (id INTEGER NOT NULL);"},
      {2, "beta", "both",
       "CREATE TABLE beta (id INTEGER NOT NULL);\n"
       "INSERT INTO beta (id) VALUES (1);\n"
       "INSERT INTO no_such_table (id) VALUES (1);"},
  };
  try {
    db::Migrate(database, clock, broken);
    FAIL("a broken migration was applied");
  } catch (const std::runtime_error& e) {
    CHECK_THAT(e.what(), Catch::Contains("0002_beta"));
    CHECK_THAT(e.what(), Catch::Contains("statement 3"));
  }
  CHECK(db::CurrentVersion(database) == 1);
  CHECK(TableExists(database, "alpha"));
  CHECK_FALSE(TableExists(database, "beta"));

  const std::vector<db::MigrationFile> fixed = {
      broken[0],
      {2, "beta", "both", "CREATE TABLE beta (id INTEGER NOT NULL); INSERT INTO beta (id) VALUES (1);"},
  };
  db::MigrationResult result = db::Migrate(database, clock, fixed);
  CHECK(result.from_version == 1);
  CHECK(result.to_version == 2);
  CHECK(result.applied == 1);
  CHECK(TableExists(database, "beta"));
}

TEST_CASE("A dialect-specific migration file replaces the shared one for that dialect", "[migrations]") {
  TestDatabase test_database;
  db::Database& database = test_database.db();
  ManualClock clock;
  const std::vector<db::MigrationFile> files = {
      {1, "shared", "both", "CREATE TABLE shared_table (id INTEGER);"},
      {2, "special", "both", "CREATE TABLE special_shared (id INTEGER);"},
      {2, "special", "sqlite", "CREATE TABLE special_sqlite (id INTEGER);"},
      {2, "special", "postgresql", "CREATE TABLE special_postgresql (id INTEGER);"},
      // SOCI must leave a cast and a colon inside a string alone.
      {3, "pg_only", "postgresql",
       "CREATE TABLE pg_only (id INTEGER DEFAULT '7'::integer, note TEXT DEFAULT 'at :noon');"
       "INSERT INTO pg_only DEFAULT VALUES;"},
  };
  db::MigrationResult result = db::Migrate(database, clock, files);
  CHECK(result.applied == 3);
  CHECK(result.to_version == 3);
  const bool sqlite = database.dialect() == db::Dialect::kSqlite;
  CHECK(TableExists(database, "shared_table"));
  CHECK_FALSE(TableExists(database, "special_shared"));
  CHECK(TableExists(database, "special_sqlite") == sqlite);
  CHECK(TableExists(database, "special_postgresql") == !sqlite);
  CHECK(TableExists(database, "pg_only") == !sqlite);
  if (!sqlite) {
    database.WithSession([](soci::session& session) {
      int id = 0;
      std::string note;
      session << "SELECT id, note FROM pg_only", soci::into(id), soci::into(note);
      CHECK(id == 7);
      CHECK(note == "at :noon");
    });
  }

  const std::vector<db::MigrationFile> clash = {{1, "one", "both", ""}, {1, "other", "both", ""}};
  CHECK_THROWS_WITH(db::Migrate(database, clock, clash), Catch::Contains("share version 1"));
}

TEST_CASE("Two processes migrating at once apply every migration exactly once", "[migrations][concurrency]") {
  TestDatabase test_database;
  // Two pools on one database, like two replicas starting together.
  db::Database first(test_database.options());
  db::Database second(test_database.options());
  SystemClock clock;
  auto run_first = std::async(std::launch::async, [&] { return db::Migrate(first, clock); });
  auto run_second = std::async(std::launch::async, [&] { return db::Migrate(second, clock); });
  db::MigrationResult a = run_first.get();
  db::MigrationResult b = run_second.get();
  CHECK(a.applied + b.applied == EmbeddedMigrationCount());
  CHECK(a.to_version == db::LatestEmbeddedVersion());
  CHECK(b.to_version == db::LatestEmbeddedVersion());
  CHECK(AppliedRows(first).size() == static_cast<std::size_t>(EmbeddedMigrationCount()));
}
