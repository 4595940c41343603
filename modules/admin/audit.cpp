#include <soci/soci.h>

#include "monotube/db/binds.hpp"
#include "monotube/http/paging.hpp"
#include "modules/admin/admin_module.hpp"

namespace monotube::admin {

using db::Binds;

AuditLog::AuditLog(db::Database& database, const Clock& clock) : database_(database), clock_(clock) {}

void AuditLog::Record(const auth::User& actor, std::string_view action, std::string_view target_type,
                      std::string_view target_id, std::string_view target_label, std::string_view reason,
                      const nlohmann::json& details) {
  database_.WithSession([&](soci::session& session) {
    db::Execute(session,
                "INSERT INTO audit_log (actor_id, actor_public_id, actor_username, actor_role, action, target_type, "
                "target_id, target_label, reason, details, created_at) VALUES (:a, :ap, :au, :ar, :action, :tt, :ti, "
                ":tl, :reason, :details, :now)",
                Binds()
                    .Int(actor.id)
                    .Text(actor.public_id)
                    .Text(actor.username)
                    .Text(actor.role)
                    .Text(std::string(action))
                    .Text(std::string(target_type))
                    .Text(std::string(target_id))
                    .Text(std::string(target_label))
                    .Text(std::string(reason))
                    .Text(details.dump())
                    .Int(clock_.NowMs()));
  });
}

AuditPage AuditLog::List(const AuditFilter& filter, int limit, std::string_view cursor) {
  std::string sql =
      "SELECT id, actor_public_id, actor_username, actor_role, action, target_type, target_id, target_label, reason, "
      "details, created_at FROM audit_log WHERE 1 = 1";
  Binds binds;
  auto equals = [&](const char* column, const std::string& value) {
    if (value.empty()) return;
    sql += std::string(" AND ") + column + " = :" + column;
    binds.Text(value);
  };
  equals("actor_public_id", filter.actor_id);
  equals("action", filter.action);
  equals("target_type", filter.target_type);
  equals("target_id", filter.target_id);
  if (!cursor.empty()) {
    sql += " AND id < :cursor";
    binds.Int(http::ParseCursor(cursor).id);
  }
  sql += " ORDER BY id DESC LIMIT :limit";
  binds.Int(limit + 1);
  return database_.WithSession([&](soci::session& session) {
    AuditPage page;
    AuditEntry row;
    long long id = 0, created_at = 0, last_id = 0;
    std::string details;
    soci::statement statement(session);
    binds.ExchangeInto(statement);
    statement.exchange(soci::into(id));
    statement.exchange(soci::into(row.actor_id));
    statement.exchange(soci::into(row.actor_username));
    statement.exchange(soci::into(row.actor_role));
    statement.exchange(soci::into(row.action));
    statement.exchange(soci::into(row.target_type));
    statement.exchange(soci::into(row.target_id));
    statement.exchange(soci::into(row.target_label));
    statement.exchange(soci::into(row.reason));
    statement.exchange(soci::into(details));
    statement.exchange(soci::into(created_at));
    statement.alloc();
    statement.prepare(sql);
    statement.define_and_bind();
    if (statement.execute(true)) {
      do {
        if (static_cast<int>(page.entries.size()) == limit) {
          page.next_cursor = http::MakeCursor(0, last_id);
          break;
        }
        AuditEntry entry = row;
        entry.id = id;
        entry.created_at_ms = created_at;
        entry.details = nlohmann::json::parse(details, nullptr, false);
        if (entry.details.is_discarded()) entry.details = nlohmann::json::object();
        page.entries.push_back(std::move(entry));
        last_id = id;
      } while (statement.fetch());
    }
    return page;
  });
}

}  // namespace monotube::admin
