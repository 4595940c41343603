// Pure rules behind accounts: client addresses behind proxies, weak passwords, field
// errors in the API's error shape, CSRF tokens, roles.
#include <catch2/catch.hpp>

#include "monotube/errors.hpp"
#include "monotube/http/client_address.hpp"
#include "monotube/http/error_mapping.hpp"
#include "modules/auth/auth.hpp"
#include "modules/auth/users.hpp"

using namespace monotube;
using http::TrustedProxies;

TEST_CASE("Trusted proxies: X-Forwarded-For is believed only from them", "[auth][proxies]") {
  auto none = TrustedProxies::Parse("");
  REQUIRE(none.empty());
  REQUIRE(none.ClientAddress("10.0.0.5", "1.2.3.4") == "10.0.0.5");

  auto proxies = TrustedProxies::Parse(" 10.0.0.0/8, 127.0.0.1 ,fd00::/8");
  REQUIRE(proxies.Contains("10.200.3.4"));
  REQUIRE(proxies.Contains("127.0.0.1"));
  REQUIRE(proxies.Contains("::ffff:127.0.0.1"));
  REQUIRE(proxies.Contains("fd12::1"));
  REQUIRE_FALSE(proxies.Contains("11.0.0.1"));
  REQUIRE_FALSE(proxies.Contains("127.0.0.2"));
  REQUIRE_FALSE(proxies.Contains("not an address"));

  // From an untrusted peer the header is ignored.
  REQUIRE(proxies.ClientAddress("198.51.100.1", "1.2.3.4") == "198.51.100.1");
  // Through a trusted proxy: the rightmost address that is not a proxy.
  REQUIRE(proxies.ClientAddress("10.0.0.5", "1.2.3.4") == "1.2.3.4");
  REQUIRE(proxies.ClientAddress("10.0.0.5", "6.6.6.6, 1.2.3.4, 10.1.1.1") == "1.2.3.4");
  // A client cannot push a fake left-most entry past a real hop.
  REQUIRE(proxies.ClientAddress("10.0.0.5", "127.0.0.1, 203.0.113.9") == "203.0.113.9");
  // Garbage stops the walk at the last address we could trust.
  REQUIRE(proxies.ClientAddress("10.0.0.5", "1.2.3.4, nonsense") == "10.0.0.5");
  REQUIRE(proxies.ClientAddress("10.0.0.5", "") == "10.0.0.5");

  REQUIRE_THROWS_WITH(TrustedProxies::Parse("10.0.0.0/33"), Catch::Contains("10.0.0.0/33"));
  REQUIRE_THROWS_WITH(TrustedProxies::Parse("localhost"), Catch::Contains("localhost"));
}

TEST_CASE("Common passwords are refused, also with digits or symbols added", "[auth][passwords]") {
  REQUIRE(auth::IsCommonPassword("password"));
  REQUIRE(auth::IsCommonPassword("QwertyUIOP"));
  REQUIRE(auth::IsCommonPassword("1234567890"));
  REQUIRE(auth::IsCommonPassword("password1234"));
  REQUIRE(auth::IsCommonPassword("monkey2024!"));
  REQUIRE(auth::IsCommonPassword("zzzzzzzzzzzz"));
  REQUIRE_FALSE(auth::IsCommonPassword("correct horse battery staple"));
  REQUIRE_FALSE(auth::IsCommonPassword("x7#Lq9!vR2mK"));
  REQUIRE_THROWS_AS(auth::ValidatePassword("sunshine123"), InvalidInput);
  REQUIRE_NOTHROW(auth::ValidatePassword("sunshine over the hills"));
}

TEST_CASE("Field errors become one answer naming every field", "[auth][errors]") {
  FieldErrors errors;
  errors.Check("username", [] { throw Conflict("username_taken", "That username is already taken."); });
  errors.Check("email", [] {});
  errors.Check("password", [] { throw InvalidInput("invalid_password", "Too short."); });
  errors.Check("password", [] { throw InvalidInput("other", "Not kept: the first error of a field wins."); });
  REQUIRE_FALSE(errors.empty());
  http::Response response;
  try {
    errors.ThrowIfAny();
    FAIL("no exception");
  } catch (...) {
    response = http::ErrorToResponse(std::current_exception(), "req-1");
  }
  REQUIRE(static_cast<int>(response.status) == 409);  // the first field's status
  auto body = nlohmann::json::parse(response.body);
  REQUIRE(body["error"]["code"] == "username_taken");
  REQUIRE(body["error"]["fields"].size() == 2);
  REQUIRE(body["error"]["fields"]["password"]["code"] == "invalid_password");
  REQUIRE(body["error"]["fields"]["password"]["message"] == "Too short.");

  FieldErrors fine;
  fine.Check("x", [] {});
  REQUIRE_NOTHROW(fine.ThrowIfAny());
}

TEST_CASE("CSRF tokens belong to one session token", "[auth][csrf]") {
  REQUIRE(auth::CsrfTokenFor("a") == auth::CsrfTokenFor("a"));
  REQUIRE(auth::CsrfTokenFor("a") != auth::CsrfTokenFor("b"));
}

TEST_CASE("Roles include the ones below them", "[auth][roles]") {
  auth::User user{};
  user.role = "moderator";
  REQUIRE(auth::HasRole(user, auth::Role::kViewer));
  REQUIRE(auth::HasRole(user, auth::Role::kCreator));
  REQUIRE(auth::HasRole(user, auth::Role::kModerator));
  REQUIRE_FALSE(auth::HasRole(user, auth::Role::kAdmin));
  user.role = "something else";
  REQUIRE_FALSE(auth::HasRole(user, auth::Role::kCreator));
}
