#pragma once
// Log-in sessions and password-reset tokens. A token is 256 random bits handed to the
// client once; the database keeps only its SHA-256, so a leaked table opens no account.
// Thread-safe; every call blocks on the database (worker threads only).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "monotube/db/database.hpp"

namespace monotube::auth {

// A fresh secret token (43 characters of base64url) and the hash stored for it.
std::string NewSecretToken();
std::string HashSecretToken(std::string_view token);

struct Session {
  std::int64_t id = 0;
  std::string public_id;  // names the session in "my sessions" without revealing the token
  std::int64_t user_id = 0;
  std::int64_t created_at_ms = 0;
  std::int64_t last_seen_at_ms = 0;
  std::int64_t expires_at_ms = 0;
  std::string user_agent;
  std::string ip_address;
};

struct NewSession {
  std::int64_t user_id = 0;
  std::string token_hash;
  std::int64_t now_ms = 0;
  std::int64_t expires_at_ms = 0;
  std::string user_agent;
  std::string ip_address;
};

class SessionRepository {
 public:
  explicit SessionRepository(db::Database& database);

  Session Create(const NewSession& session);
  // The unexpired session with this token hash.
  std::optional<Session> FindValid(std::string_view token_hash, std::int64_t now_ms);
  // Records use: last seen now, expiry pushed to expires_at_ms.
  void Touch(std::int64_t session_id, std::int64_t now_ms, std::int64_t expires_at_ms);
  std::vector<Session> ListForUser(std::int64_t user_id, std::int64_t now_ms);
  bool Delete(std::int64_t session_id);
  // Only when the session belongs to user_id.
  bool DeleteForUser(std::int64_t user_id, std::string_view public_id);
  // Every session of the user except keep_session_id (0 = all); returns how many.
  std::int64_t DeleteAllForUser(std::int64_t user_id, std::int64_t keep_session_id = 0);
  std::int64_t DeleteExpired(std::int64_t now_ms);

 private:
  db::Database& database_;
};

class PasswordResetRepository {
 public:
  explicit PasswordResetRepository(db::Database& database);

  void Create(std::int64_t user_id, std::string_view token_hash, std::int64_t now_ms, std::int64_t expires_at_ms);
  // Marks the token used and returns its user, once: a second call, an expired or an
  // unknown token give nullopt. Atomic, so two concurrent uses cannot both succeed.
  std::optional<std::int64_t> Consume(std::string_view token_hash, std::int64_t now_ms);
  // Every outstanding token of the user (after a successful reset or password change).
  void DeleteForUser(std::int64_t user_id);
  std::int64_t DeleteExpired(std::int64_t now_ms);

 private:
  db::Database& database_;
};

}  // namespace monotube::auth
