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
  std::optional<std::string> FindPasswordHash(std::int64_t user_id);
  bool UsernameTaken(std::string_view username);
  bool EmailTaken(std::string_view email);

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
std::string LowerAscii(std::string_view text);

}  // namespace monotube::auth
