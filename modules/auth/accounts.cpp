#include "modules/auth/accounts.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "monotube/errors.hpp"
#include "monotube/ids.hpp"
#include "modules/auth/avatar.hpp"
#include "modules/auth/passwords.hpp"

namespace monotube::auth {
namespace {

constexpr std::int64_t kTouchIntervalMs = 60'000;
constexpr std::size_t kMaxLoginBytes = 254;
constexpr std::size_t kMaxPasswordBytes = 4 * 128;  // 128 characters of up to 4 UTF-8 bytes

std::int64_t Ms(std::chrono::seconds duration) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(duration).count();
}

// A hash to verify against when the login names no account, so that answer takes as long
// as a wrong password does and timing does not reveal which accounts exist.
const std::string& DummyPasswordHash() {
  static const std::string hash = HashPassword("no account has this password " + RandomToken(8));
  return hash;
}

std::string AvatarFileName(const std::string& key) { return key.substr(key.rfind('/') + 1); }

}  // namespace

nlohmann::json SessionJson(const Session& session) {
  return {{"id", session.public_id},
          {"created_at", FormatIso8601(session.created_at_ms)},
          {"last_seen_at", FormatIso8601(session.last_seen_at_ms)},
          {"expires_at", FormatIso8601(session.expires_at_ms)},
          {"user_agent", session.user_agent},
          {"ip_address", session.ip_address}};
}

std::string AvatarUrl(const User& user) {
  if (user.avatar_key.empty()) return "";
  return "/media/avatars/" + user.public_id + "/" + AvatarFileName(user.avatar_key);
}

AccountService::AccountService(db::Database& database, const Clock& clock, storage::ObjectStorage& storage,
                               RateLimiter& rate_limiter, const SiteSettings& site, SendMail send_mail,
                               AccountSettings settings)
    : database_(database),
      clock_(clock),
      storage_(storage),
      rate_limiter_(rate_limiter),
      site_(site),
      send_mail_(std::move(send_mail)),
      settings_(std::move(settings)),
      users_(database),
      sessions_(database),
      resets_(database) {}

Credentials AccountService::SignUp(const std::string& username, const std::string& email,
                                   const std::string& password, const ClientInfo& client) {
  SiteSettingValues site = site_.Current();
  if (!site.signup_open)
    throw Forbidden("signup_closed", "Sign-up is closed on this site. Ask an administrator for an account.");
  rate_limiter_.Hit("signup:address:" + client.address, settings_.signup_per_address,
                    "Too many accounts were created from your network recently. Try again later.");
  FieldErrors errors;
  errors.Check("username", [&] {
    ValidateUsername(username);
    users_.RequireUsernameFree(username);
  });
  errors.Check("email", [&] {
    ValidateEmail(email);
    users_.RequireEmailFree(email);
  });
  errors.Check("password", [&] {
    ValidatePassword(password);
    if (username.size() >= 3 && LowerAscii(password).find(LowerAscii(username)) != std::string::npos)
      throw InvalidInput("invalid_password", "A password must not contain your username.");
  });
  errors.ThrowIfAny();

  UserInsert insert{NewPublicId(), username,        email,          HashPassword(password),
                    site.default_role, username, clock_.NowMs()};
  User user;
  try {
    user = users_.Insert(insert);
  } catch (const Conflict& e) {  // lost a race with another sign-up for the same name
    ThrowFieldError(e.code() == "email_taken" ? "email" : "username", e);
  }
  spdlog::info("user {} signed up with role {}", user.public_id, user.role);
  return StartSession(user, client);
}

Credentials AccountService::LogIn(const std::string& login, const std::string& password, const ClientInfo& client) {
  FieldErrors missing;
  if (login.empty())
    missing.Add("login", InvalidInput("missing_credentials", "Enter your username or e-mail address."));
  if (password.empty()) missing.Add("password", InvalidInput("missing_credentials", "Enter your password."));
  missing.ThrowIfAny();
  if (login.size() > kMaxLoginBytes || password.size() > kMaxPasswordBytes)
    throw Unauthorized("invalid_credentials", "That username or e-mail address and password do not match.");

  auto user = users_.FindByLogin(login);
  // One bucket per account however it is named (username or e-mail), and per unknown login.
  std::string account_bucket = "login:account:" + (user ? std::to_string(user->id) : LowerAscii(login));
  const std::string kTooMany = "Too many failed log-ins. Wait a moment and try again.";
  std::int64_t account_hit = rate_limiter_.Hit(account_bucket, settings_.login_per_account, kTooMany);
  std::int64_t address_hit = 0;
  try {
    address_hit = rate_limiter_.Hit("login:address:" + client.address, settings_.login_per_address, kTooMany);
  } catch (...) {
    rate_limiter_.Forget(account_hit);
    throw;
  }

  std::optional<std::string> hash = user ? users_.FindPasswordHash(user->id) : std::nullopt;
  bool correct = VerifyPassword(hash ? *hash : DummyPasswordHash(), password) && hash.has_value();
  if (!correct) {
    spdlog::info("failed log-in for {} from {}", user ? user->public_id : "an unknown account", client.address);
    throw Unauthorized("invalid_credentials", "That username or e-mail address and password do not match.");
  }
  // A successful log-in is no failure: take its hits back.
  rate_limiter_.Forget(account_hit);
  rate_limiter_.Forget(address_hit);
  if (user->suspended)
    throw Forbidden("account_suspended", "This account is suspended. Contact the site's administrators.");
  return StartSession(*user, client);
}

Credentials AccountService::StartSession(const User& user, const ClientInfo& client) {
  std::string token = NewSecretToken();
  std::int64_t now = clock_.NowMs();
  Session session = sessions_.Create(
      {user.id, HashSecretToken(token), now, now + Ms(settings_.session_ttl), client.user_agent, client.address});
  return {std::move(token), std::move(session), user};
}

std::optional<std::pair<Session, User>> AccountService::Authenticate(std::string_view token) {
  if (token.empty() || token.size() > 128) return std::nullopt;
  std::int64_t now = clock_.NowMs();
  auto session = sessions_.FindValid(HashSecretToken(token), now);
  if (!session) return std::nullopt;
  auto user = users_.FindById(session->user_id);
  if (!user) return std::nullopt;
  if (user->suspended) {
    sessions_.DeleteAllForUser(user->id);
    return std::nullopt;
  }
  if (now - session->last_seen_at_ms >= kTouchIntervalMs) {
    session->last_seen_at_ms = now;
    session->expires_at_ms = now + Ms(settings_.session_ttl);
    sessions_.Touch(session->id, now, session->expires_at_ms);
  }
  return std::make_pair(std::move(*session), std::move(*user));
}

void AccountService::LogOut(const Session& session) { sessions_.Delete(session.id); }

void AccountService::RequestPasswordReset(const std::string& email, const ClientInfo& client) {
  rate_limiter_.Hit("reset:address:" + client.address, settings_.reset_per_address,
                    "Too many password-reset requests from your network. Try again later.");
  CheckField("email", [&] { ValidateEmail(email); });
  rate_limiter_.Hit("reset:email:" + LowerAscii(email), settings_.reset_per_email,
                    "Too many password-reset requests for this address. Check your mail or try again later.");
  auto user = users_.FindByEmail(email);
  if (!user || user->suspended) {
    spdlog::info("password reset asked for an address with no active account; no mail sent");
    return;
  }
  std::string token = NewSecretToken();
  std::int64_t now = clock_.NowMs();
  resets_.Create(user->id, HashSecretToken(token), now, now + Ms(settings_.reset_ttl));
  // In the fragment, so the token never reaches a server log or a Referer header.
  std::string link = settings_.public_url + "/reset-password#token=" + token;
  auto minutes = std::chrono::duration_cast<std::chrono::minutes>(settings_.reset_ttl).count();
  std::string text = "Hello " + user->display_name + ",\n\n" +
                     "someone (hopefully you) asked to reset the password of your monotube account \"" +
                     user->username + "\". Open this link to choose a new password:\n\n" + link + "\n\n" +
                     "The link works once, for " + std::to_string(minutes) +
                     " minutes. If you did not ask for it, ignore this mail: your password stays as it is.\n";
  send_mail_(user->email, "Reset your monotube password", text);
  spdlog::info("password reset link sent to user {}", user->public_id);
}

void AccountService::ResetPassword(std::string_view token, const std::string& new_password) {
  CheckField("password", [&] { ValidatePassword(new_password); });
  const std::string kInvalid = "This reset link is not valid: it was already used or has expired. Ask for a new one.";
  if (token.empty() || token.size() > 128) throw InvalidInput("invalid_reset_token", kInvalid);
  std::string hash = HashPassword(new_password);  // before consuming, so a failure here keeps the link usable
  auto user_id = resets_.Consume(HashSecretToken(token), clock_.NowMs());
  if (!user_id) throw InvalidInput("invalid_reset_token", kInvalid);
  users_.SetPasswordHash(*user_id, hash, clock_.NowMs());
  sessions_.DeleteAllForUser(*user_id);
  resets_.DeleteForUser(*user_id);
  spdlog::info("password reset for user id {}; all sessions ended", *user_id);
}

void AccountService::CheckPassword(const User& user, const std::string& password, std::string_view field) {
  std::int64_t hit = rate_limiter_.Hit("login:account:" + std::to_string(user.id), settings_.login_per_account,
                                       "Too many wrong passwords. Wait a moment and try again.");
  auto hash = users_.FindPasswordHash(user.id);
  if (password.size() <= kMaxPasswordBytes && hash && VerifyPassword(*hash, password)) {
    rate_limiter_.Forget(hit);
    return;
  }
  ThrowFieldError(std::string(field), InvalidInput("wrong_password", "That password is not right."));
}

void AccountService::ChangePassword(const User& user, const std::string& current_password,
                                    const std::string& new_password, std::int64_t keep_session_id) {
  CheckField("new_password", [&] { ValidatePassword(new_password); });
  CheckPassword(user, current_password, "current_password");
  users_.SetPasswordHash(user.id, HashPassword(new_password), clock_.NowMs());
  sessions_.DeleteAllForUser(user.id, keep_session_id);
  resets_.DeleteForUser(user.id);
  spdlog::info("user {} changed their password; other sessions ended", user.public_id);
}

User AccountService::UpdateProfile(const User& user, const ProfileChanges& requested,
                                   const std::optional<std::string>& current_password, bool password_required) {
  ProfileChanges changes = requested;
  // Unchanged values are no change (a form sends every field back).
  if (changes.username && *changes.username == user.username) changes.username.reset();
  if (changes.email && *changes.email == user.email) changes.email.reset();
  FieldErrors errors;
  if (changes.username) errors.Check("username", [&] {
      ValidateUsername(*changes.username);
      // A change of case only is the same account's name.
      if (LowerAscii(*changes.username) != LowerAscii(user.username)) users_.RequireUsernameFree(*changes.username);
    });
  if (changes.email) errors.Check("email", [&] {
      ValidateEmail(*changes.email);
      if (LowerAscii(*changes.email) != LowerAscii(user.email)) users_.RequireEmailFree(*changes.email);
    });
  if (changes.display_name) errors.Check("display_name", [&] { ValidateDisplayName(*changes.display_name); });
  if (changes.bio) errors.Check("bio", [&] { ValidateBio(*changes.bio); });
  bool sensitive = changes.username || changes.email;
  if (sensitive && password_required && !current_password)
    errors.Add("current_password",
               InvalidInput("password_required", "Enter your current password to change your username or e-mail."));
  errors.ThrowIfAny();
  if (sensitive && password_required) CheckPassword(user, *current_password, "current_password");

  auto updated = users_.UpdateProfile(user.id, changes, clock_.NowMs());
  if (!updated) throw NotFound("user_not_found", "That account no longer exists.");
  return *updated;
}

User AccountService::SetAvatar(const User& user, const std::filesystem::path& image) {
  std::string jpeg = MakeAvatarJpeg(image);
  std::string key = "users/" + user.public_id + "/avatar-" + RandomToken(6) + ".jpg";
  storage::WriteOptions options;
  options.content_type = "image/jpeg";
  storage_.Put(key, jpeg, options);
  users_.SetAvatarKey(user.id, key, clock_.NowMs());
  if (!user.avatar_key.empty()) storage_.Delete(user.avatar_key);
  User updated = user;
  updated.avatar_key = key;
  return updated;
}

User AccountService::RemoveAvatar(const User& user) {
  users_.SetAvatarKey(user.id, "", clock_.NowMs());
  if (!user.avatar_key.empty()) storage_.Delete(user.avatar_key);
  User updated = user;
  updated.avatar_key.clear();
  return updated;
}

std::string AccountService::ReadAvatar(const User& user, std::string_view file) {
  if (user.avatar_key.empty() || AvatarFileName(user.avatar_key) != file)
    throw NotFound("avatar_not_found", "That avatar does not exist (any more).");
  return storage_.GetString(user.avatar_key);
}

std::vector<Session> AccountService::Sessions(const User& user) {
  return sessions_.ListForUser(user.id, clock_.NowMs());
}

void AccountService::RevokeSession(const User& user, std::string_view session_public_id) {
  if (!sessions_.DeleteForUser(user.id, session_public_id))
    throw NotFound("session_not_found", "You have no session with that id.");
}

nlohmann::json AccountService::Export(const User& user) {
  nlohmann::json sessions = nlohmann::json::array();
  for (const auto& session : Sessions(user)) sessions.push_back(SessionJson(session));
  nlohmann::json data = {
      {"format", "monotube-user-export-1"},
      {"exported_at", FormatIso8601(clock_.NowMs())},
      {"profile",
       {{"id", user.public_id},
        {"username", user.username},
        {"email", user.email},
        {"role", user.role},
        {"display_name", user.display_name},
        {"bio", user.bio},
        {"avatar_url", AvatarUrl(user)},
        {"suspended", user.suspended},
        {"created_at", FormatIso8601(user.created_at_ms)},
        {"updated_at", FormatIso8601(user.updated_at_ms)}}},
      {"sessions", sessions},
  };
  for (const auto& provider : providers_) data[provider.name] = provider.export_data(user);
  return data;
}

void AccountService::RefuseLastAdmin(const User& user) {
  if (user.role == "admin" && users_.CountWithRole("admin") <= 1)
    throw Conflict("last_admin", "This is the site's only admin account. Make another admin before deleting it.");
}

void AccountService::DeleteAccount(const User& user, const std::string& password) {
  RefuseLastAdmin(user);  // before the password check: no point asking for it
  if (password.empty())
    ThrowFieldError("password", InvalidInput("password_required", "Enter your password to delete your account."));
  CheckPassword(user, password, "password");
  DeleteUser(user);
}

void AccountService::DeleteUser(const User& user) {
  RefuseLastAdmin(user);
  // Everything else first: if storage is down the account stays, whole, and can be deleted again.
  for (const auto& provider : providers_)
    if (provider.erase) provider.erase(user);
  std::size_t files = storage_.DeletePrefix("users/" + user.public_id + "/");
  users_.Delete(user.id);
  spdlog::info("user {} deleted with their data ({} stored file(s))", user.public_id, files);
}

void AccountService::SetSuspended(const User& user, bool suspended) {
  users_.SetSuspended(user.id, suspended, clock_.NowMs());
  if (suspended) sessions_.DeleteAllForUser(user.id);
  spdlog::info("user {} {}", user.public_id, suspended ? "suspended; sessions ended" : "no longer suspended");
}

void AccountService::SetRole(const User& user, const std::string& role) {
  if (role != "viewer" && role != "creator" && role != "moderator" && role != "admin")
    ThrowFieldError("role", InvalidInput("invalid_role", "role must be viewer, creator, moderator or admin."));
  if (user.role == "admin" && role != "admin" && users_.CountWithRole("admin") <= 1)
    throw Conflict("last_admin", "This is the site's only admin account. Make another admin first.");
  users_.SetRole(user.id, role, clock_.NowMs());
  spdlog::info("user {} is now {}", user.public_id, role);
}

bool AccountService::EnsureFirstAdmin(const std::string& username, const std::string& email,
                                      const std::string& password) {
  if (users_.CountWithRole("admin") > 0) return false;
  UserService service(database_, clock_);
  User admin = service.CreateUser({username, email, password, "admin"});
  spdlog::info("created the first admin {} ({})", admin.username, admin.public_id);
  return true;
}

void AccountService::AddUserData(UserDataProvider provider) { providers_.push_back(std::move(provider)); }

void AccountService::PruneExpired() {
  std::int64_t now = clock_.NowMs();
  auto sessions = sessions_.DeleteExpired(now);
  auto resets = resets_.DeleteExpired(now);
  auto hits = rate_limiter_.Prune(std::chrono::hours(24));
  if (sessions + resets + hits > 0)
    spdlog::info("pruned {} expired session(s), {} reset token(s), {} rate-limit record(s)", sessions, resets, hits);
}

}  // namespace monotube::auth
