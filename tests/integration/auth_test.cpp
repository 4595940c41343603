// Accounts over HTTP against the real server: sign-up, log-in, sessions, CSRF, brute-force
// limits (also across two servers on one database), password reset, profiles, export and
// deletion, and the authorisation matrix of every account endpoint.
#include <catch2/catch.hpp>

#include <fstream>
#include <mutex>
#include <regex>

#include "monotube/process.hpp"
#include "support/accounts.hpp"
#include "support/smtp_server.hpp"
#include "support/test_app.hpp"

using namespace std::chrono_literals;
using monotube::ManualClock;
using monotube::test::Headers;
using monotube::test::HttpResult;
using monotube::test::LogIn;
using monotube::test::MakeAccount;
using monotube::test::RequireApiError;
using monotube::test::SendJson;
using monotube::test::TestAccount;
using monotube::test::TestApp;
using monotube::test::TestAppOptions;
using nlohmann::json;

namespace {

struct Mail {
  std::string to;
  std::string subject;
  std::string text;
};

// Collects the mails the server sends instead of delivering them.
struct Outbox {
  std::mutex mutex;
  std::vector<Mail> mails;
  monotube::auth::SendMail Sender() {
    return [this](const std::string& to, const std::string& subject, const std::string& text) {
      std::lock_guard lock(mutex);
      mails.push_back({to, subject, text});
    };
  }
  std::vector<Mail> Snapshot() {
    std::lock_guard lock(mutex);
    return mails;
  }
};

std::string ResetTokenIn(const std::string& text) {
  std::smatch match;
  REQUIRE(std::regex_search(text, match, std::regex(R"(/reset-password#token=([A-Za-z0-9_-]+))")));
  return match[1];
}

HttpResult SignUp(TestApp& app, const std::string& username, const std::string& email,
                  const std::string& password = monotube::test::kTestPassword) {
  return SendJson(app, "POST", "/api/auth/signup", {{"username", username}, {"email", email}, {"password", password}});
}

HttpResult LogInRaw(TestApp& app, const std::string& login, const std::string& password, Headers headers = {}) {
  return SendJson(app, "POST", "/api/auth/login", {{"login", login}, {"password", password}}, std::move(headers));
}

void RequireFieldError(const HttpResult& result, int status, const std::string& field, const std::string& code) {
  INFO(result.body);
  REQUIRE(result.status == status);
  REQUIRE(result.Json()["error"]["fields"][field]["code"] == code);
}

}  // namespace

TEST_CASE("Sign-up creates a logged-in creator with a secure session cookie", "[auth]") {
  TestApp app;
  auto result = SignUp(app, "Ada.Lovelace", "ada@example.org");
  INFO(result.body);
  REQUIRE(result.status == 201);
  auto body = result.Json();
  auto user = body["user"];
  REQUIRE(user["username"] == "Ada.Lovelace");
  REQUIRE(user["display_name"] == "Ada.Lovelace");
  REQUIRE(user["role"] == "creator");
  REQUIRE(user["subscriber_count"] == 0);
  REQUIRE(user["email"] == "ada@example.org");
  REQUIRE(user["id"].get<std::string>().size() == 11);
  REQUIRE(std::regex_match(user["created_at"].get<std::string>(),
                           std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z)")));
  REQUIRE_FALSE(user.contains("password_hash"));
  std::string token = body["token"];
  REQUIRE(token.size() >= 43);

  std::string cookie = result.Header("Set-Cookie");
  REQUIRE(cookie.find("monotube_session=" + token) == 0);
  REQUIRE(cookie.find("HttpOnly") != std::string::npos);
  REQUIRE(cookie.find("SameSite=Lax") != std::string::npos);
  REQUIRE(cookie.find("Path=/") != std::string::npos);
  REQUIRE(cookie.find("Secure") == std::string::npos);  // plain HTTP here

  // The token works as a Bearer token and as the cookie.
  auto me = app.Get("/api/me", {{"Authorization", "Bearer " + token}});
  REQUIRE(me.status == 200);
  REQUIRE(me.Json()["user"]["username"] == "Ada.Lovelace");
  REQUIRE(me.Header("Cache-Control") == "no-store");
  auto by_cookie = app.Get("/api/me", {{"Cookie", "monotube_session=" + token}});
  REQUIRE(by_cookie.status == 200);
  REQUIRE(by_cookie.Json()["csrf_token"] == body["csrf_token"]);

  // The public channel view has no e-mail.
  auto channel = app.Get("/api/users/" + user["id"].get<std::string>());
  REQUIRE(channel.status == 200);
  REQUIRE(channel.Json()["user"]["username"] == "Ada.Lovelace");
  REQUIRE_FALSE(channel.Json()["user"].contains("email"));
}

TEST_CASE("Sign-up reports every wrong field at once", "[auth]") {
  TestApp app;
  auto result = SignUp(app, "x", "not-an-address", "short");
  INFO(result.body);
  REQUIRE(result.status == 400);
  auto fields = result.Json()["error"]["fields"];
  REQUIRE(fields["username"]["code"] == "invalid_username");
  REQUIRE(fields["email"]["code"] == "invalid_email");
  REQUIRE(fields["password"]["code"] == "invalid_password");

  RequireFieldError(SignUp(app, "user name", "a@example.org"), 400, "username", "invalid_username");
  RequireFieldError(SignUp(app, std::string(31, 'a'), "a@example.org"), 400, "username", "invalid_username");
  RequireFieldError(SignUp(app, "valid_name", "a@example.org", std::string(129, 'x') + "Q1"), 400, "password",
                    "invalid_password");
  // Common passwords, also with digits added, and the username inside the password.
  RequireFieldError(SignUp(app, "valid_name", "a@example.org", "1234567890"), 400, "password", "invalid_password");
  RequireFieldError(SignUp(app, "valid_name", "a@example.org", "Password1234"), 400, "password", "invalid_password");
  RequireFieldError(SignUp(app, "valid_name", "a@example.org", "xxvalid_name2024"), 400, "password",
                    "invalid_password");
  // Missing fields and bodies that are not objects.
  RequireFieldError(SendJson(app, "POST", "/api/auth/signup", json::object()), 400, "username", "invalid_username");
  RequireApiError(SendJson(app, "POST", "/api/auth/signup", json::array()), 400, "invalid_body");
  RequireApiError(app.Send("POST", "/api/auth/signup", "{not json", {{"Content-Type", "application/json"}}), 400,
                  "invalid_json");
  RequireFieldError(SendJson(app, "POST", "/api/auth/signup", {{"username", 42}}), 400, "username", "invalid_field");
}

TEST_CASE("Usernames and e-mail addresses are unique regardless of case", "[auth]") {
  TestApp app;
  REQUIRE(SignUp(app, "grace", "grace@example.org").status == 201);
  RequireFieldError(SignUp(app, "GRACE", "other@example.org"), 409, "username", "username_taken");
  RequireFieldError(SignUp(app, "grace2", "Grace@Example.ORG"), 409, "email", "email_taken");
  auto both = SignUp(app, "Grace", "GRACE@example.org");
  REQUIRE(both.status == 409);
  REQUIRE(both.Json()["error"]["fields"].size() == 2);
}

TEST_CASE("Sign-up can be closed and can make viewers", "[auth]") {
  SECTION("closed") {
    TestApp app(monotube::test::Configured([](monotube::Config& config) { config.signup_open = false; }));
    RequireApiError(SignUp(app, "nobody", "nobody@example.org"), 403, "signup_closed");
  }
  SECTION("viewer role") {
    TestApp app(monotube::test::Configured([](monotube::Config& config) { config.signup_role = "viewer"; }));
    auto result = SignUp(app, "watcher", "watcher@example.org");
    REQUIRE(result.status == 201);
    REQUIRE(result.Json()["user"]["role"] == "viewer");
  }
}

TEST_CASE("Log-in works by username or e-mail and fails the same way for unknown accounts", "[auth]") {
  TestApp app;
  MakeAccount(app, "Linus");
  REQUIRE(LogInRaw(app, "linus", monotube::test::kTestPassword).status == 200);
  REQUIRE(LogInRaw(app, "LINUS@example.org", monotube::test::kTestPassword).status == 200);

  auto wrong = LogInRaw(app, "linus", "not the password");
  auto unknown = LogInRaw(app, "nobody-here", "not the password");
  RequireApiError(wrong, 401, "invalid_credentials");
  RequireApiError(unknown, 401, "invalid_credentials");
  REQUIRE(wrong.Json()["error"]["message"] == unknown.Json()["error"]["message"]);
  RequireApiError(LogInRaw(app, "", ""), 400, "missing_credentials");
  RequireApiError(LogInRaw(app, std::string(10000, 'a'), "x"), 401, "invalid_credentials");
}

TEST_CASE("Log-out ends the session for the cookie and the token", "[auth]") {
  TestApp app;
  TestAccount ada = MakeAccount(app, "ada");
  auto out = app.Send("POST", "/api/auth/logout", "", ada.Bearer());
  REQUIRE(out.status == 204);
  REQUIRE(out.Header("Set-Cookie").find("monotube_session=;") == 0);
  REQUIRE(out.Header("Set-Cookie").find("Max-Age=0") != std::string::npos);
  RequireApiError(app.Get("/api/me", ada.Bearer()), 401, "invalid_token");
  // A stale cookie is simply anonymous.
  RequireApiError(app.Get("/api/me", ada.CookieWithoutCsrf()), 401, "login_required");
  // Logging out again is harmless.
  REQUIRE(app.Send("POST", "/api/auth/logout", "").status == 204);
}

TEST_CASE("Cookie-authenticated writes need the CSRF token and the same origin", "[auth]") {
  TestApp app;
  TestAccount ada = MakeAccount(app, "ada");
  json change = {{"display_name", "Ada L."}};
  RequireApiError(SendJson(app, "PATCH", "/api/me", change, ada.CookieWithoutCsrf()), 403, "csrf_failed");
  RequireApiError(SendJson(app, "PATCH", "/api/me", change, ada.CookieWithoutCsrf({{"X-CSRF-Token", "0000"}})), 403,
                  "csrf_failed");
  RequireApiError(SendJson(app, "PATCH", "/api/me", change, ada.Cookie({{"Origin", "https://evil.example"}})), 403,
                  "cross_origin");
  auto ok = SendJson(app, "PATCH", "/api/me", change, ada.Cookie());
  REQUIRE(ok.status == 200);
  REQUIRE(ok.Json()["user"]["display_name"] == "Ada L.");
  // Reads need no token; Bearer clients are not exposed to CSRF and need none.
  REQUIRE(app.Get("/api/me", ada.CookieWithoutCsrf()).status == 200);
  REQUIRE(SendJson(app, "PATCH", "/api/me", change, ada.Bearer()).status == 200);
  // Another site's page cannot log a visitor in (login CSRF).
  RequireApiError(LogInRaw(app, "ada", ada.password, {{"Origin", "https://evil.example"}}), 403, "cross_origin");
  REQUIRE(LogInRaw(app, "ada", ada.password, {{"Origin", "http://127.0.0.1"}}).status == 200);  // Host: 127.0.0.1
}

TEST_CASE("The 11th wrong password in a minute is refused with 429, across two servers", "[auth][ratelimit]") {
  ManualClock clock(1'800'000'000'000);
  TestAppOptions options;
  options.clock = &clock;
  TestApp first(options);
  auto second = first.StartReplica();
  MakeAccount(first, "target");

  // Attempts alternate between the two servers sharing the database.
  for (int attempt = 1; attempt <= 10; ++attempt) {
    auto port = attempt % 2 ? first.port() : second->port();
    auto result = monotube::test::HttpRequest(port, "POST", "/api/auth/login",
                                              json{{"login", "target"}, {"password", "wrong password " +
                                                                                         std::to_string(attempt)}}
                                                  .dump(),
                                              {{"Content-Type", "application/json"}});
    INFO("attempt " << attempt);
    RequireApiError(result, 401, "invalid_credentials");
    clock.Advance(1000);
  }
  for (auto port : {first.port(), second->port()}) {
    auto limited = monotube::test::HttpRequest(
        port, "POST", "/api/auth/login", json{{"login", "target"}, {"password", "wrong again"}}.dump(),
        {{"Content-Type", "application/json"}});
    RequireApiError(limited, 429, "rate_limited");
    int retry_after = std::stoi(limited.Header("Retry-After"));
    REQUIRE(retry_after >= 1);
    REQUIRE(retry_after <= 60);
  }
  // Even the right password waits, and the e-mail address names the same account.
  RequireApiError(LogInRaw(first, "target", monotube::test::kTestPassword), 429, "rate_limited");
  RequireApiError(LogInRaw(first, "target@example.org", monotube::test::kTestPassword), 429, "rate_limited");
  // Other accounts are not affected.
  MakeAccount(first, "bystander");

  clock.Advance(61'000);
  REQUIRE(LogInRaw(first, "target", monotube::test::kTestPassword).status == 200);
}

TEST_CASE("Failed log-ins are limited per client address too", "[auth][ratelimit]") {
  TestApp app(monotube::test::Configured([](monotube::Config& config) {
    config.login_max_failures_per_address = 3;
    config.trusted_proxies = "127.0.0.1";
  }));
  for (int i = 0; i < 3; ++i)
    RequireApiError(LogInRaw(app, "user" + std::to_string(i), "wrong password", {{"X-Forwarded-For", "203.0.113.9"}}),
                    401, "invalid_credentials");
  RequireApiError(LogInRaw(app, "user9", "wrong password", {{"X-Forwarded-For", "203.0.113.9"}}), 429,
                  "rate_limited");
  // Another client behind the same trusted proxy is a different address.
  RequireApiError(LogInRaw(app, "user9", "wrong password", {{"X-Forwarded-For", "198.51.100.7"}}), 401,
                  "invalid_credentials");
}

TEST_CASE("X-Forwarded-For from an untrusted peer does not dodge the address limit", "[auth][ratelimit]") {
  TestApp app(monotube::test::Configured([](monotube::Config& config) { config.signup_max_per_address = 2; }));
  REQUIRE(SignUp(app, "first_one", "first@example.org").status == 201);
  REQUIRE(SignUp(app, "second_one", "second@example.org").status == 201);
  auto limited = SendJson(app, "POST", "/api/auth/signup",
                          {{"username", "third_one"}, {"email", "third@example.org"},
                           {"password", monotube::test::kTestPassword}},
                          {{"X-Forwarded-For", "192.0.2.55"}});
  RequireApiError(limited, 429, "rate_limited");
  REQUIRE_FALSE(limited.Header("Retry-After").empty());
}

TEST_CASE("Password reset: 202 always, a single-use link valid 30 minutes, all sessions end", "[auth][reset]") {
  ManualClock clock(1'800'000'000'000);
  Outbox outbox;
  TestAppOptions options;
  options.clock = &clock;
  options.send_mail = outbox.Sender();
  options.configure = [](monotube::Config& config) { config.public_url = "https://video.example.org/"; };
  TestApp app(options);
  TestAccount ada = MakeAccount(app, "ada");

  auto unknown = SendJson(app, "POST", "/api/auth/reset-password", {{"email", "nobody@example.org"}});
  REQUIRE(unknown.status == 202);
  auto known = SendJson(app, "POST", "/api/auth/reset-password", {{"email", "ADA@example.org"}});
  REQUIRE(known.status == 202);
  REQUIRE(known.body == unknown.body);  // nothing tells the two apart
  RequireApiError(SendJson(app, "POST", "/api/auth/reset-password", {{"email", "not an address"}}), 400,
                  "invalid_email");

  auto mails = outbox.Snapshot();
  REQUIRE(mails.size() == 1);
  REQUIRE(mails[0].to == "ada@example.org");
  REQUIRE(mails[0].text.find("https://video.example.org/reset-password#token=") != std::string::npos);
  std::string token = ResetTokenIn(mails[0].text);

  RequireFieldError(SendJson(app, "POST", "/api/auth/reset-password/confirm", {{"token", token}, {"password", "short"}}),
                    400, "password", "invalid_password");
  auto done = SendJson(app, "POST", "/api/auth/reset-password/confirm",
                       {{"token", token}, {"password", "a brand new passphrase"}});
  INFO(done.body);
  REQUIRE(done.status == 200);
  RequireApiError(app.Get("/api/me", ada.Bearer()), 401, "invalid_token");  // sessions ended
  RequireApiError(LogInRaw(app, "ada", ada.password), 401, "invalid_credentials");
  REQUIRE(LogInRaw(app, "ada", "a brand new passphrase").status == 200);
  // Single use.
  RequireApiError(SendJson(app, "POST", "/api/auth/reset-password/confirm",
                           {{"token", token}, {"password", "yet another passphrase"}}),
                  400, "invalid_reset_token");
  RequireApiError(SendJson(app, "POST", "/api/auth/reset-password/confirm",
                           {{"token", "made-up"}, {"password", "yet another passphrase"}}),
                  400, "invalid_reset_token");

  // A link older than 30 minutes no longer works.
  REQUIRE(SendJson(app, "POST", "/api/auth/reset-password", {{"email", "ada@example.org"}}).status == 202);
  std::string late_token = ResetTokenIn(outbox.Snapshot().back().text);
  clock.Advance(30 * 60 * 1000 + 1);
  RequireApiError(SendJson(app, "POST", "/api/auth/reset-password/confirm",
                           {{"token", late_token}, {"password", "yet another passphrase"}}),
                  400, "invalid_reset_token");
}

TEST_CASE("The reset mail reaches a real SMTP server and its link works", "[auth][reset][smtp]") {
  monotube::test::SmtpServer smtp;
  TestApp app(monotube::test::Configured([&](monotube::Config& config) {
    config.smtp_url = smtp.url();
    config.public_url = "http://127.0.0.1:8080";
  }));
  TestAccount ada = MakeAccount(app, "ada");
  REQUIRE(SendJson(app, "POST", "/api/auth/reset-password", {{"email", "ada@example.org"}}).status == 202);
  auto mail = smtp.WaitForMessage("ada@example.org");
  REQUIRE(mail.defects.empty());
  REQUIRE(mail.Header("Subject") == "Reset your monotube password");
  REQUIRE(mail.Header("From")->find("no-reply@") != std::string::npos);
  std::string token = ResetTokenIn(mail.body);
  REQUIRE(mail.body.find("http://127.0.0.1:8080/reset-password#token=" + token) != std::string::npos);
  auto done = SendJson(app, "POST", "/api/auth/reset-password/confirm",
                       {{"token", token}, {"password", "a brand new passphrase"}});
  REQUIRE(done.status == 200);
  REQUIRE(LogInRaw(app, "ada", "a brand new passphrase").status == 200);

  // With the mail server down the answer is still 202 at once; the mail is retried in
  // the background and the failure logged, never shown.
  smtp.Stop();
  auto started = std::chrono::steady_clock::now();
  REQUIRE(SendJson(app, "POST", "/api/auth/reset-password", {{"email", "ada@example.org"}}).status == 202);
  REQUIRE(std::chrono::steady_clock::now() - started < 2s);
}

TEST_CASE("Avatars are decoded, made square, served from storage and replaced cleanly", "[auth][avatar]") {
  TestApp app;
  TestAccount ada = MakeAccount(app, "ada");
  monotube::test::TempDir dir;
  auto png = dir / "picture.png";
  monotube::ProcessOptions make;
  make.argv = {"ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=320x180", "-frames:v", "1", png.string()};
  REQUIRE(monotube::RunProcess(make).exit_code == 0);
  std::ifstream in(png, std::ios::binary);
  std::string image((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());

  auto uploaded = app.Send("PUT", "/api/me/avatar", image, ada.Bearer({{"Content-Type", "image/png"}}));
  INFO(uploaded.body);
  REQUIRE(uploaded.status == 200);
  std::string url = uploaded.Json()["user"]["avatar_url"];
  REQUIRE(url.find("/media/avatars/" + ada.id + "/avatar-") == 0);
  REQUIRE(app.Get("/api/users/" + ada.id).Json()["user"]["avatar_url"] == url);

  auto served = app.Get(url);
  REQUIRE(served.status == 200);
  REQUIRE(served.Header("Content-Type") == "image/jpeg");
  REQUIRE(served.Header("Cache-Control").find("immutable") != std::string::npos);
  REQUIRE(served.body.substr(0, 3) == "\xFF\xD8\xFF");
  auto jpeg = dir / "served.jpg";
  std::ofstream(jpeg, std::ios::binary) << served.body;
  monotube::ProcessOptions probe;
  probe.argv = {"ffprobe", "-v", "error", "-show_entries", "stream=width,height", "-of", "csv=p=0", jpeg.string()};
  auto probed = monotube::RunProcess(probe);
  REQUIRE(probed.stdout_text.find("256,256") == 0);
  REQUIRE(app.Get(url, {{"If-None-Match", served.Header("ETag")}}).status == 304);

  // Not an image, whatever it claims to be; an empty body; too large.
  RequireApiError(app.Send("PUT", "/api/me/avatar", "<html>not a picture</html>",
                           ada.Bearer({{"Content-Type", "image/png"}})),
                  415, "invalid_image");
  RequireApiError(app.Send("PUT", "/api/me/avatar", "", ada.Bearer()), 400, "empty_image");
  RequireApiError(app.Send("PUT", "/api/me/avatar", std::string(10 * 1024 * 1024 + 1, 'x'), ada.Bearer()), 413,
                  "body_too_large");
  REQUIRE(app.Get(url).status == 200);  // the failed uploads left the avatar alone

  // A new avatar replaces the old file; removing it deletes it.
  auto again = app.Send("PUT", "/api/me/avatar", image, ada.Bearer({{"Content-Type", "image/png"}}));
  std::string second_url = again.Json()["user"]["avatar_url"];
  REQUIRE(second_url != url);
  RequireApiError(app.Get(url), 404, "avatar_not_found");
  auto removed = app.Send("DELETE", "/api/me/avatar", "", ada.Bearer());
  REQUIRE(removed.Json()["user"]["avatar_url"] == "");
  RequireApiError(app.Get(second_url), 404, "avatar_not_found");
  REQUIRE(app.app().storage().List("users/" + ada.id + "/").objects.empty());

  // Deleting the account deletes the stored files too.
  app.Send("PUT", "/api/me/avatar", image, ada.Bearer({{"Content-Type", "image/png"}}));
  REQUIRE(SendJson(app, "DELETE", "/api/me", {{"password", ada.password}}, ada.Bearer()).status == 204);
  auto& storage = app.app().storage();
  REQUIRE(storage.List("users/" + ada.id + "/").objects.empty());
}

TEST_CASE("Reset requests are limited per address", "[auth][reset][ratelimit]") {
  Outbox outbox;
  TestAppOptions options;
  options.send_mail = outbox.Sender();
  options.configure = [](monotube::Config& config) { config.reset_max_per_address = 2; };
  TestApp app(options);
  for (int i = 0; i < 2; ++i)
    REQUIRE(SendJson(app, "POST", "/api/auth/reset-password", {{"email", "x@example.org"}}).status == 202);
  RequireApiError(SendJson(app, "POST", "/api/auth/reset-password", {{"email", "x@example.org"}}), 429,
                  "rate_limited");
}

TEST_CASE("Changing the password needs the current one and ends the other sessions", "[auth]") {
  TestApp app;
  TestAccount laptop = MakeAccount(app, "ada");
  TestAccount phone = LogIn(app, "ada", laptop.password);

  RequireFieldError(SendJson(app, "POST", "/api/me/password",
                             {{"current_password", "wrong one"}, {"new_password", "another good passphrase"}},
                             laptop.Bearer()),
                    400, "current_password", "wrong_password");
  RequireFieldError(SendJson(app, "POST", "/api/me/password",
                             {{"current_password", laptop.password}, {"new_password", "qwertyuiop"}}, laptop.Bearer()),
                    400, "new_password", "invalid_password");
  auto changed = SendJson(app, "POST", "/api/me/password",
                          {{"current_password", laptop.password}, {"new_password", "another good passphrase"}},
                          laptop.Bearer());
  REQUIRE(changed.status == 204);
  REQUIRE(app.Get("/api/me", laptop.Bearer()).status == 200);
  RequireApiError(app.Get("/api/me", phone.Bearer()), 401, "invalid_token");
  REQUIRE(LogInRaw(app, "ada", "another good passphrase").status == 200);
}

TEST_CASE("Profiles: display name, bio, username and e-mail changes", "[auth]") {
  TestApp app;
  TestAccount ada = MakeAccount(app, "ada");
  MakeAccount(app, "bob");
  auto result = SendJson(app, "PATCH", "/api/me", {{"display_name", "Ada Lovelace"}, {"bio", "First programmer.\nHi!"}},
                         ada.Bearer());
  INFO(result.body);
  REQUIRE(result.status == 200);
  REQUIRE(result.Json()["user"]["bio"] == "First programmer.\nHi!");
  auto channel = app.Get("/api/users/" + ada.id).Json()["user"];
  REQUIRE(channel["display_name"] == "Ada Lovelace");
  REQUIRE(channel["bio"] == "First programmer.\nHi!");

  RequireFieldError(SendJson(app, "PATCH", "/api/me", {{"display_name", ""}}, ada.Bearer()), 400, "display_name",
                    "invalid_display_name");
  RequireFieldError(SendJson(app, "PATCH", "/api/me", {{"bio", std::string(1001, 'b')}}, ada.Bearer()), 400, "bio",
                    "invalid_bio");
  RequireFieldError(SendJson(app, "PATCH", "/api/me", {{"username", "ada_new"}}, ada.Bearer()), 400,
                    "current_password", "password_required");
  RequireFieldError(
      SendJson(app, "PATCH", "/api/me", {{"username", "BOB"}, {"current_password", ada.password}}, ada.Bearer()), 409,
      "username", "username_taken");
  RequireFieldError(
      SendJson(app, "PATCH", "/api/me", {{"email", "ada2@example.org"}, {"current_password", "wrong"}}, ada.Bearer()),
      400, "current_password", "wrong_password");
  auto renamed = SendJson(app, "PATCH", "/api/me",
                          {{"username", "ada_new"}, {"email", "ada2@example.org"}, {"current_password", ada.password}},
                          ada.Bearer());
  INFO(renamed.body);
  REQUIRE(renamed.status == 200);
  REQUIRE(LogInRaw(app, "ada2@example.org", ada.password).status == 200);
  REQUIRE(LogInRaw(app, "ada_new", ada.password).status == 200);
  // The same value again is no change and needs no password.
  REQUIRE(SendJson(app, "PATCH", "/api/me", {{"username", "ada_new"}, {"display_name", "A"}}, ada.Bearer()).status ==
          200);
}

TEST_CASE("Sessions can be listed and revoked one by one", "[auth]") {
  TestApp app;
  TestAccount laptop = MakeAccount(app, "ada");
  TestAccount phone = LogIn(app, "ada", laptop.password);
  TestAccount bob = MakeAccount(app, "bob");
  auto list = app.Get("/api/me/sessions", laptop.Bearer({{"User-Agent", "laptop-browser"}}));
  REQUIRE(list.status == 200);
  auto sessions = list.Json()["sessions"];
  REQUIRE(sessions.size() == 2);
  REQUIRE_FALSE(list.body.find(laptop.token) != std::string::npos);
  std::string phone_session;
  for (const auto& session : sessions)
    if (!session["current"].get<bool>()) phone_session = session["id"];
  REQUIRE_FALSE(phone_session.empty());
  // Bob cannot end Ada's session.
  RequireApiError(app.Send("DELETE", "/api/me/sessions/" + phone_session, "", bob.Bearer()), 404, "session_not_found");
  REQUIRE(app.Send("DELETE", "/api/me/sessions/" + phone_session, "", laptop.Bearer()).status == 204);
  RequireApiError(app.Get("/api/me", phone.Bearer()), 401, "invalid_token");
  REQUIRE(app.Get("/api/me", laptop.Bearer()).status == 200);
}

TEST_CASE("Suspended accounts lose their sessions and cannot log in", "[auth]") {
  TestApp app;
  TestAccount ada = MakeAccount(app, "ada");
  auto user = app.app().auth().accounts().users().FindByPublicId(ada.id);
  REQUIRE(user);
  app.app().auth().accounts().SetSuspended(*user, true);
  RequireApiError(app.Get("/api/me", ada.Bearer()), 401, "invalid_token");
  RequireApiError(LogInRaw(app, "ada", ada.password), 403, "account_suspended");
  // A wrong password still says only that the credentials are wrong.
  RequireApiError(LogInRaw(app, "ada", "wrong password"), 401, "invalid_credentials");
  app.app().auth().accounts().SetSuspended(*user, false);
  REQUIRE(LogInRaw(app, "ada", ada.password).status == 200);
}

TEST_CASE("The export holds everything stored about the user", "[auth][gdpr]") {
  TestApp app;
  TestAccount ada = MakeAccount(app, "ada");
  LogIn(app, "ada", ada.password);
  REQUIRE(SendJson(app, "PATCH", "/api/me", {{"bio", "Hello"}}, ada.Bearer()).status == 200);
  auto result = app.Get("/api/me/export", ada.Bearer());
  REQUIRE(result.status == 200);
  REQUIRE(result.Header("Content-Disposition") == "attachment; filename=\"monotube-ada-data.json\"");
  auto data = result.Json();
  REQUIRE(data["profile"]["username"] == "ada");
  REQUIRE(data["profile"]["email"] == "ada@example.org");
  REQUIRE(data["profile"]["bio"] == "Hello");
  REQUIRE(data["sessions"].size() == 2);
  REQUIRE(result.body.find("argon2") == std::string::npos);
  REQUIRE(result.body.find(ada.token) == std::string::npos);
}

TEST_CASE("Deleting the account needs the password and erases it", "[auth][gdpr]") {
  TestApp app;
  TestAccount ada = MakeAccount(app, "ada");
  RequireFieldError(SendJson(app, "DELETE", "/api/me", json::object(), ada.Bearer()), 400, "password",
                    "password_required");
  RequireFieldError(SendJson(app, "DELETE", "/api/me", {{"password", "wrong"}}, ada.Bearer()), 400, "password",
                    "wrong_password");
  auto deleted = SendJson(app, "DELETE", "/api/me", {{"password", ada.password}}, ada.Bearer());
  REQUIRE(deleted.status == 204);
  REQUIRE(deleted.Header("Set-Cookie").find("Max-Age=0") != std::string::npos);
  RequireApiError(app.Get("/api/users/" + ada.id), 404, "user_not_found");
  RequireApiError(LogInRaw(app, "ada", ada.password), 401, "invalid_credentials");
  RequireApiError(app.Get("/api/me", ada.Bearer()), 401, "invalid_token");
  // The name is free again.
  REQUIRE(SignUp(app, "ada", "ada@example.org").status == 201);
}

TEST_CASE("The first admin comes from the environment once", "[auth]") {
  TestApp app(monotube::test::Configured([](monotube::Config& config) {
    config.admin_username = "root";
    config.admin_email = "root@example.org";
    config.admin_password = "an admin passphrase";
  }));
  auto root = LogIn(app, "root", "an admin passphrase");
  REQUIRE(app.Get("/api/me", root.Bearer()).Json()["user"]["role"] == "admin");
  // A replica starting with the same settings does not make a second one.
  auto replica = app.StartReplica();
  REQUIRE(app.app().auth().accounts().users().CountWithRole("admin") == 1);
  // The only admin cannot delete their account; with a second admin they can.
  RequireApiError(SendJson(app, "DELETE", "/api/me", {{"password", "an admin passphrase"}}, root.Bearer()), 409,
                  "last_admin");
  MakeAccount(app, "deputy", "admin");
  REQUIRE(SendJson(app, "DELETE", "/api/me", {{"password", "an admin passphrase"}}, root.Bearer()).status == 204);
}

TEST_CASE("Unknown users are 404 and malformed ids never reach the database", "[auth]") {
  TestApp app;
  RequireApiError(app.Get("/api/users/AAAAAAAAAAA"), 404, "user_not_found");
  RequireApiError(app.Get("/api/users/'%20OR%201=1"), 404, "user_not_found");
  RequireApiError(app.Get("/api/users/" + std::string(300, 'a')), 404, "user_not_found");
}

// Each account endpoint, for each kind of caller. "owner" is the account the URL or the
// token names; "suspended" is an account suspended after logging in.
TEST_CASE("Authorisation matrix of the account endpoints", "[auth][authz]") {
  TestApp app;
  int serial = 0;
  auto make_actor = [&](const std::string& name) -> std::optional<TestAccount> {
    if (name == "anonymous") return std::nullopt;
    std::string role = name == "moderator" ? "moderator" : name == "admin" ? "admin" : "creator";
    TestAccount account = MakeAccount(app, name + std::to_string(serial++), role);
    if (name == "suspended") {
      auto user = app.app().auth().accounts().users().FindByPublicId(account.id);
      app.app().auth().accounts().SetSuspended(*user, true);
    }
    return account;
  };
  const std::vector<std::string> kActors = {"anonymous", "other", "owner", "moderator", "admin", "suspended"};

  struct Case {
    std::string method;
    std::string path;  // {owner} is replaced by the owner's id
    std::function<json(const TestAccount*)> body;
    std::map<std::string, int> expected;  // actor -> status
    bool destructive = false;             // needs fresh accounts for every caller
  };
  auto none = [](const TestAccount*) { return json(); };
  auto profile = [](const TestAccount*) { return json{{"display_name", "Changed"}}; };
  auto own_password = [](const TestAccount* a) { return json{{"password", a ? a->password : "x"}}; };
  auto change_password = [](const TestAccount* a) {
    return json{{"current_password", a ? a->password : "x"}, {"new_password", a ? a->password : "x"}};
  };
  std::map<std::string, int> me_only = {{"anonymous", 401}, {"other", 200}, {"owner", 200},
                                        {"moderator", 200}, {"admin", 200}, {"suspended", 401}};
  std::map<std::string, int> me_no_content = {{"anonymous", 401}, {"other", 204}, {"owner", 204},
                                              {"moderator", 204}, {"admin", 204}, {"suspended", 401}};
  std::vector<Case> cases = {
      {"GET", "/api/me", none, me_only},
      {"PATCH", "/api/me", profile, me_only},
      {"GET", "/api/me/export", none, me_only},
      {"GET", "/api/me/sessions", none, me_only},
      {"DELETE", "/api/me/avatar", none, me_only},
      {"PUT", "/api/me/avatar", none,
       {{"anonymous", 401}, {"other", 400}, {"owner", 400}, {"moderator", 400}, {"admin", 400}, {"suspended", 401}}},
      {"DELETE", "/api/me/sessions/AAAAAAAAAAA", none,
       {{"anonymous", 401}, {"other", 404}, {"owner", 404}, {"moderator", 404}, {"admin", 404}, {"suspended", 401}}},
      // The public channel view ignores who asks.
      {"GET", "/api/users/{owner}", none,
       {{"anonymous", 200}, {"other", 200}, {"owner", 200}, {"moderator", 200}, {"admin", 200}, {"suspended", 200}}},
      {"PUT", "/api/users/{owner}", profile,
       {{"anonymous", 401}, {"other", 403}, {"owner", 200}, {"moderator", 403}, {"admin", 200}, {"suspended", 401}}},
      {"POST", "/api/me/password", change_password, me_no_content, true},
      {"POST", "/api/auth/logout", none,
       {{"anonymous", 204}, {"other", 204}, {"owner", 204}, {"moderator", 204}, {"admin", 204}, {"suspended", 401}},
       true},
      {"DELETE", "/api/users/{owner}", own_password,
       {{"anonymous", 401}, {"other", 403}, {"owner", 204}, {"moderator", 403}, {"admin", 204}, {"suspended", 401}},
       true},
      {"DELETE", "/api/me", own_password, me_no_content, true},
  };

  std::map<std::string, std::optional<TestAccount>> shared;
  for (const auto& name : kActors) shared[name] = make_actor(name);
  for (const auto& test_case : cases) {
    for (const auto& actor_name : kActors) {
      std::map<std::string, std::optional<TestAccount>> fresh;
      if (test_case.destructive) {
        fresh["owner"] = make_actor("owner");
        fresh[actor_name] = actor_name == "owner" ? fresh["owner"] : make_actor(actor_name);
      }
      auto& actors = test_case.destructive ? fresh : shared;
      const TestAccount* caller = actors[actor_name] ? &*actors[actor_name] : nullptr;
      std::string path = test_case.path;
      if (auto at = path.find("{owner}"); at != std::string::npos) path.replace(at, 7, actors["owner"]->id);
      json body = test_case.body(caller);
      Headers headers = caller ? caller->Bearer() : Headers{};
      headers.emplace_back("Content-Type", "application/json");
      auto result = app.Send(test_case.method, path, body.is_null() ? "" : body.dump(), headers);
      INFO(test_case.method << " " << test_case.path << " as " << actor_name << ": " << result.body);
      CHECK(result.status == test_case.expected.at(actor_name));
      // The browser way (the cookie, with its CSRF token) gives the same answer.
      if (caller && actor_name != "suspended" && !test_case.destructive) {
        auto by_cookie = app.Send(test_case.method, path, body.is_null() ? "" : body.dump(), caller->Cookie(headers));
        CHECK(by_cookie.status == test_case.expected.at(actor_name));
      }
    }
  }
}

TEST_CASE("Bad proxy or first-admin settings stop the start with the setting named", "[auth]") {
  auto start = [](std::function<void(monotube::Config&)> configure) {
    try {
      TestApp app(monotube::test::Configured(std::move(configure)));
    } catch (const monotube::ConfigError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  REQUIRE_THAT(start([](monotube::Config& config) { config.trusted_proxies = "10.0.0.300"; }),
               Catch::Contains("trusted_proxies") && Catch::Contains("10.0.0.300"));
  REQUIRE_THAT(start([](monotube::Config& config) {
                 config.admin_username = "root";
                 config.admin_email = "root@example.org";
                 config.admin_password = "password123";
               }),
               Catch::Contains("admin_password") && Catch::Contains("commonly used"));
}

TEST_CASE("The session endpoint answers 200 for visitors and users alike", "[auth]") {
  TestApp app;
  auto visitor = app.Get("/api/auth/session");
  REQUIRE(visitor.status == 200);
  REQUIRE(visitor.Json()["user"].is_null());
  TestAccount ada = MakeAccount(app, "ada");
  auto user = app.Get("/api/auth/session", ada.CookieWithoutCsrf());
  REQUIRE(user.status == 200);
  REQUIRE(user.Json()["user"]["username"] == "ada");
  REQUIRE(user.Json()["csrf_token"] == ada.csrf_token);
  // Form errors name their fields here too.
  RequireFieldError(SendJson(app, "POST", "/api/auth/reset-password", {{"email", ""}}), 400, "email", "invalid_email");
  RequireFieldError(LogInRaw(app, "", "x"), 400, "login", "missing_credentials");
  RequireFieldError(SendJson(app, "PATCH", "/api/me", {{"email", "new@example.org"}, {"current_password", ""}},
                             ada.Bearer()),
                    400, "current_password", "password_required");
}
