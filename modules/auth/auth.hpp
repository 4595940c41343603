#pragma once
// The auth module's public face for the rest of the server: who is making a request
// (session cookie or Bearer token), role checks, user JSON, and the account service.
// Other modules include this header only. Thread-safe once routes are registered.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "monotube/http/context.hpp"
#include "monotube/http/router.hpp"
#include "modules/auth/accounts.hpp"
#include "modules/auth/users.hpp"

namespace monotube::auth {

inline constexpr std::string_view kSessionCookie = "monotube_session";
inline constexpr std::string_view kCsrfHeader = "X-CSRF-Token";

// The authenticated caller of one request.
struct Principal {
  User user;
  Session session;
  bool via_cookie = false;  // a browser session: its writes need the CSRF token
  std::string csrf_token;
};

struct AuthModuleOptions {
  AccountSettings accounts;
  bool cookies_secure = false;  // Secure cookies even on plain HTTP (the site is HTTPS behind a proxy)
  std::string public_origin;    // "https://video.example.org" from public_url, "" = none
};

class AuthRoutes;

class AuthModule {
 public:
  // The references must outlive the module.
  AuthModule(db::Database& database, const Clock& clock, storage::ObjectStorage& storage, RateLimiter& rate_limiter,
             const SiteSettings& site, SendMail send_mail, AuthModuleOptions options);
  ~AuthModule();

  // The caller, or nullopt when anonymous. A Bearer token that is not (or no longer) valid
  // is 401; a stale cookie counts as anonymous. A cookie-authenticated write (any method
  // but GET/HEAD/OPTIONS) without the session's CSRF token, or from another origin, is 403.
  boost::asio::awaitable<std::optional<Principal>> Authenticate(http::RequestContext& context);
  // As Authenticate, but anonymous is 401 and a lower role than at_least is 403.
  boost::asio::awaitable<Principal> Require(http::RequestContext& context, Role at_least = Role::kViewer);

  // User JSON (blocking: call on a worker thread): the public view (channel: id, username, display_name, role, bio,
  // avatar_url, subscriber_count, created_at), and the owner's view, which adds email
  // and the account's private fields.
  nlohmann::json PublicUserJson(const User& user);
  nlohmann::json PrivateUserJson(const User& user);
  // The same with the subscriber count already known (a listing that read it with the users).
  nlohmann::json PublicUserJson(const User& user, std::int64_t subscriber_count);
  nlohmann::json PrivateUserJson(const User& user, std::int64_t subscriber_count);
  // A short summary for embedding (video owner, comment author): id, username, display_name, avatar_url.
  static nlohmann::json UserSummaryJson(const User& user);

  // Set by the interactions module once subscriptions exist; until then counts are 0.
  void SetSubscriberCounter(std::function<std::int64_t(std::int64_t user_id)> counter);

  // The account endpoints (ARCHITECTURE.md) and the avatar media route; add_page registers UI pages.
  void RegisterRoutes(http::Router& router, const std::function<void(std::string_view)>& add_page);

  AccountService& accounts() noexcept { return accounts_; }

 private:
  friend class AuthRoutes;
  std::optional<std::string> SessionToken(const http::Request& request, bool& via_cookie) const;
  bool SameOrigin(const http::Request& request) const;

  AccountService accounts_;
  AuthModuleOptions options_;
  std::function<std::int64_t(std::int64_t)> subscriber_counter_;
  std::shared_ptr<AuthRoutes> routes_;  // shared_ptr: AuthRoutes is complete only in routes.cpp
};

// The CSRF token of a session token: derived, so nothing more is stored, and useless
// without the session token it belongs to.
std::string CsrfTokenFor(std::string_view session_token);

}  // namespace monotube::auth
