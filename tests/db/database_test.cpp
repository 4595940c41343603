#include "monotube/db/database.hpp"

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <latch>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <soci/soci.h>

#include "monotube/errors.hpp"

#include "support/temp_dir.hpp"
#include "support/test_database.hpp"

using namespace monotube;
using monotube::test::TestDatabase;

namespace {

template <class Exception, class F>
std::string MessageOf(F&& fn) {
  try {
    fn();
  } catch (const Exception& e) {
    return e.what();
  }
  FAIL("no exception of the expected type was thrown");
  return {};
}

int CountRows(db::Database& database, const std::string& table) {
  return database.WithSession([&](soci::session& session) {
    int count = 0;
    session << "SELECT COUNT(*) FROM " + table, soci::into(count);
    return count;
  });
}

// Runs fn on `threads` pooled connections held at the same time.
void OnConcurrentConnections(db::Database& database, std::size_t threads,
                             const std::function<void(soci::session&)>& fn) {
  std::latch all_leased(static_cast<std::ptrdiff_t>(threads));
  std::vector<std::future<void>> results;
  for (std::size_t i = 0; i < threads; ++i) {
    results.push_back(std::async(std::launch::async, [&] {
      database.WithSession([&](soci::session& session) {
        all_leased.arrive_and_wait();
        fn(session);
      });
    }));
  }
  for (auto& result : results) result.get();
}

}  // namespace

TEST_CASE("Database rejects malformed URLs with a ConfigError naming database_url", "[db]") {
  for (std::string url :
       {"mysql://user@host/db", "postgresql://user@host:99999/db", "postgresql://user@host:x/db",
        "postgresql://user@host:5432", "postgresql://user@host:5432/",
        "sqlite:", "sqlite::memory:", "sqlite:///tmp/a=b.db", "/just/a/path"}) {
    INFO(url);
    db::DatabaseOptions options;
    options.url = url;
    std::string message = MessageOf<ConfigError>([&] { db::Database database(options); });
    CHECK_THAT(message, Catch::StartsWith("database_url: "));
  }
}

TEST_CASE("Database reports an unreachable PostgreSQL as Unavailable without the password", "[db]") {
  for (std::string password : {"s3cret-pw", "it's%20\"odd\""}) {
    db::DatabaseOptions options;
    options.url = "postgresql://alice:" + password + "@127.0.0.1:1/monotube?sslmode=disable";
    INFO(options.url);
    try {
      db::Database database(options);
      FAIL("connected to port 1");
    } catch (const Unavailable& e) {
      CHECK(e.code() == "database_unavailable");
      CHECK_THAT(e.what(), Catch::Contains("postgresql://alice@127.0.0.1:1/monotube"));
      CHECK_THAT(e.what(), Catch::Contains("refused"));
      CHECK_THAT(e.what(), !Catch::Contains(password));
    }
  }
}

TEST_CASE("Database creates the SQLite file and its directory, with WAL and foreign keys on", "[db]") {
  test::TempDir dir;
  db::DatabaseOptions options;
  options.sqlite_path = dir / "nested" / "data" / "monotube.db";
  db::Database database(options);
  CHECK(database.dialect() == db::Dialect::kSqlite);
  CHECK(database.Describe() == "sqlite:" + options.sqlite_path.string());
  CHECK(std::filesystem::exists(options.sqlite_path));
  database.WithSession([](soci::session& session) {
    std::string journal_mode;
    int foreign_keys = 0;
    int synchronous = 0;
    session << "PRAGMA journal_mode", soci::into(journal_mode);
    session << "PRAGMA foreign_keys", soci::into(foreign_keys);
    session << "PRAGMA synchronous", soci::into(synchronous);
    CHECK(journal_mode == "wal");
    CHECK(foreign_keys == 1);
    CHECK(synchronous == 1);  // NORMAL
  });

  db::DatabaseOptions by_url;
  by_url.url = "sqlite://" + options.sqlite_path.string();
  CHECK(db::Database(by_url).Describe() == database.Describe());
}

TEST_CASE("Database describes the test database without secrets", "[db]") {
  TestDatabase test_database;
  db::Database& database = test_database.db();
  CHECK(database.dialect() == test_database.dialect());
  if (database.dialect() == db::Dialect::kPostgresql) {
    CHECK_THAT(database.Describe(), Catch::StartsWith("postgresql://"));
    CHECK_THAT(database.Describe(), Catch::EndsWith("/" + test_database.database_name()));
  } else {
    CHECK_THAT(database.Describe(), Catch::StartsWith("sqlite:/"));
  }
  database.Ping();
}

TEST_CASE("Database.InTransaction commits when the function returns and rolls back when it throws", "[db]") {
  TestDatabase test_database;
  db::Database& database = test_database.db();
  database.WithSession([](soci::session& session) { session << "CREATE TABLE notes (body TEXT NOT NULL)"; });

  int returned = database.InTransaction([](soci::session& session) {
    session << "INSERT INTO notes (body) VALUES ('kept')";
    return 7;
  });
  CHECK(returned == 7);
  CHECK_THROWS_WITH(database.InTransaction([](soci::session& session) {
    session << "INSERT INTO notes (body) VALUES ('rolled back')";
    throw std::runtime_error("changed my mind");
  }),
                    "changed my mind");
  // A failing statement inside the transaction rolls back the earlier ones too.
  CHECK_THROWS(database.InTransaction([](soci::session& session) {
    session << "INSERT INTO notes (body) VALUES ('also rolled back')";
    session << "INSERT INTO notes (body) VALUES (NULL)";
  }));
  CHECK(CountRows(database, "notes") == 1);
  // The connections are still usable afterwards.
  database.InTransaction(
      [](soci::session& session) { session << "INSERT INTO notes (body) VALUES ('again')"; });
  CHECK(CountRows(database, "notes") == 2);
}

TEST_CASE("Database lets many threads write at once without 'database is locked'", "[db][concurrency]") {
  TestDatabase test_database;
  db::Database& database = test_database.db();
  database.WithSession([](soci::session& session) {
    session << "CREATE TABLE counter (n INTEGER NOT NULL, writer INTEGER NOT NULL)";
  });
  constexpr int kThreads = 16;  // twice the pool, so threads also wait for connections
  constexpr int kWritesPerThread = 25;
  std::vector<std::future<void>> writers;
  for (int writer = 0; writer < kThreads; ++writer) {
    writers.push_back(std::async(std::launch::async, [&database, writer] {
      for (int i = 0; i < kWritesPerThread; ++i) {
        // Read, then write: on SQLite a deferred transaction here would fail with SQLITE_BUSY.
        database.InTransaction([writer](soci::session& session) {
          int next = 0;
          session << "SELECT COALESCE(MAX(n), 0) + 1 FROM counter", soci::into(next);
          int who = writer;
          session << "INSERT INTO counter (n, writer) VALUES (:n, :writer)", soci::use(next), soci::use(who);
        });
        // And a plain autocommit write outside any transaction.
        database.WithSession([writer](soci::session& session) {
          int who = writer;
          session << "INSERT INTO counter (n, writer) VALUES (0, :writer)", soci::use(who);
        });
      }
    }));
  }
  for (auto& writer : writers) REQUIRE_NOTHROW(writer.get());
  CHECK(CountRows(database, "counter") == 2 * kThreads * kWritesPerThread);
  if (database.dialect() == db::Dialect::kSqlite) {
    // BEGIN IMMEDIATE serialises the read-then-write transactions completely.
    int distinct = database.WithSession([](soci::session& session) {
      int count = 0;
      session << "SELECT COUNT(DISTINCT n) FROM counter WHERE n > 0", soci::into(count);
      return count;
    });
    CHECK(distinct == kThreads * kWritesPerThread);
  }
}

TEST_CASE("Database gives up with Unavailable when every pooled connection stays busy", "[db]") {
  TestDatabase test_database;
  db::DatabaseOptions options = test_database.options();
  options.pool_size = 1;
  options.acquire_timeout = std::chrono::milliseconds(200);
  db::Database database(options);

  std::promise<void> leased;
  std::promise<void> release;
  auto holder = std::async(std::launch::async, [&] {
    database.WithSession([&](soci::session&) {
      leased.set_value();
      release.get_future().wait();
    });
  });
  leased.get_future().wait();
  auto started = std::chrono::steady_clock::now();
  try {
    database.WithSession([](soci::session&) {});
    FAIL("got a connection from an exhausted pool");
  } catch (const Unavailable& e) {
    CHECK(e.code() == "database_busy");
  }
  CHECK(std::chrono::steady_clock::now() - started >= std::chrono::milliseconds(150));
  release.set_value();
  holder.get();
  database.WithSession([](soci::session&) {});  // free again
}

TEST_CASE("Database.Ping fails while PostgreSQL refuses connections and recovers afterwards",
          "[db][postgresql]") {
  TestDatabase test_database;
  if (test_database.dialect() != db::Dialect::kPostgresql) {
    SUCCEED("PostgreSQL only");
    return;
  }
  db::Database& database = test_database.db();
  const std::string name = test_database.database_name();
  // Open every pooled connection, so that all of them are cut below.
  OnConcurrentConnections(database, database.pool_size(), [](soci::session& session) {
    int one = 0;
    session << "SELECT 1", soci::into(one);
  });

  test_database.ExecuteAsAdmin("ALTER DATABASE " + name + " ALLOW_CONNECTIONS false");
  test_database.ExecuteAsAdmin("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" +
                               name + "' AND pid <> pg_backend_pid()");
  // pg_terminate_backend only signals: wait until the backends are gone.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  db::DatabaseOptions admin_options;
  admin_options.url = std::getenv("MONOTUBE_TEST_PG_URL");
  admin_options.pool_size = 1;
  db::Database admin(admin_options);
  for (;;) {
    int remaining = admin.WithSession([&name](soci::session& session) {
      int count = 0;
      session << "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = :name", soci::use(name),
          soci::into(count);
      return count;
    });
    if (remaining == 0) break;
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }

  try {
    database.Ping();
    FAIL("Ping succeeded while the database refuses connections");
  } catch (const Unavailable& e) {
    CHECK(e.code() == "database_unavailable");
    CHECK_THAT(e.what(), Catch::Contains(name));
  }
  CHECK_THROWS_AS(database.Ping(), Unavailable);  // still down, still a clean error

  test_database.ExecuteAsAdmin("ALTER DATABASE " + name + " ALLOW_CONNECTIONS true");
  database.Ping();
  // Every pooled connection works again, not only the one Ping used.
  OnConcurrentConnections(database, database.pool_size(), [](soci::session& session) {
    int two = 0;
    session << "SELECT 2", soci::into(two);
    CHECK(two == 2);
  });
}

TEST_CASE("Database errors keep the SQL but never the bound values, and flag unique violations", "[db]") {
  TestDatabase test_database;
  db::Database& database = test_database.db();
  database.WithSession([](soci::session& session) {
    session << "CREATE TABLE names (name TEXT NOT NULL UNIQUE, secret TEXT NOT NULL)";
  });
  auto insert = [&database](std::string name, std::string secret) {
    database.WithSession([&](soci::session& session) {
      session << "INSERT INTO names (name, secret) VALUES (:name, :secret)", soci::use(name),
          soci::use(secret);
    });
  };
  insert("alice", "first-secret");
  try {
    insert("alice", "token-4f9a2c");
    FAIL("inserted a duplicate");
  } catch (const db::DatabaseError& e) {
    CHECK(db::IsUniqueViolation(e));
    CHECK(e.kind() == db::DatabaseError::Kind::kUniqueViolation);
    CHECK_THAT(e.what(), Catch::Contains("INSERT INTO names"));
    CHECK_THAT(e.what(), !Catch::Contains("token-4f9a2c") && !Catch::Contains("alice"));
  }
  try {
    database.WithSession(
        [](soci::session& session) { session << "INSERT INTO names (name, secret) VALUES ('b', NULL)"; });
    FAIL("inserted a NULL");
  } catch (const db::DatabaseError& e) {
    CHECK_FALSE(db::IsUniqueViolation(e));
  }
  // Other exceptions pass through WithSession untouched.
  CHECK_THROWS_AS(database.WithSession([](soci::session&) { throw NotFound("nothing here"); }), NotFound);
}

TEST_CASE("ExecuteAndCountRows reports how many rows a statement changed", "[db]") {
  TestDatabase test_database;
  db::Database& database = test_database.db();
  database.WithSession([&database](soci::session& session) {
    session << "CREATE TABLE items (id INTEGER NOT NULL, state TEXT NOT NULL)";
    session << "INSERT INTO items (id, state) VALUES (1, 'new'), (2, 'new'), (3, 'old')";
    std::string from = "new";
    std::string to = "seen";
    soci::statement update = (session.prepare << "UPDATE items SET state = :to WHERE state = :from",
                              soci::use(to), soci::use(from));
    CHECK(db::ExecuteAndCountRows(update) == 2);
    CHECK(db::ExecuteAndCountRows(update) == 0);
    CHECK(db::DialectOf(session) == database.dialect());
  });
}
