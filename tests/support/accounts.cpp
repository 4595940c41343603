#include "support/accounts.hpp"

#include <catch2/catch.hpp>

#include "monotube/ids.hpp"
#include "modules/auth/sessions.hpp"
#include "modules/auth/users.hpp"

namespace monotube::test {

Headers TestAccount::Bearer(Headers extra) const {
  extra.emplace_back("Authorization", "Bearer " + token);
  return extra;
}

Headers TestAccount::Cookie(Headers extra) const {
  extra = CookieWithoutCsrf(std::move(extra));
  extra.emplace_back("X-CSRF-Token", csrf_token);
  return extra;
}

Headers TestAccount::CookieWithoutCsrf(Headers extra) const {
  extra.emplace_back("Cookie", "theme=dark; monotube_session=" + token);
  return extra;
}

void RequireApiError(const HttpResult& result, int status, const std::string& code) {
  INFO(result.body);
  REQUIRE(result.status == status);
  REQUIRE(result.Header("Content-Type") == "application/json");
  auto json = result.Json();
  REQUIRE(json["error"]["code"] == code);
  REQUIRE(json["error"]["message"].is_string());
  REQUIRE_FALSE(json["error"]["message"].get<std::string>().empty());
}

HttpResult SendJson(TestApp& app, const std::string& method, const std::string& target, const nlohmann::json& body,
                    Headers headers) {
  headers.emplace_back("Content-Type", "application/json");
  return app.Send(method, target, body.dump(), headers);
}

TestAccount MakeAccount(TestApp& app, const std::string& username, const std::string& role) {
  auth::UserService service(app.app().database(), app.app().clock());
  auth::User user = service.CreateUser({username, username + "@example.org", kTestPassword, role});
  TestAccount account = LogIn(app, username, kTestPassword);
  REQUIRE(account.id == user.public_id);
  return account;
}

TestAccount MakeSessionAccount(TestApp& app, const std::string& username, const std::string& role) {
  auto now = app.app().clock().NowMs();
  auth::UserRepository users(app.app().database());
  auth::User user = users.Insert({NewPublicId(), username, username + "@example.org", "!no-password", role, "", now});
  auth::SessionRepository sessions(app.app().database());
  TestAccount account;
  account.id = user.public_id;
  account.username = username;
  account.email = user.email;
  account.token = auth::NewSecretToken();
  sessions.Create({user.id, auth::HashSecretToken(account.token), now, now + 30 * 86'400'000LL, "test", "127.0.0.1"});
  account.csrf_token = auth::CsrfTokenFor(account.token);
  return account;
}

TestAccount LogIn(TestApp& app, const std::string& login, const std::string& password) {
  auto response = SendJson(app, "POST", "/api/auth/login", {{"login", login}, {"password", password}});
  INFO(response.body);
  REQUIRE(response.status == 200);
  auto json = response.Json();
  TestAccount account;
  account.id = json["user"]["id"];
  account.username = json["user"]["username"];
  account.email = json["user"]["email"];
  account.password = password;
  account.token = json["token"];
  account.csrf_token = json["csrf_token"];
  return account;
}

}  // namespace monotube::test
