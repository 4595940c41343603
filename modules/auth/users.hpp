#pragma once
// Accounts: the User type, the repository (the only code with SQL on users) and the
// service that validates and creates users. Thread-safe; every call blocks on the
// database (worker threads only).
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "monotube/clock.hpp"
#include "monotube/db/database.hpp"
#include "monotube/text.hpp"

namespace monotube::auth {

inline constexpr std::array<std::string_view, 4> kRoles = {"viewer", "creator", "moderator", "admin"};

struct User {
  std::int64_t id;  // never leaves the server
  std::string public_id;
  std::string username;
  std::string email;
  std::string role;
  std::string display_name;
  bool suspended;
  std::int64_t created_at_ms;
  std::string bio;
  std::string avatar_key;  // "" = no avatar
  std::int64_t updated_at_ms = 0;
};

// Roles in increasing power; each includes what the ones before it may do.
enum class Role { kViewer, kCreator, kModerator, kAdmin };
Role RoleFromName(std::string_view name);  // unknown names are viewers
bool HasRole(const User& user, Role at_least);

// Profile fields to change; absent = unchanged.
struct ProfileChanges {
  std::optional<std::string> username;
  std::optional<std::string> email;
  std::optional<std::string> display_name;
  std::optional<std::string> bio;
};

// A validated user, ready to store.
struct UserInsert {
  std::string public_id;
  std::string username;
  std::string email;
  std::string password_hash;
  std::string role;
  std::string display_name;
  std::int64_t created_at_ms;
};

class UserRepository {
 public:
  explicit UserRepository(db::Database& database);

  // Throws Conflict ("username_taken", "email_taken") when a unique column, compared
  // without case, is already used.
  User Insert(const UserInsert& user);
  // login is a username or an e-mail address; case-insensitive.
  std::optional<User> FindByLogin(std::string_view login);
  std::optional<User> FindByPublicId(std::string_view public_id);
  std::optional<User> FindById(std::int64_t id);
  // The users of these ids that exist, in no particular order (one query per 100 ids).
  std::vector<User> FindByIds(const std::vector<std::int64_t>& ids);
  std::optional<User> FindByEmail(std::string_view email);
  std::optional<std::string> FindPasswordHash(std::int64_t user_id);
  bool UsernameTaken(std::string_view username);
  bool EmailTaken(std::string_view email);
  // Throw Conflict("username_taken" / "email_taken") when an account uses it, ignoring case.
  void RequireUsernameFree(std::string_view username);
  void RequireEmailFree(std::string_view email);
  std::int64_t CountWithRole(std::string_view role);

  // Applies the present fields (already validated); Conflict like Insert. Returns the user
  // as stored, or nullopt when it no longer exists.
  std::optional<User> UpdateProfile(std::int64_t user_id, const ProfileChanges& changes, std::int64_t now_ms);
  void SetPasswordHash(std::int64_t user_id, const std::string& hash, std::int64_t now_ms);
  void SetAvatarKey(std::int64_t user_id, const std::string& key, std::int64_t now_ms);  // "" = none
  void SetSuspended(std::int64_t user_id, bool suspended, std::int64_t now_ms);
  void SetRole(std::int64_t user_id, std::string_view role, std::int64_t now_ms);
  // Deletes the row; sessions and reset tokens go with it (ON DELETE CASCADE).
  bool Delete(std::int64_t user_id);

 private:
  db::Database& database_;
};

struct NewUser {
  std::string username;
  std::string email;
  std::string password;
  std::string role = "viewer";
};

class UserService {
 public:
  // Both must outlive the service.
  UserService(db::Database& database, const Clock& clock);

  // Validates, hashes the password (argon2id) and stores the user; the display name starts
  // as the username. Throws InvalidInput (codes invalid_username, invalid_email,
  // invalid_password, invalid_role) or Conflict (username_taken, email_taken).
  User CreateUser(const NewUser& request);

  UserRepository& repository() noexcept { return users_; }

 private:
  UserRepository users_;
  const Clock& clock_;
};

// The rules CreateUser applies, for other entry points (signup, profile edits, password
// changes). Each throws InvalidInput with a message for the person who typed the value.
void ValidateUsername(std::string_view username);  // 3-30 of letters, digits, '_', '.', '-'
void ValidateEmail(std::string_view email);
void ValidatePassword(std::string_view password);  // 10-128 characters
void ValidateRole(std::string_view role);
void ValidateDisplayName(std::string_view display_name);  // 1-50 characters, no control characters
void ValidateBio(std::string_view bio);                   // at most 1000 characters, valid UTF-8
// Passwords that are too easy to guess are refused even when long enough.
bool IsCommonPassword(std::string_view password);

}  // namespace monotube::auth
