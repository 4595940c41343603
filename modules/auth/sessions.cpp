#include "modules/auth/sessions.hpp"

#include <soci/soci.h>

#include "monotube/ids.hpp"

namespace monotube::auth {
namespace {

constexpr const char* kSessionColumns =
    "id, public_id, user_id, created_at, last_seen_at, expires_at, user_agent, ip_address";

void Bind(soci::statement& statement, Session& row, long long& id, long long& user_id, long long& created,
          long long& seen, long long& expires) {
  statement.exchange(soci::into(id));
  statement.exchange(soci::into(row.public_id));
  statement.exchange(soci::into(user_id));
  statement.exchange(soci::into(created));
  statement.exchange(soci::into(seen));
  statement.exchange(soci::into(expires));
  statement.exchange(soci::into(row.user_agent));
  statement.exchange(soci::into(row.ip_address));
}

// Runs a SELECT of kSessionColumns with `where` (binding values in order) and collects the rows.
template <class... Values>
std::vector<Session> SelectSessions(soci::session& session, const std::string& where_and_order,
                                    const Values&... values) {
  std::vector<Session> sessions;
  Session row;
  long long id = 0, user_id = 0, created = 0, seen = 0, expires = 0;
  soci::statement statement(session);
  (statement.exchange(soci::use(values)), ...);
  Bind(statement, row, id, user_id, created, seen, expires);
  statement.alloc();
  statement.prepare(std::string("SELECT ") + kSessionColumns + " FROM sessions WHERE " + where_and_order);
  statement.define_and_bind();
  if (statement.execute(true)) {
    do {
      row.id = id;
      row.user_id = user_id;
      row.created_at_ms = created;
      row.last_seen_at_ms = seen;
      row.expires_at_ms = expires;
      sessions.push_back(row);
    } while (statement.fetch());
  }
  return sessions;
}


}  // namespace

std::string NewSecretToken() { return RandomToken(32); }
std::string HashSecretToken(std::string_view token) { return Sha256Hex(token); }

SessionRepository::SessionRepository(db::Database& database) : database_(database) {}

Session SessionRepository::Create(const NewSession& request) {
  Session session;
  session.public_id = NewPublicId();
  session.user_id = request.user_id;
  session.created_at_ms = request.now_ms;
  session.last_seen_at_ms = request.now_ms;
  session.expires_at_ms = request.expires_at_ms;
  session.user_agent = request.user_agent.substr(0, 300);
  session.ip_address = request.ip_address;
  long long user_id = request.user_id, now = request.now_ms, expires = request.expires_at_ms, id = 0;
  database_.WithSession([&](soci::session& db) {
    db << "INSERT INTO sessions (public_id, user_id, token_hash, created_at, last_seen_at, expires_at, user_agent, "
          "ip_address) VALUES (:public_id, :user_id, :token_hash, :created_at, :last_seen_at, :expires_at, "
          ":user_agent, :ip_address) RETURNING id",
        soci::use(session.public_id), soci::use(user_id), soci::use(request.token_hash), soci::use(now),
        soci::use(now), soci::use(expires), soci::use(session.user_agent), soci::use(session.ip_address),
        soci::into(id);
  });
  session.id = id;
  return session;
}

std::optional<Session> SessionRepository::FindValid(std::string_view token_hash_view, std::int64_t now_ms) {
  std::string token_hash(token_hash_view);
  long long now = now_ms;
  auto rows = database_.WithSession([&](soci::session& session) {
    return SelectSessions(session, "token_hash = :token_hash AND expires_at > :now", token_hash, now);
  });
  if (rows.empty()) return std::nullopt;
  return rows.front();
}

void SessionRepository::Touch(std::int64_t session_id, std::int64_t now_ms, std::int64_t expires_at_ms) {
  long long id = session_id, now = now_ms, expires = expires_at_ms;
  database_.WithSession([&](soci::session& session) {
    session << "UPDATE sessions SET last_seen_at = :now, expires_at = :expires WHERE id = :id", soci::use(now),
        soci::use(expires), soci::use(id);
  });
}

std::vector<Session> SessionRepository::ListForUser(std::int64_t user_id, std::int64_t now_ms) {
  long long id = user_id, now = now_ms;
  return database_.WithSession([&](soci::session& session) {
    return SelectSessions(session, "user_id = :user_id AND expires_at > :now ORDER BY last_seen_at DESC, id DESC",
                          id, now);
  });
}

bool SessionRepository::Delete(std::int64_t session_id) {
  long long id = session_id;
  return database_.WithSession([&](soci::session& session) {
    soci::statement statement = (session.prepare << "DELETE FROM sessions WHERE id = :id", soci::use(id));
    return db::ExecuteAndCountRows(statement) > 0;
  });
}

bool SessionRepository::DeleteForUser(std::int64_t user_id, std::string_view public_id_view) {
  long long id = user_id;
  std::string public_id(public_id_view);
  return database_.WithSession([&](soci::session& session) {
    soci::statement statement =
        (session.prepare << "DELETE FROM sessions WHERE user_id = :user_id AND public_id = :public_id", soci::use(id),
         soci::use(public_id));
    return db::ExecuteAndCountRows(statement) > 0;
  });
}

std::int64_t SessionRepository::DeleteAllForUser(std::int64_t user_id, std::int64_t keep_session_id) {
  long long id = user_id, keep = keep_session_id;
  return database_.WithSession([&](soci::session& session) {
    soci::statement statement =
        (session.prepare << "DELETE FROM sessions WHERE user_id = :user_id AND id <> :keep", soci::use(id),
         soci::use(keep));
    return static_cast<std::int64_t>(db::ExecuteAndCountRows(statement));
  });
}

std::int64_t SessionRepository::DeleteExpired(std::int64_t now_ms) {
  long long now = now_ms;
  return database_.WithSession([&](soci::session& session) {
    soci::statement statement = (session.prepare << "DELETE FROM sessions WHERE expires_at <= :now", soci::use(now));
    return static_cast<std::int64_t>(db::ExecuteAndCountRows(statement));
  });
}

PasswordResetRepository::PasswordResetRepository(db::Database& database) : database_(database) {}

void PasswordResetRepository::Create(std::int64_t user_id, std::string_view token_hash_view, std::int64_t now_ms,
                                     std::int64_t expires_at_ms) {
  long long id = user_id, now = now_ms, expires = expires_at_ms;
  std::string token_hash(token_hash_view);
  database_.WithSession([&](soci::session& session) {
    session << "INSERT INTO password_resets (user_id, token_hash, created_at, expires_at) VALUES (:user_id, "
               ":token_hash, :created_at, :expires_at)",
        soci::use(id), soci::use(token_hash), soci::use(now), soci::use(expires);
  });
}

std::optional<std::int64_t> PasswordResetRepository::Consume(std::string_view token_hash_view, std::int64_t now_ms) {
  std::string token_hash(token_hash_view);
  long long now = now_ms;
  return database_.WithSession([&](soci::session& session) -> std::optional<std::int64_t> {
    long long user_id = 0;
    soci::indicator indicator = soci::i_null;
    session << "UPDATE password_resets SET used_at = :now WHERE token_hash = :token_hash AND used_at IS NULL AND "
               "expires_at > :now2 RETURNING user_id",
        soci::use(now), soci::use(token_hash), soci::use(now), soci::into(user_id, indicator);
    if (!session.got_data() || indicator != soci::i_ok) return std::nullopt;
    return user_id;
  });
}

void PasswordResetRepository::DeleteForUser(std::int64_t user_id) {
  long long id = user_id;
  database_.WithSession(
      [&](soci::session& session) { session << "DELETE FROM password_resets WHERE user_id = :id", soci::use(id); });
}

std::int64_t PasswordResetRepository::DeleteExpired(std::int64_t now_ms) {
  long long now = now_ms;
  return database_.WithSession([&](soci::session& session) {
    soci::statement statement =
        (session.prepare << "DELETE FROM password_resets WHERE expires_at <= :now", soci::use(now));
    return static_cast<std::int64_t>(db::ExecuteAndCountRows(statement));
  });
}

}  // namespace monotube::auth
