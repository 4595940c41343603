// Sessions, reset tokens and rate limits against the real database (SQLite and PostgreSQL).
#include <atomic>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "monotube/clock.hpp"
#include "monotube/errors.hpp"
#include "monotube/rate_limit.hpp"
#include "modules/auth/sessions.hpp"
#include "modules/auth/users.hpp"
#include "support/test_database.hpp"

using namespace monotube;
using namespace std::chrono_literals;

namespace {

struct Fixture {
  test::TestDatabase test_database;
  ManualClock clock;
  db::Database& database = test_database.Migrated();
  auth::UserService users{database, clock};
  auth::SessionRepository sessions{database};
  auth::PasswordResetRepository resets{database};
  RateLimiter limiter{database, clock};

  std::int64_t MakeUser(const std::string& name) {
    return users.CreateUser({name, name + "@example.org", "a long enough passphrase", "viewer"}).id;
  }
};

}  // namespace

TEST_CASE_METHOD(Fixture, "Sessions are found by token hash until they expire", "[db][sessions]") {
  auto ada = MakeUser("ada");
  std::string token = auth::NewSecretToken();
  REQUIRE(token.size() == 43);
  REQUIRE(auth::HashSecretToken(token) != token);
  REQUIRE(auth::HashSecretToken(token).size() == 64);
  auto now = clock.NowMs();
  auto session = sessions.Create({ada, auth::HashSecretToken(token), now, now + 1000, "agent", "10.0.0.1"});
  REQUIRE(session.public_id.size() == 11);

  auto found = sessions.FindValid(auth::HashSecretToken(token), now);
  REQUIRE(found);
  REQUIRE(found->user_id == ada);
  REQUIRE(found->user_agent == "agent");
  REQUIRE_FALSE(sessions.FindValid(auth::HashSecretToken(auth::NewSecretToken()), now));
  REQUIRE_FALSE(sessions.FindValid(token, now));  // the raw token is not what is stored

  sessions.Touch(session.id, now + 900, now + 5000);
  REQUIRE(sessions.FindValid(auth::HashSecretToken(token), now + 4999));
  REQUIRE_FALSE(sessions.FindValid(auth::HashSecretToken(token), now + 5000));
  REQUIRE(sessions.DeleteExpired(now + 5000) == 1);
  REQUIRE(sessions.ListForUser(ada, now).empty());
}

TEST_CASE_METHOD(Fixture, "Ending all sessions can keep the current one, and stays within the user",
                 "[db][sessions]") {
  auto ada = MakeUser("ada");
  auto bob = MakeUser("bob");
  auto now = clock.NowMs();
  std::vector<auth::Session> mine;
  for (int i = 0; i < 3; ++i)
    mine.push_back(sessions.Create({ada, auth::HashSecretToken(auth::NewSecretToken()), now, now + 60000, "", ""}));
  sessions.Create({bob, auth::HashSecretToken(auth::NewSecretToken()), now, now + 60000, "", ""});
  REQUIRE(sessions.DeleteAllForUser(ada, mine[1].id) == 2);
  auto left = sessions.ListForUser(ada, now);
  REQUIRE(left.size() == 1);
  REQUIRE(left[0].id == mine[1].id);
  REQUIRE(sessions.ListForUser(bob, now).size() == 1);
  REQUIRE_FALSE(sessions.DeleteForUser(bob, mine[1].public_id));  // not Bob's
  REQUIRE(sessions.DeleteForUser(ada, mine[1].public_id));
}

TEST_CASE_METHOD(Fixture, "Deleting a user takes their sessions and reset tokens along", "[db][sessions]") {
  auto ada = MakeUser("ada");
  auto now = clock.NowMs();
  std::string token = auth::NewSecretToken();
  sessions.Create({ada, auth::HashSecretToken(token), now, now + 60000, "", ""});
  std::string reset = auth::NewSecretToken();
  resets.Create(ada, auth::HashSecretToken(reset), now, now + 60000);
  REQUIRE(users.repository().Delete(ada));
  REQUIRE_FALSE(sessions.FindValid(auth::HashSecretToken(token), now));
  REQUIRE_FALSE(resets.Consume(auth::HashSecretToken(reset), now));
}

TEST_CASE_METHOD(Fixture, "A reset token works once, before it expires, even under concurrent use",
                 "[db][reset]") {
  auto ada = MakeUser("ada");
  auto now = clock.NowMs();
  std::string token = auth::NewSecretToken();
  resets.Create(ada, auth::HashSecretToken(token), now, now + 1000);
  REQUIRE_FALSE(resets.Consume(auth::HashSecretToken(token), now + 1000));  // expired at the edge

  std::string fresh = auth::NewSecretToken();
  resets.Create(ada, auth::HashSecretToken(fresh), now, now + 60000);
  std::atomic<int> winners{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 6; ++i)
    threads.emplace_back([&] {
      if (resets.Consume(auth::HashSecretToken(fresh), now)) ++winners;
    });
  for (auto& thread : threads) thread.join();
  REQUIRE(winners == 1);
  REQUIRE(resets.DeleteExpired(now + 60000) == 2);
}

TEST_CASE_METHOD(Fixture, "Rate limits count a sliding window and say when to retry", "[db][ratelimit]") {
  RateLimit limit{3, 60s};
  for (int i = 0; i < 3; ++i) {
    limiter.Hit("login:account:1", limit, "slow down");
    clock.Advance(10'000);
  }
  // Hits at t=0, 10, 20 s; now t=30 s: the oldest leaves the window at t=60 s.
  try {
    limiter.Hit("login:account:1", limit, "slow down");
    FAIL("the fourth hit was allowed");
  } catch (const RateLimited& e) {
    REQUIRE(e.status() == 429);
    REQUIRE(std::string(e.what()) == "slow down");
    REQUIRE(e.retry_after_seconds() == 30);
  }
  REQUIRE(limiter.Count("login:account:1", 60s) == 3);  // the refused hit was not kept
  REQUIRE(limiter.Count("login:account:2", 60s) == 0);  // buckets are separate
  limiter.Hit("login:account:2", limit, "slow down");

  clock.Advance(30'001);  // t=60.001 s: the hit at t=0 has left the window
  auto id = limiter.Hit("login:account:1", limit, "slow down");
  REQUIRE_THROWS_AS(limiter.Hit("login:account:1", limit, "slow down"), RateLimited);
  limiter.Forget(id);
  limiter.Hit("login:account:1", limit, "slow down");

  REQUIRE(limiter.Prune(60s) == 1);  // only the hit at t=0 is older than a minute
}

TEST_CASE_METHOD(Fixture, "Concurrent hits never let more than the limit through", "[db][ratelimit]") {
  RateLimit limit{10, 60s};
  std::atomic<int> allowed{0};
  std::atomic<int> refused{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&] {
      for (int j = 0; j < 4; ++j) {
        try {
          limiter.Hit("signup:address:10.0.0.1", limit, "slow down");
          ++allowed;
        } catch (const RateLimited&) {
          ++refused;
        }
      }
    });
  for (auto& thread : threads) thread.join();
  REQUIRE(allowed + refused == 32);
  REQUIRE(allowed <= 10);
  REQUIRE(allowed >= 1);
  REQUIRE(limiter.Count("signup:address:10.0.0.1", 60s) == allowed);
}
