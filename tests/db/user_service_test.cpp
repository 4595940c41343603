#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <soci/soci.h>
#include <sodium.h>

#include "monotube/clock.hpp"
#include "monotube/errors.hpp"
#include "monotube/ids.hpp"

#include "modules/auth/passwords.hpp"
#include "modules/auth/users.hpp"
#include "support/test_database.hpp"

using namespace monotube;
using auth::NewUser;
using auth::UserRepository;
using auth::UserService;

namespace {

struct UsersFixture {
  test::TestDatabase test_database;
  ManualClock clock;
  db::Database& database = test_database.Migrated();
  UserService service{database, clock};
  UserRepository& users = service.repository();
};

NewUser Alice() { return NewUser{"Alice", "Alice@Example.com", "correct horse battery", "creator"}; }

template <class Exception>
std::string CodeOf(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Exception& e) {
    return e.code();
  }
  return "(nothing thrown)";
}

}  // namespace

TEST_CASE("UserService creates a user with an argon2id hash and never stores the password", "[users]") {
  UsersFixture f;
  auth::User user = f.service.CreateUser(Alice());
  CHECK(user.id > 0);
  CHECK(IsValidPublicId(user.public_id));
  CHECK(user.username == "Alice");
  CHECK(user.email == "Alice@Example.com");
  CHECK(user.role == "creator");
  CHECK(user.display_name == "Alice");
  CHECK_FALSE(user.suspended);
  CHECK(user.created_at_ms == f.clock.NowMs());

  auto hash = f.users.FindPasswordHash(user.id);
  REQUIRE(hash);
  CHECK_THAT(*hash, Catch::StartsWith("$argon2id$"));
  CHECK(auth::VerifyPassword(*hash, "correct horse battery"));
  CHECK_FALSE(auth::VerifyPassword(*hash, "correct horse battery!"));
  CHECK_FALSE(auth::PasswordNeedsRehash(*hash));

  // The plain password appears in no column of the row.
  f.database.WithSession([&](soci::session& session) {
    std::string row;
    long long id = user.id;
    session << "SELECT public_id || username || username_lower || email || email_lower || password_hash || "
               "role || "
               "display_name || bio FROM users WHERE id = :id",
        soci::use(id), soci::into(row);
    CHECK(row.find("correct horse battery") == std::string::npos);
  });

  auto found = f.users.FindByPublicId(user.public_id);
  REQUIRE(found);
  CHECK(found->id == user.id);
  CHECK(found->email == "Alice@Example.com");
}

TEST_CASE("UserService rejects invalid usernames, e-mails, passwords and roles", "[users]") {
  UsersFixture f;
  struct Case {
    NewUser request;
    std::string code;
  };
  auto with = [](auto change) {
    NewUser request = Alice();
    change(request);
    return request;
  };
  const std::vector<Case> cases = {
      {with([](NewUser& r) { r.username = "ab"; }), "invalid_username"},
      {with([](NewUser& r) { r.username = std::string(31, 'a'); }), "invalid_username"},
      {with([](NewUser& r) { r.username = "has space"; }), "invalid_username"},
      {with([](NewUser& r) { r.username = "emoji\xF0\x9F\x98\x80"; }), "invalid_username"},
      {with([](NewUser& r) { r.username = "a@b"; }), "invalid_username"},
      {with([](NewUser& r) { r.email = "no-at-sign"; }), "invalid_email"},
      {with([](NewUser& r) { r.email = "two@@example.com"; }), "invalid_email"},
      {with([](NewUser& r) { r.email = "user@localhost"; }), "invalid_email"},
      {with([](NewUser& r) { r.email = "user@exa mple.com"; }), "invalid_email"},
      {with([](NewUser& r) { r.email = ".user@example.com"; }), "invalid_email"},
      {with([](NewUser& r) { r.email = "user@-example.com"; }), "invalid_email"},
      {with([](NewUser& r) { r.password = "short"; }), "invalid_password"},
      {with([](NewUser& r) { r.password = std::string(129, 'x'); }), "invalid_password"},
      {with([](NewUser& r) { r.role = "superuser"; }), "invalid_role"},
      {with([](NewUser& r) { r.role = ""; }), "invalid_role"},
  };
  for (const Case& c : cases) {
    INFO("username '" << c.request.username << "' email '" << c.request.email << "' role '" << c.request.role
                      << "'");
    CHECK(CodeOf<InvalidInput>([&] { f.service.CreateUser(c.request); }) == c.code);
  }
  // Edges that are fine: exact lengths, allowed punctuation, multi-byte password characters.
  CHECK_NOTHROW(f.service.CreateUser(NewUser{"a_b", "a.b+tag@sub.example.org", "0123456789", "viewer"}));
  CHECK_NOTHROW(
      f.service.CreateUser(NewUser{std::string(30, 'z'), "z@example.com",
                                   "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9"
                                   "\xC3\xA9\xC3\xA9",
                                   "admin"}));
  CHECK_FALSE(f.users.FindByLogin("Alice"));  // nothing invalid was stored

  CHECK_NOTHROW(auth::ValidateDisplayName("Zed Z."));
  CHECK_THROWS_AS(auth::ValidateDisplayName(""), InvalidInput);
  CHECK_THROWS_AS(auth::ValidateDisplayName(std::string(51, 'd')), InvalidInput);
  CHECK_THROWS_AS(auth::ValidateDisplayName("tab\there"), InvalidInput);
}

TEST_CASE("UserService refuses usernames and e-mails that differ only in case", "[users]") {
  UsersFixture f;
  f.service.CreateUser(Alice());
  CHECK(CodeOf<Conflict>([&] {
          f.service.CreateUser(NewUser{"aLiCe", "other@example.com", "correct horse battery", "viewer"});
        }) == "username_taken");
  CHECK(CodeOf<Conflict>([&] {
          f.service.CreateUser(NewUser{"bob", "ALICE@example.COM", "correct horse battery", "viewer"});
        }) == "email_taken");
}

TEST_CASE("UserRepository finds users by username or e-mail ignoring case", "[users]") {
  UsersFixture f;
  auth::User alice = f.service.CreateUser(Alice());
  for (std::string login : {"alice", "ALICE", "alice@example.com", "ALICE@EXAMPLE.COM"}) {
    INFO(login);
    auto found = f.users.FindByLogin(login);
    REQUIRE(found);
    CHECK(found->public_id == alice.public_id);
  }
  CHECK_FALSE(f.users.FindByLogin("alice2"));
  CHECK_FALSE(f.users.FindByLogin(""));
  CHECK_FALSE(f.users.FindByPublicId("AAAAAAAAAAA"));
  CHECK(f.users.UsernameTaken("ALICE"));
  CHECK(f.users.EmailTaken("alice@EXAMPLE.com"));
  CHECK_FALSE(f.users.EmailTaken("bob@example.com"));
}

TEST_CASE("UserRepository turns a lost uniqueness race into Conflict", "[users]") {
  UsersFixture f;
  auth::UserInsert row{NewPublicId(), "Carol", "carol@example.com", auth::HashPassword("a long password"),
                       "viewer",      "Carol", f.clock.NowMs()};
  f.users.Insert(row);
  auth::UserInsert same_name = row;
  same_name.public_id = NewPublicId();
  same_name.username = "CAROL";
  same_name.email = "carol2@example.com";
  CHECK(CodeOf<Conflict>([&] { f.users.Insert(same_name); }) == "username_taken");
  auth::UserInsert same_email = row;
  same_email.public_id = NewPublicId();
  same_email.username = "carol2";
  same_email.email = "Carol@Example.com";
  CHECK(CodeOf<Conflict>([&] { f.users.Insert(same_email); }) == "email_taken");
}

TEST_CASE("Password hashes verify, and weak or foreign hashes need a rehash", "[users]") {
  std::string hash = auth::HashPassword("correct horse battery");
  CHECK_THAT(hash, Catch::StartsWith("$argon2id$v=19$m=65536,t=2,p=1$"));
  CHECK(hash != auth::HashPassword("correct horse battery"));  // salted
  CHECK(auth::VerifyPassword(hash, "correct horse battery"));
  CHECK_FALSE(auth::VerifyPassword(hash, "Correct horse battery"));
  CHECK_FALSE(auth::PasswordNeedsRehash(hash));

  REQUIRE(sodium_init() >= 0);
  char weak[crypto_pwhash_STRBYTES];
  REQUIRE(crypto_pwhash_str_alg(weak, "pw", 2, crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN,
                                crypto_pwhash_ALG_ARGON2ID13) == 0);
  CHECK(auth::VerifyPassword(weak, "pw"));
  CHECK(auth::PasswordNeedsRehash(weak));

  CHECK_FALSE(auth::VerifyPassword("not a hash", "pw"));
  CHECK_FALSE(auth::VerifyPassword("", ""));
  CHECK(auth::PasswordNeedsRehash("not a hash"));
  CHECK(auth::PasswordNeedsRehash("$2b$12$abcdefghijklmnopqrstuv"));
}
