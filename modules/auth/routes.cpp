// The auth module's HTTP surface, in one screen per group: handlers parse, call the
// account service on the worker pool, and answer JSON.
#include <fstream>

#include "monotube/errors.hpp"
#include "monotube/http/json_fields.hpp"
#include "monotube/ids.hpp"
#include "modules/auth/auth.hpp"

namespace monotube::auth {

using boost::asio::awaitable;
using http::RequestContext;
using http::Response;
using Field = http::bhttp::field;

class AuthRoutes {
 public:
  explicit AuthRoutes(AuthModule& module) : module_(module), accounts_(module.accounts()) {}

  void Register(http::Router& router) {
    constexpr std::size_t kAvatarMaxBytes = 10 * 1024 * 1024;
    router.Post("/api/auth/signup", [this](RequestContext& c) { return SignUp(c); });
    router.Post("/api/auth/login", [this](RequestContext& c) { return LogIn(c); });
    router.Post("/api/auth/logout", [this](RequestContext& c) { return LogOut(c); });
    router.Post("/api/auth/reset-password", [this](RequestContext& c) { return RequestReset(c); });
    router.Post("/api/auth/reset-password/confirm", [this](RequestContext& c) { return ConfirmReset(c); });

    router.Get("/api/auth/session", [this](RequestContext& c) { return GetSession(c); });
    router.Get("/api/me", [this](RequestContext& c) { return GetMe(c); });
    router.Patch("/api/me", [this](RequestContext& c) { return PatchMe(c); });
    router.Delete("/api/me", [this](RequestContext& c) { return DeleteMe(c); });
    router.Post("/api/me/password", [this](RequestContext& c) { return ChangePassword(c); });
    router.Put("/api/me/avatar", [this](RequestContext& c) { return PutAvatar(c); }, {kAvatarMaxBytes});
    router.Delete("/api/me/avatar", [this](RequestContext& c) { return DeleteAvatar(c); });
    router.Get("/api/me/sessions", [this](RequestContext& c) { return ListSessions(c); });
    router.Delete("/api/me/sessions/{session_id}", [this](RequestContext& c) { return RevokeSession(c); });
    router.Get("/api/me/export", [this](RequestContext& c) { return Export(c); });

    router.Get("/api/users/{user_id}", [this](RequestContext& c) { return GetUser(c); });
    router.Put("/api/users/{user_id}", [this](RequestContext& c) { return PutUser(c); });
    router.Delete("/api/users/{user_id}", [this](RequestContext& c) { return DeleteUser(c); });

    router.Get("/media/avatars/{user_id}/{file}", [this](RequestContext& c) { return GetAvatar(c); });
  }

 private:
  static ClientInfo Client(const RequestContext& context) {
    return {context.request.client_address, std::string(context.request.Header("User-Agent"))};
  }

  // The session cookie for a browser; Secure on HTTPS (or when the site says it is HTTPS).
  std::string SessionCookie(const RequestContext& context, const std::string& token, std::int64_t max_age) const {
    std::string cookie = std::string(kSessionCookie) + "=" + token + "; Path=/; Max-Age=" + std::to_string(max_age) +
                         "; HttpOnly; SameSite=Lax";
    if (context.request.secure || module_.options_.cookies_secure) cookie += "; Secure";
    return cookie;
  }

  Response LoggedIn(const RequestContext& context, const Credentials& credentials, nlohmann::json user,
                    http::Status status) const {
    auto response = Response::Json(
        {{"token", credentials.token}, {"csrf_token", CsrfTokenFor(credentials.token)}, {"user", std::move(user)}},
        status);
    auto max_age = std::chrono::duration_cast<std::chrono::seconds>(accounts_.settings().session_ttl).count();
    response.headers.insert(Field::set_cookie, SessionCookie(context, credentials.token, max_age));
    response.headers.set(Field::cache_control, "no-store");
    return response;
  }

  void ClearCookie(const RequestContext& context, Response& response) const {
    response.headers.insert(Field::set_cookie, SessionCookie(context, "", 0));
  }

  // Log-in and sign-up set a cookie: refuse them from another site's page (login CSRF).
  void RequireSameOrigin(const RequestContext& context) const {
    if (!module_.SameOrigin(context.request))
      throw Forbidden("cross_origin", "This request came from another site and was refused.");
  }

  awaitable<Response> SignUp(RequestContext& context) {
    RequireSameOrigin(context);
    auto body = http::JsonObject(context.request);
    auto username = http::OptionalString(body, "username").value_or("");
    auto email = http::OptionalString(body, "email").value_or("");
    auto password = http::OptionalString(body, "password").value_or("");
    auto client = Client(context);
    // No structured binding of a co_await result: GCC 12 miscompiles it.
    auto made = co_await context.Blocking([&] {
      Credentials credentials = accounts_.SignUp(username, email, password, client);
      return std::pair{credentials, module_.PrivateUserJson(credentials.user)};
    });
    co_return LoggedIn(context, made.first, std::move(made.second), http::Status::created);
  }

  awaitable<Response> LogIn(RequestContext& context) {
    RequireSameOrigin(context);
    auto body = http::JsonObject(context.request);
    auto login = http::OptionalString(body, "login").value_or("");
    auto password = http::OptionalString(body, "password").value_or("");
    auto client = Client(context);
    auto made = co_await context.Blocking([&] {
      Credentials credentials = accounts_.LogIn(login, password, client);
      return std::pair{credentials, module_.PrivateUserJson(credentials.user)};
    });
    co_return LoggedIn(context, made.first, std::move(made.second), http::Status::ok);
  }

  awaitable<Response> LogOut(RequestContext& context) {
    auto principal = co_await module_.Authenticate(context);
    if (principal) co_await context.Blocking([&] { accounts_.LogOut(principal->session); });
    auto response = Response::Empty();
    ClearCookie(context, response);
    co_return response;
  }

  awaitable<Response> RequestReset(RequestContext& context) {
    auto body = http::JsonObject(context.request);
    auto email = http::RequiredString(body, "email");
    auto client = Client(context);
    co_await context.Blocking([&] { accounts_.RequestPasswordReset(email, client); });
    co_return Response::Json({{"message", "If an account uses that address, a reset link is on its way."}},
                             http::Status::accepted);
  }

  awaitable<Response> ConfirmReset(RequestContext& context) {
    auto body = http::JsonObject(context.request);
    auto token = http::RequiredString(body, "token");
    auto password = http::RequiredString(body, "password");
    co_await context.Blocking([&] { accounts_.ResetPassword(token, password); });
    co_return Response::Json({{"message", "Your password has been changed. Log in with the new one."}});
  }

  awaitable<Response> GetMe(RequestContext& context) {
    auto principal = co_await module_.Require(context);
    auto user = co_await context.Blocking([&] { return module_.PrivateUserJson(principal.user); });
    co_return Response::JsonNoStore({{"user", std::move(user)}, {"csrf_token", principal.csrf_token}});
  }

  // Who is logged in, for the web UI's start: 200 either way ({"user": null} when
  // anonymous), so a visitor's page load has no failed request.
  awaitable<Response> GetSession(RequestContext& context) {
    auto principal = co_await module_.Authenticate(context);
    nlohmann::json body = {{"user", nullptr}, {"csrf_token", nullptr}};
    if (principal) {
      body["user"] = co_await context.Blocking([&] { return module_.PrivateUserJson(principal->user); });
      body["csrf_token"] = principal->csrf_token;
    }
    co_return Response::JsonNoStore(body);
  }

  static ProfileChanges ParseProfile(const nlohmann::json& body) {
    return {http::OptionalString(body, "username"), http::OptionalString(body, "email"),
            http::OptionalString(body, "display_name"), http::OptionalString(body, "bio")};
  }

  awaitable<Response> PatchMe(RequestContext& context) {
    auto principal = co_await module_.Require(context);
    auto body = http::JsonObject(context.request);
    auto changes = ParseProfile(body);
    auto current_password = http::OptionalString(body, "current_password");
    if (current_password && current_password->empty()) current_password.reset();  // an empty form field
    auto user = co_await context.Blocking([&] {
      return module_.PrivateUserJson(accounts_.UpdateProfile(principal.user, changes, current_password, true));
    });
    co_return Response::Json({{"user", std::move(user)}});
  }

  awaitable<Response> ChangePassword(RequestContext& context) {
    auto principal = co_await module_.Require(context);
    auto body = http::JsonObject(context.request);
    auto current = http::OptionalString(body, "current_password").value_or("");
    auto next = http::OptionalString(body, "new_password").value_or("");
    co_await context.Blocking(
        [&] { accounts_.ChangePassword(principal.user, current, next, principal.session.id); });
    co_return Response::Empty();
  }

  awaitable<Response> PutAvatar(RequestContext& context) {
    auto principal = co_await module_.Require(context);
    if (context.request.body.empty())
      throw InvalidInput("empty_image", "Choose an image file (JPEG, PNG, WebP or GIF) for your avatar.");
    auto temp_dir = accounts_.settings().temp_dir;
    auto user = co_await context.Blocking([&] {
      std::filesystem::create_directories(temp_dir);
      auto path = temp_dir / ("avatar-" + RandomToken(12) + ".upload");
      struct Remove {
        std::filesystem::path path;
        ~Remove() {
          std::error_code ignored;
          std::filesystem::remove(path, ignored);
        }
      } remove{path};
      {
        std::ofstream out(path, std::ios::binary);
        out.write(context.request.body.data(), static_cast<std::streamsize>(context.request.body.size()));
        if (!out.flush()) throw Unavailable("storage_unavailable", "The image could not be saved. Try again later.");
      }
      return module_.PrivateUserJson(accounts_.SetAvatar(principal.user, path));
    });
    co_return Response::Json({{"user", std::move(user)}});
  }

  awaitable<Response> DeleteAvatar(RequestContext& context) {
    auto principal = co_await module_.Require(context);
    auto user =
        co_await context.Blocking([&] { return module_.PrivateUserJson(accounts_.RemoveAvatar(principal.user)); });
    co_return Response::Json({{"user", std::move(user)}});
  }

  awaitable<Response> ListSessions(RequestContext& context) {
    auto principal = co_await module_.Require(context);
    auto sessions = co_await context.Blocking([&] { return accounts_.Sessions(principal.user); });
    nlohmann::json items = nlohmann::json::array();
    for (const auto& session : sessions) {
      items.push_back(SessionJson(session));
      items.back()["current"] = session.id == principal.session.id;
    }
    co_return Response::Json({{"sessions", std::move(items)}});
  }

  awaitable<Response> RevokeSession(RequestContext& context) {
    auto principal = co_await module_.Require(context);
    const std::string& session_id = context.Param("session_id");
    co_await context.Blocking([&] { accounts_.RevokeSession(principal.user, session_id); });
    co_return Response::Empty();
  }

  awaitable<Response> Export(RequestContext& context) {
    auto principal = co_await module_.Require(context);
    auto data = co_await context.Blocking([&] { return accounts_.Export(principal.user); });
    auto response = Response::Json(data);
    response.headers.set(Field::content_disposition,
                         "attachment; filename=\"monotube-" + principal.user.username + "-data.json\"");
    response.headers.set(Field::cache_control, "no-store");
    co_return response;
  }

  awaitable<Response> DeleteMe(RequestContext& context) {
    auto principal = co_await module_.Require(context);
    auto body = http::JsonObject(context.request);
    auto password = http::OptionalString(body, "password").value_or("");
    co_await context.Blocking([&] { accounts_.DeleteAccount(principal.user, password); });
    auto response = Response::Empty();
    ClearCookie(context, response);
    co_return response;
  }

  // The account a /api/users/{user_id} path names, or 404.
  User FindUser(const std::string& public_id) {
    auto user = IsValidPublicId(public_id) ? accounts_.users().FindByPublicId(public_id) : std::nullopt;
    if (!user) throw NotFound("user_not_found", "There is no user with that id.");
    return *user;
  }

  awaitable<Response> GetUser(RequestContext& context) {
    const std::string& user_id = context.Param("user_id");
    auto user = co_await context.Blocking([&] { return module_.PublicUserJson(FindUser(user_id)); });
    co_return Response::Json({{"user", std::move(user)}});
  }

  // Self or admin; others are refused without saying more than 404 would.
  awaitable<Response> PutUser(RequestContext& context) {
    auto principal = co_await module_.Require(context);
    const std::string& user_id = context.Param("user_id");
    auto body = http::JsonObject(context.request);
    auto changes = ParseProfile(body);
    auto current_password = http::OptionalString(body, "current_password");
    if (current_password && current_password->empty()) current_password.reset();
    auto user = co_await context.Blocking([&] {
      User target = FindUser(user_id);
      bool self = target.id == principal.user.id;
      if (!self && !HasRole(principal.user, Role::kAdmin))
        throw Forbidden("forbidden", "You can only change your own profile.");
      return module_.PrivateUserJson(accounts_.UpdateProfile(target, changes, current_password, self));
    });
    co_return Response::Json({{"user", std::move(user)}});
  }

  awaitable<Response> DeleteUser(RequestContext& context) {
    auto principal = co_await module_.Require(context);
    const std::string& user_id = context.Param("user_id");
    auto body = http::JsonObject(context.request);
    auto password = http::OptionalString(body, "password").value_or("");
    bool self = co_await context.Blocking([&] {
      User target = FindUser(user_id);
      bool own = target.id == principal.user.id;
      if (own) accounts_.DeleteAccount(target, password);
      else if (HasRole(principal.user, Role::kAdmin)) accounts_.DeleteUser(target);
      else throw Forbidden("forbidden", "You can only delete your own account.");
      return own;
    });
    auto response = Response::Empty();
    if (self) ClearCookie(context, response);
    co_return response;
  }

  awaitable<Response> GetAvatar(RequestContext& context) {
    const std::string& user_id = context.Param("user_id");
    const std::string& file = context.Param("file");
    auto jpeg = co_await context.Blocking([&] {
      return accounts_.ReadAvatar(FindUser(user_id), file);
    });
    // The file name changes with every new avatar, so a URL's content never changes.
    std::string etag = "\"" + file + "\"";
    if (context.request.Header("If-None-Match") == etag) {
      auto not_modified = Response::Empty(http::Status::not_modified);
      not_modified.headers.set(Field::etag, etag);
      co_return not_modified;
    }
    auto response = Response::Text(std::move(jpeg), "image/jpeg");
    response.headers.set(Field::etag, etag);
    response.headers.set(Field::cache_control, "public, max-age=31536000, immutable");
    co_return response;
  }

  AuthModule& module_;
  AccountService& accounts_;
};

void AuthModule::RegisterRoutes(http::Router& router, const std::function<void(std::string_view)>& add_page) {
  routes_ = std::make_shared<AuthRoutes>(*this);
  routes_->Register(router);
  for (std::string_view page : {"/login", "/signup", "/forgot-password", "/reset-password", "/settings",
                                "/channel/{user_id}"})
    add_page(page);
}

}  // namespace monotube::auth
