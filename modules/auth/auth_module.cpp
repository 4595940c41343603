#include "modules/auth/auth.hpp"

#include <boost/beast/core/string.hpp>
#include <sodium.h>

#include "monotube/errors.hpp"
#include "monotube/ids.hpp"

namespace monotube::auth {
namespace {

bool IsSafeMethod(http::Verb method) {
  return method == http::Verb::get || method == http::Verb::head || method == http::Verb::options;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

std::string CsrfTokenFor(std::string_view session_token) {
  return Sha256Hex("monotube-csrf:" + std::string(session_token)).substr(0, 40);
}

AuthModule::AuthModule(db::Database& database, const Clock& clock, storage::ObjectStorage& storage,
                       RateLimiter& rate_limiter, const SiteSettings& site, SendMail send_mail,
                       AuthModuleOptions options)
    : accounts_(database, clock, storage, rate_limiter, site, std::move(send_mail), options.accounts),
      options_(std::move(options)) {}

AuthModule::~AuthModule() = default;

std::optional<std::string> AuthModule::SessionToken(const http::Request& request, bool& via_cookie) const {
  std::string_view authorization = request.Header("Authorization");
  if (!authorization.empty()) {
    via_cookie = false;
    constexpr std::string_view kBearer = "Bearer ";
    if (authorization.size() > kBearer.size() &&
        boost::beast::iequals(authorization.substr(0, kBearer.size()), kBearer))
      return std::string(http::TrimWhitespace(authorization.substr(kBearer.size())));
    throw Unauthorized("invalid_token", "The Authorization header must be \"Bearer <token>\".");
  }
  auto cookie = http::CookieValue(request.Header("Cookie"), kSessionCookie);
  if (!cookie || cookie->empty()) return std::nullopt;
  via_cookie = true;
  return std::string(*cookie);
}

bool AuthModule::SameOrigin(const http::Request& request) const {
  std::string_view origin = request.Header("Origin");
  if (origin.empty()) return true;  // not a browser cross-site request (browsers send Origin on those)
  if (!options_.public_origin.empty() && origin == options_.public_origin) return true;
  std::string own = std::string(request.secure ? "https://" : "http://") + std::string(request.Header("Host"));
  return origin == own;
}

boost::asio::awaitable<std::optional<Principal>> AuthModule::Authenticate(http::RequestContext& context) {
  bool via_cookie = false;
  auto token = SessionToken(context.request, via_cookie);
  if (!token) co_return std::nullopt;
  // Captures by reference only: GCC 12 mishandles lambdas owning strings inside co_await.
  auto found = co_await context.Blocking([&] { return accounts_.Authenticate(*token); });
  if (!found) {
    if (via_cookie) co_return std::nullopt;
    throw Unauthorized("invalid_token", "Your session has ended or the token is not valid. Log in again.");
  }
  Principal principal{std::move(found->second), std::move(found->first), via_cookie, CsrfTokenFor(*token)};
  if (via_cookie && !IsSafeMethod(context.request.method)) {
    if (!SameOrigin(context.request))
      throw Forbidden("cross_origin", "This request came from another site and was refused.");
    if (!ConstantTimeEquals(context.request.Header(kCsrfHeader), principal.csrf_token))
      throw Forbidden("csrf_failed", "This request is missing its security token. Reload the page and try again.");
  }
  co_return principal;
}

boost::asio::awaitable<Principal> AuthModule::Require(http::RequestContext& context, Role at_least) {
  auto principal = co_await Authenticate(context);
  if (!principal) throw Unauthorized("login_required", "Log in to do that.");
  if (!HasRole(principal->user, at_least)) throw Forbidden("forbidden", "Your account is not allowed to do that.");
  co_return std::move(*principal);
}

void AuthModule::SetSubscriberCounter(std::function<std::int64_t(std::int64_t)> counter) {
  subscriber_counter_ = std::move(counter);
}

nlohmann::json AuthModule::UserSummaryJson(const User& user) {
  return {{"id", user.public_id},
          {"username", user.username},
          {"display_name", user.display_name},
          {"avatar_url", AvatarUrl(user)}};
}

nlohmann::json AuthModule::PublicUserJson(const User& user) {
  return PublicUserJson(user, subscriber_counter_ ? subscriber_counter_(user.id) : 0);
}

nlohmann::json AuthModule::PublicUserJson(const User& user, std::int64_t subscriber_count) {
  nlohmann::json json = UserSummaryJson(user);
  json["role"] = user.role;
  json["bio"] = user.bio;
  json["subscriber_count"] = subscriber_count;
  json["created_at"] = FormatIso8601(user.created_at_ms);
  return json;
}

nlohmann::json AuthModule::PrivateUserJson(const User& user) {
  return PrivateUserJson(user, subscriber_counter_ ? subscriber_counter_(user.id) : 0);
}

nlohmann::json AuthModule::PrivateUserJson(const User& user, std::int64_t subscriber_count) {
  nlohmann::json json = PublicUserJson(user, subscriber_count);
  json["email"] = user.email;
  json["suspended"] = user.suspended;
  json["updated_at"] = FormatIso8601(user.updated_at_ms);
  return json;
}

}  // namespace monotube::auth
