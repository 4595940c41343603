#pragma once
// What people do with their accounts, without HTTP: sign up, log in and out, reset and
// change passwords, edit profiles and avatars, list and revoke sessions, export and
// erase their data. Thread-safe; every call blocks (database, password hashing, FFmpeg
// for avatars), so call it from worker threads.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "monotube/clock.hpp"
#include "monotube/db/database.hpp"
#include "monotube/rate_limit.hpp"
#include "monotube/site_settings.hpp"
#include "monotube/storage/storage.hpp"
#include "modules/auth/sessions.hpp"
#include "modules/auth/users.hpp"

namespace monotube::auth {

// Sign-ups open and the role of new accounts are site settings (SiteSettings), which
// admins change at run time.
struct AccountSettings {
  std::chrono::seconds session_ttl = std::chrono::hours(24 * 30);
  std::chrono::seconds reset_ttl = std::chrono::minutes(30);
  RateLimit login_per_account{10, std::chrono::minutes(1)};
  RateLimit login_per_address{30, std::chrono::minutes(1)};
  RateLimit signup_per_address{20, std::chrono::hours(1)};
  RateLimit reset_per_address{10, std::chrono::hours(1)};
  RateLimit reset_per_email{5, std::chrono::hours(1)};
  std::string public_url = "http://localhost:8080";  // base of links in e-mails, no trailing "/"
  std::filesystem::path temp_dir = "data/tmp";         // for avatar conversion
};

// Where a request came from, for rate limits and the session list.
struct ClientInfo {
  std::string address;
  std::string user_agent;
};

// A new session: the token is the secret the client keeps (cookie or Bearer).
struct Credentials {
  std::string token;
  Session session;
  User user;
};

// Mail delivery, handed in so the service does not wait for SMTP (and so tests can look).
using SendMail = std::function<void(const std::string& to, const std::string& subject, const std::string& text)>;

// Data another module keeps about a user, for the GDPR export and account deletion.
struct UserDataProvider {
  std::string name;                                        // its key in the export, e.g. "videos"
  std::function<nlohmann::json(const User&)> export_data;  // blocking
  std::function<void(const User&)> erase;                  // blocking; runs before the user row goes (may be empty)
};

// The user's public face (the channel view), e.g. avatar_url; "" when no avatar.
std::string AvatarUrl(const User& user);
// A session as its owner sees it (never the token): id, times, device, address.
nlohmann::json SessionJson(const Session& session);

class AccountService {
 public:
  // All references must outlive the service.
  AccountService(db::Database& database, const Clock& clock, storage::ObjectStorage& storage,
                 RateLimiter& rate_limiter, const SiteSettings& site, SendMail send_mail, AccountSettings settings);

  // Creates an account with the site's default role and logs it in (both site settings
  // read at the moment of the sign-up). Throws Forbidden
  // ("signup_closed"), RateLimited, InvalidFields (every wrong or taken field at once).
  Credentials SignUp(const std::string& username, const std::string& email, const std::string& password,
                     const ClientInfo& client);

  // login is a username or an e-mail address. Throws Unauthorized("invalid_credentials")
  // for an unknown login or a wrong password (the same answer, in about the same time),
  // Forbidden("account_suspended") after a correct password of a suspended account,
  // RateLimited when the account or the address has failed too often.
  Credentials LogIn(const std::string& login, const std::string& password, const ClientInfo& client);

  // The session and user for a token; nullopt for unknown, expired or suspended.
  // Extends a session's expiry when it is used (at most once a minute per session).
  std::optional<std::pair<Session, User>> Authenticate(std::string_view token);
  void LogOut(const Session& session);

  // Mails a single-use reset link when an account has this address; silent otherwise,
  // so the answer reveals nothing. RateLimited per address and per e-mail.
  void RequestPasswordReset(const std::string& email, const ClientInfo& client);
  // Sets the new password and ends every session of the account. Throws
  // InvalidInput("invalid_reset_token") for an unknown, used or expired token.
  void ResetPassword(std::string_view token, const std::string& new_password);
  // Checks the current password; ends every other session of the account.
  void ChangePassword(const User& user, const std::string& current_password, const std::string& new_password,
                      std::int64_t keep_session_id);

  // Changing username or e-mail needs the current password (a stolen session must not
  // take over the account's e-mail). Throws InvalidFields.
  User UpdateProfile(const User& user, const ProfileChanges& changes,
                     const std::optional<std::string>& current_password, bool password_required);

  // Decodes the image (never trusting its name), makes a 256×256 JPEG and stores it.
  User SetAvatar(const User& user, const std::filesystem::path& image);
  User RemoveAvatar(const User& user);
  // The JPEG of the user's current avatar when file is its name; NotFound otherwise.
  std::string ReadAvatar(const User& user, std::string_view file);

  std::vector<Session> Sessions(const User& user);
  // Throws NotFound when the user has no such session.
  void RevokeSession(const User& user, std::string_view session_public_id);

  // Everything stored about the user, for the GDPR export.
  nlohmann::json Export(const User& user);
  // Self-service deletion: checks the password, then DeleteUser.
  void DeleteAccount(const User& user, const std::string& password);
  // Erases the user and everything that belongs to them: other modules' data (through
  // their providers), stored files, sessions, the row. The site's last admin is refused
  // (Conflict "last_admin"), so a site never loses its administration.
  void DeleteUser(const User& user);

  // Suspending ends every session at once; the account cannot log in until lifted.
  void SetSuspended(const User& user, bool suspended);
  // viewer, creator, moderator or admin (InvalidInput otherwise); the site's last admin
  // keeps the role (Conflict "last_admin").
  void SetRole(const User& user, const std::string& role);

  // Makes the configured first admin when the site has no admin yet; returns whether it did.
  bool EnsureFirstAdmin(const std::string& username, const std::string& email, const std::string& password);

  // Other modules register what they store about users (before the server starts).
  void AddUserData(UserDataProvider provider);

  // Deletes expired sessions, reset tokens and old rate-limit hits.
  void PruneExpired();

  UserRepository& users() noexcept { return users_; }
  const AccountSettings& settings() const noexcept { return settings_; }

 private:
  Credentials StartSession(const User& user, const ClientInfo& client);
  void CheckPassword(const User& user, const std::string& password, std::string_view field);
  void RefuseLastAdmin(const User& user);

  db::Database& database_;
  const Clock& clock_;
  storage::ObjectStorage& storage_;
  RateLimiter& rate_limiter_;
  const SiteSettings& site_;
  SendMail send_mail_;
  AccountSettings settings_;
  UserRepository users_;
  SessionRepository sessions_;
  PasswordResetRepository resets_;
  std::vector<UserDataProvider> providers_;
};

}  // namespace monotube::auth
