#include "modules/auth/users.hpp"

#include <algorithm>
#include <cctype>
#include <iterator>
#include <span>
#include <unordered_set>
#include <vector>

#include <soci/soci.h>
#include <spdlog/spdlog.h>

#include "monotube/db/binds.hpp"
#include "monotube/errors.hpp"
#include "monotube/ids.hpp"
#include "monotube/mail.hpp"
#include "monotube/text.hpp"

#include "modules/auth/passwords.hpp"

// The list in modules/auth/common_passwords.txt, embedded at build time.
extern const char* const kCommonPasswords;

namespace monotube::auth {
namespace {

constexpr const char* kUserColumns =
    "id, public_id, username, email, role, display_name, suspended, created_at, bio, avatar_key, updated_at";

struct UserRow {
  long long id = 0;
  std::string public_id;
  std::string username;
  std::string email;
  std::string role;
  std::string display_name;
  int suspended = 0;
  long long created_at = 0;
  std::string bio;
  std::string avatar_key;
  soci::indicator avatar_indicator = soci::i_null;
  long long updated_at = 0;

  User ToUser() const {
    return User{id,          public_id,  username, email, role, display_name, suspended != 0, created_at, bio,
                avatar_indicator == soci::i_ok ? avatar_key : std::string(), updated_at};
  }
};

// Runs a SELECT of kUserColumns where `where` has one placeholder per value, in order;
// `tail` follows the WHERE clause (ORDER BY, LIMIT).
std::vector<User> SelectUsers(db::Database& database, const std::string& where, const std::vector<std::string>& values,
                              const std::string& tail) {
  return database.WithSession([&](soci::session& session) {
    UserRow row;
    soci::statement statement(session);
    for (const std::string& value : values) statement.exchange(soci::use(value));
    statement.exchange(soci::into(row.id));
    statement.exchange(soci::into(row.public_id));
    statement.exchange(soci::into(row.username));
    statement.exchange(soci::into(row.email));
    statement.exchange(soci::into(row.role));
    statement.exchange(soci::into(row.display_name));
    statement.exchange(soci::into(row.suspended));
    statement.exchange(soci::into(row.created_at));
    statement.exchange(soci::into(row.bio));
    statement.exchange(soci::into(row.avatar_key, row.avatar_indicator));
    statement.exchange(soci::into(row.updated_at));
    statement.alloc();
    statement.prepare(std::string("SELECT ") + kUserColumns + " FROM users WHERE " + where + " " + tail,
                      soci::details::st_one_time_query);
    statement.define_and_bind();
    std::vector<User> users;
    if (statement.execute(true)) {
      do {
        users.push_back(row.ToUser());
        row = UserRow{};
      } while (statement.fetch());
    }
    return users;
  });
}

std::optional<User> SelectOneUser(db::Database& database, const std::string& where,
                                  const std::vector<std::string>& values) {
  auto users = SelectUsers(database, where, values, "ORDER BY id LIMIT 1");
  if (users.empty()) return std::nullopt;
  return std::move(users.front());
}

bool IsAsciiAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

Conflict UsernameTakenError() { return Conflict("username_taken", "That username is already taken."); }
Conflict EmailTakenError() { return Conflict("email_taken", "An account with that e-mail address already exists."); }

// A unique violation on users as the Conflict a person understands. The message names the
// constraint: "users.email_lower" (SQLite), "users_email_lower_key" (PostgreSQL).
[[noreturn]] void ThrowTaken(const std::exception& error) {
  std::string_view what = error.what();
  auto names = [what](std::string_view column) {
    return what.find("users." + std::string(column)) != std::string_view::npos ||
           what.find("users_" + std::string(column) + "_key") != std::string_view::npos;
  };
  if (names("username_lower")) throw UsernameTakenError();
  if (names("email_lower")) throw EmailTakenError();
  throw Conflict("user_exists", "That account already exists.");
}

// Beyond the address syntax every mailer accepts: a public domain, with a dot and a TLD
// that is not a number (no "name@localhost", no "name@10.0.0.1").
bool HasPublicDomain(std::string_view email) {
  std::string_view domain = email.substr(email.rfind('@') + 1);
  auto dot = domain.rfind('.');
  if (dot == std::string_view::npos) return false;
  std::string_view tld = domain.substr(dot + 1);
  return !std::all_of(tld.begin(), tld.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

Role RoleFromName(std::string_view name) {
  if (name == "admin") return Role::kAdmin;
  if (name == "moderator") return Role::kModerator;
  if (name == "creator") return Role::kCreator;
  return Role::kViewer;
}

bool HasRole(const User& user, Role at_least) {
  return static_cast<int>(RoleFromName(user.role)) >= static_cast<int>(at_least);
}

void ValidateUsername(std::string_view username) {
  bool ok = username.size() >= 3 && username.size() <= 30 &&
            std::all_of(username.begin(), username.end(),
                        [](char c) { return IsAsciiAlnum(c) || c == '_' || c == '.' || c == '-'; });
  if (!ok)
    throw InvalidInput(
        "invalid_username",
        "A username must be 3 to 30 characters long and use only letters, digits, '_', '.' or '-'.");
}

void ValidateEmail(std::string_view email) {
  if (!IsValidEmailAddress(email) || !HasPublicDomain(email))
    throw InvalidInput("invalid_email", "Enter a valid e-mail address, such as name@example.com.");
}

void ValidatePassword(std::string_view password) {
  std::size_t characters = CountCharacters(password);
  if (characters < 10)
    throw InvalidInput("invalid_password", "A password must be at least 10 characters long.");
  if (characters > 128)
    throw InvalidInput("invalid_password", "A password must be at most 128 characters long.");
  if (IsCommonPassword(password))
    throw InvalidInput("invalid_password",
                       "That password is one of the most commonly used ones and easy to guess; choose another.");
}

bool IsCommonPassword(std::string_view password) {
  static const std::unordered_set<std::string> common = [] {
    std::unordered_set<std::string> set;
    std::string_view text = kCommonPasswords;
    while (!text.empty()) {
      auto newline = text.find('\n');
      std::string_view line = text.substr(0, newline);
      text = newline == std::string_view::npos ? std::string_view() : text.substr(newline + 1);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (!line.empty() && line.front() != '#') set.emplace(line);
    }
    return set;
  }();
  std::string lower = LowerAscii(password);
  if (common.contains(lower)) return true;
  // "password123", "monkey2024!": a common one with digits or symbols added is as easy to guess.
  std::string base = lower;
  while (!base.empty() && !IsAsciiAlnum(base.back())) base.pop_back();
  while (!base.empty() && base.back() >= '0' && base.back() <= '9') base.pop_back();
  while (!base.empty() && !IsAsciiAlnum(base.back())) base.pop_back();
  if (base.size() >= 4 && common.contains(base)) return true;
  // One character repeated ("aaaaaaaaaa").
  return !lower.empty() && std::all_of(lower.begin(), lower.end(), [&](char c) { return c == lower.front(); });
}

void ValidateBio(std::string_view bio) {
  if (CountCharacters(bio) > 1000) throw InvalidInput("invalid_bio", "A bio must be at most 1000 characters long.");
  bool bad_control = std::any_of(bio.begin(), bio.end(), [](char c) {
    return std::iscntrl(static_cast<unsigned char>(c)) && c != '\n' && c != '\t';
  });
  if (bad_control) throw InvalidInput("invalid_bio", "A bio cannot contain control characters.");
}

void ValidateRole(std::string_view role) {
  if (std::find(kRoles.begin(), kRoles.end(), role) == kRoles.end())
    throw InvalidInput("invalid_role", "The role must be one of viewer, creator, moderator or admin.");
}

void ValidateDisplayName(std::string_view display_name) {
  std::size_t characters = CountCharacters(display_name);
  bool has_control = std::any_of(display_name.begin(), display_name.end(),
                                 [](char c) { return std::iscntrl(static_cast<unsigned char>(c)); });
  if (characters < 1 || characters > 50 || has_control)
    throw InvalidInput("invalid_display_name",
                       "A display name must be 1 to 50 characters long, without control characters.");
}

UserRepository::UserRepository(db::Database& database) : database_(database) {}

User UserRepository::Insert(const UserInsert& user) {
  std::string username_lower = LowerAscii(user.username);
  std::string email_lower = LowerAscii(user.email);
  long long created_at = user.created_at_ms;
  try {
    long long id = database_.WithSession([&](soci::session& session) {
      long long inserted = 0;
      session << "INSERT INTO users (public_id, username, username_lower, email, email_lower, password_hash, "
                 "role, "
                 "display_name, suspended, created_at, updated_at) VALUES (:public_id, :username, "
                 ":username_lower, "
                 ":email, :email_lower, :password_hash, :role, :display_name, 0, :created_at, :updated_at) "
                 "RETURNING id",
          soci::use(user.public_id), soci::use(user.username), soci::use(username_lower),
          soci::use(user.email), soci::use(email_lower), soci::use(user.password_hash), soci::use(user.role),
          soci::use(user.display_name), soci::use(created_at), soci::use(created_at), soci::into(inserted);
      return inserted;
    });
    return User{id,         user.public_id, user.username, user.email, user.role, user.display_name, false,
                created_at, "",             "",            created_at};
  } catch (const std::exception& e) {
    if (!db::IsUniqueViolation(e)) throw;
    ThrowTaken(e);
  }
}

std::optional<User> UserRepository::FindByLogin(std::string_view login) {
  std::string lower = LowerAscii(login);
  return SelectOneUser(database_, "username_lower = :username OR email_lower = :email", {lower, lower});
}

std::optional<User> UserRepository::FindByPublicId(std::string_view public_id) {
  return SelectOneUser(database_, "public_id = :public_id", {std::string(public_id)});
}

std::optional<std::string> UserRepository::FindPasswordHash(std::int64_t user_id) {
  long long id = user_id;
  return database_.WithSession([&](soci::session& session) -> std::optional<std::string> {
    std::string hash;
    soci::indicator indicator = soci::i_null;
    session << "SELECT password_hash FROM users WHERE id = :id", soci::use(id), soci::into(hash, indicator);
    if (indicator != soci::i_ok) return std::nullopt;
    return hash;
  });
}

std::optional<User> UserRepository::FindById(std::int64_t id) {
  return SelectOneUser(database_, "id = :id", {std::to_string(id)});
}

std::vector<User> UserRepository::FindByIds(const std::vector<std::int64_t>& ids) {
  std::vector<User> users;
  db::ForEachIdList(ids, [&](std::span<const std::int64_t> chunk, const std::string& list) {
    std::vector<std::string> values;
    for (std::int64_t id : chunk) values.push_back(std::to_string(id));
    auto some = SelectUsers(database_, "id IN " + list, values, "");
    std::move(some.begin(), some.end(), std::back_inserter(users));
  });
  return users;
}

std::optional<User> UserRepository::FindByEmail(std::string_view email) {
  return SelectOneUser(database_, "email_lower = :email", {LowerAscii(email)});
}

std::int64_t UserRepository::CountWithRole(std::string_view role_view) {
  std::string role(role_view);
  return database_.WithSession([&](soci::session& session) {
    long long count = 0;
    session << "SELECT COUNT(*) FROM users WHERE role = :role", soci::use(role), soci::into(count);
    return static_cast<std::int64_t>(count);
  });
}

std::optional<User> UserRepository::UpdateProfile(std::int64_t user_id, const ProfileChanges& changes,
                                                  std::int64_t now_ms) {
  long long id = user_id;
  long long now = now_ms;
  std::string username_lower = changes.username ? LowerAscii(*changes.username) : "";
  std::string email_lower = changes.email ? LowerAscii(*changes.email) : "";
  try {
    database_.WithSession([&](soci::session& session) {
      // Column names are fixed here; only values come from the request, always bound.
      std::string sql = "UPDATE users SET updated_at = :now";
      soci::statement statement(session);
      statement.exchange(soci::use(now));
      if (changes.username) {
        sql += ", username = :username, username_lower = :username_lower";
        statement.exchange(soci::use(*changes.username));
        statement.exchange(soci::use(username_lower));
      }
      if (changes.email) {
        sql += ", email = :email, email_lower = :email_lower";
        statement.exchange(soci::use(*changes.email));
        statement.exchange(soci::use(email_lower));
      }
      if (changes.display_name) {
        sql += ", display_name = :display_name";
        statement.exchange(soci::use(*changes.display_name));
      }
      if (changes.bio) {
        sql += ", bio = :bio";
        statement.exchange(soci::use(*changes.bio));
      }
      sql += " WHERE id = :id";
      statement.exchange(soci::use(id));
      statement.alloc();
      statement.prepare(sql);
      statement.define_and_bind();
      statement.execute(true);
    });
  } catch (const std::exception& e) {
    if (!db::IsUniqueViolation(e)) throw;
    ThrowTaken(e);
  }
  return FindById(user_id);
}

void UserRepository::SetPasswordHash(std::int64_t user_id, const std::string& hash, std::int64_t now_ms) {
  long long id = user_id;
  long long now = now_ms;
  database_.WithSession([&](soci::session& session) {
    session << "UPDATE users SET password_hash = :hash, password_changed_at = :now, updated_at = :now2 WHERE id = :id",
        soci::use(hash), soci::use(now), soci::use(now), soci::use(id);
  });
}

void UserRepository::SetAvatarKey(std::int64_t user_id, const std::string& key, std::int64_t now_ms) {
  long long id = user_id;
  long long now = now_ms;
  soci::indicator indicator = key.empty() ? soci::i_null : soci::i_ok;
  database_.WithSession([&](soci::session& session) {
    session << "UPDATE users SET avatar_key = :key, updated_at = :now WHERE id = :id", soci::use(key, indicator),
        soci::use(now), soci::use(id);
  });
}

void UserRepository::SetSuspended(std::int64_t user_id, bool suspended, std::int64_t now_ms) {
  long long id = user_id;
  long long now = now_ms;
  int flag = suspended ? 1 : 0;
  database_.WithSession([&](soci::session& session) {
    session << "UPDATE users SET suspended = :suspended, updated_at = :now WHERE id = :id", soci::use(flag),
        soci::use(now), soci::use(id);
  });
}

void UserRepository::SetRole(std::int64_t user_id, std::string_view role_view, std::int64_t now_ms) {
  long long id = user_id;
  long long now = now_ms;
  std::string role(role_view);
  database_.WithSession([&](soci::session& session) {
    session << "UPDATE users SET role = :role, updated_at = :now WHERE id = :id", soci::use(role), soci::use(now),
        soci::use(id);
  });
}

bool UserRepository::Delete(std::int64_t user_id) {
  long long id = user_id;
  return database_.WithSession([&](soci::session& session) {
    soci::statement statement = (session.prepare << "DELETE FROM users WHERE id = :id", soci::use(id));
    return db::ExecuteAndCountRows(statement) > 0;
  });
}

bool UserRepository::UsernameTaken(std::string_view username) {
  std::string lower = LowerAscii(username);
  return database_.WithSession([&](soci::session& session) {
    int count = 0;
    session << "SELECT COUNT(*) FROM users WHERE username_lower = :username", soci::use(lower),
        soci::into(count);
    return count > 0;
  });
}

bool UserRepository::EmailTaken(std::string_view email) {
  std::string lower = LowerAscii(email);
  return database_.WithSession([&](soci::session& session) {
    int count = 0;
    session << "SELECT COUNT(*) FROM users WHERE email_lower = :email", soci::use(lower), soci::into(count);
    return count > 0;
  });
}

void UserRepository::RequireUsernameFree(std::string_view username) {
  if (UsernameTaken(username)) throw UsernameTakenError();
}

void UserRepository::RequireEmailFree(std::string_view email) {
  if (EmailTaken(email)) throw EmailTakenError();
}

UserService::UserService(db::Database& database, const Clock& clock) : users_(database), clock_(clock) {}

User UserService::CreateUser(const NewUser& request) {
  ValidateUsername(request.username);
  ValidateEmail(request.email);
  ValidatePassword(request.password);
  ValidateRole(request.role);
  users_.RequireUsernameFree(request.username);
  users_.RequireEmailFree(request.email);

  UserInsert insert{NewPublicId(), request.username, request.email, HashPassword(request.password),
                    request.role,  request.username, clock_.NowMs()};
  User user = users_.Insert(insert);
  spdlog::info("user {} created with role {}", user.public_id, user.role);
  return user;
}

}  // namespace monotube::auth
