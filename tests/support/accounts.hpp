#pragma once
// Logged-in users for tests: an account made directly through the service (any role, no
// rate limits in the way), then logged in over HTTP like a client would.
#include <string>

#include "support/http_client.hpp"
#include "support/test_app.hpp"

namespace monotube::test {

inline constexpr const char* kTestPassword = "correct horse battery staple";

struct TestAccount {
  std::string id;  // public id
  std::string username;
  std::string email;
  std::string password;
  std::string token;
  std::string csrf_token;

  // Authorization: Bearer …
  Headers Bearer(Headers extra = {}) const;
  // The browser way: the session cookie, plus the CSRF header a page would send.
  Headers Cookie(Headers extra = {}) const;
  Headers CookieWithoutCsrf(Headers extra = {}) const;
};

// The API's error shape with this status and code (and a message for people).
void RequireApiError(const HttpResult& result, int status, const std::string& code);

// Sends a JSON body.
HttpResult SendJson(TestApp& app, const std::string& method, const std::string& target, const nlohmann::json& body,
                    Headers headers = {});

TestAccount MakeAccount(TestApp& app, const std::string& username, const std::string& role = "creator");
// Many accounts fast: the user row and a session are written directly (no password hashing,
// no log-in rate limit), e.g. for hundreds of users in a concurrency test. The account has
// no usable password.
TestAccount MakeSessionAccount(TestApp& app, const std::string& username, const std::string& role = "viewer");
// POST /api/auth/login; REQUIREs a 200.
TestAccount LogIn(TestApp& app, const std::string& login, const std::string& password);

}  // namespace monotube::test
