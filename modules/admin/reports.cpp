#include "modules/admin/reports.hpp"

#include <algorithm>
#include <array>

#include <soci/soci.h>

#include "monotube/db/binds.hpp"
#include "monotube/errors.hpp"
#include "monotube/http/paging.hpp"
#include "monotube/ids.hpp"

namespace monotube::admin {

using db::Binds;

namespace {

constexpr const char* kSelect =
    "SELECT r.id, r.public_id, u.public_id, u.username, r.target_type, r.target_id, r.target_label, r.video_id, "
    "r.comment_id, r.category, r.text, r.state, r.action, r.resolved_by, r.resolved_at, r.created_at, "
    "(SELECT COUNT(*) FROM reports o WHERE o.target_type = r.target_type AND o.target_id = r.target_id AND "
    "o.state = 'open') FROM reports r JOIN users u ON u.id = r.reporter_id ";

std::vector<Report> SelectReports(soci::session& session, const std::string& tail, Binds binds) {
  Report row;
  long long id = 0, video_id = 0, comment_id = 0, resolved_at = 0, created_at = 0, open = 0;
  soci::indicator video_ind = soci::i_null, comment_ind = soci::i_null, resolved_ind = soci::i_null;
  soci::statement statement(session);
  binds.ExchangeInto(statement);
  statement.exchange(soci::into(id));
  statement.exchange(soci::into(row.public_id));
  statement.exchange(soci::into(row.reporter_id));
  statement.exchange(soci::into(row.reporter_username));
  statement.exchange(soci::into(row.target_type));
  statement.exchange(soci::into(row.target_id));
  statement.exchange(soci::into(row.target_label));
  statement.exchange(soci::into(video_id, video_ind));
  statement.exchange(soci::into(comment_id, comment_ind));
  statement.exchange(soci::into(row.category));
  statement.exchange(soci::into(row.text));
  statement.exchange(soci::into(row.state));
  statement.exchange(soci::into(row.action));
  statement.exchange(soci::into(row.resolved_by));
  statement.exchange(soci::into(resolved_at, resolved_ind));
  statement.exchange(soci::into(created_at));
  statement.exchange(soci::into(open));
  statement.alloc();
  statement.prepare(std::string(kSelect) + tail);
  statement.define_and_bind();
  std::vector<Report> reports;
  if (statement.execute(true)) {
    do {
      Report report = row;
      report.id = id;
      report.video_id = video_ind == soci::i_ok ? std::optional<std::int64_t>(video_id) : std::nullopt;
      report.comment_id = comment_ind == soci::i_ok ? std::optional<std::int64_t>(comment_id) : std::nullopt;
      report.resolved_at_ms = resolved_ind == soci::i_ok ? std::optional<std::int64_t>(resolved_at) : std::nullopt;
      report.created_at_ms = created_at;
      report.open_on_target = open;
      reports.push_back(std::move(report));
    } while (statement.fetch());
  }
  return reports;
}

}  // namespace

bool IsReportCategory(std::string_view category) {
  static constexpr std::array<std::string_view, 9> kCategories = {
      "spam", "harassment", "hate", "violence", "sexual", "misinformation", "copyright", "child_safety", "other"};
  return std::find(kCategories.begin(), kCategories.end(), category) != kCategories.end();
}

ReportRepository::ReportRepository(db::Database& database) : database_(database) {}

Report ReportRepository::Insert(const NewReport& report, std::int64_t now_ms) {
  std::string public_id = NewPublicId();
  try {
    database_.WithSession([&](soci::session& session) {
      Binds binds;
      binds.Text(public_id).Int(report.reporter_id).Text(report.target_type).Text(report.target_id).Text(report.target_label);
      std::string video = "NULL", comment = "NULL";
      if (report.video_id) {
        video = ":video";
        binds.Int(*report.video_id);
      }
      if (report.comment_id) {
        comment = ":comment";
        binds.Int(*report.comment_id);
      }
      binds.Text(report.category).Text(report.text).Int(now_ms);
      db::Execute(session,
                  "INSERT INTO reports (public_id, reporter_id, target_type, target_id, target_label, video_id, "
                  "comment_id, category, text, created_at) VALUES (:public_id, :reporter, :type, :target, :label, " +
                      video + ", " + comment + ", :category, :text, :now)",
                  std::move(binds));
    });
  } catch (const std::exception& e) {
    if (db::IsUniqueViolation(e)) throw Conflict("already_reported", "You have already reported this.");
    throw;
  }
  return FindByPublicId(public_id).value();
}

std::optional<Report> ReportRepository::FindByPublicId(std::string_view public_id) {
  if (!IsValidPublicId(public_id)) return std::nullopt;
  auto found = database_.WithSession([&](soci::session& session) {
    return SelectReports(session, "WHERE r.public_id = :id", Binds().Text(std::string(public_id)));
  });
  if (found.empty()) return std::nullopt;
  return std::move(found.front());
}

ReportPage ReportRepository::List(std::string_view state, std::string_view target_type, int limit,
                                  std::string_view cursor) {
  bool oldest_first = state == kReportOpen;
  std::string sql = "WHERE 1 = 1";
  Binds binds;
  if (!state.empty()) {
    sql += " AND r.state = :state";
    binds.Text(std::string(state));
  }
  if (!target_type.empty()) {
    sql += " AND r.target_type = :type";
    binds.Text(std::string(target_type));
  }
  if (!cursor.empty()) {
    sql += oldest_first ? " AND r.id > :cursor" : " AND r.id < :cursor";
    binds.Int(http::ParseCursor(cursor).id);
  }
  sql += oldest_first ? " ORDER BY r.id ASC" : " ORDER BY r.id DESC";
  sql += " LIMIT :limit";
  binds.Int(limit + 1);
  ReportPage page;
  page.reports =
      database_.WithSession([&](soci::session& session) { return SelectReports(session, sql, std::move(binds)); });
  if (static_cast<int>(page.reports.size()) > limit) {
    page.reports.resize(static_cast<std::size_t>(limit));
    page.next_cursor = http::MakeCursor(0, page.reports.back().id);
  }
  return page;
}

std::int64_t ReportRepository::CloseTarget(std::string_view target_type, std::string_view target_id,
                                           std::string_view state, std::string_view action,
                                           std::string_view resolved_by, std::int64_t now_ms) {
  return database_.WithSession([&](soci::session& session) {
    return db::Execute(session,
                       "UPDATE reports SET state = :state, action = :action, resolved_by = :by, resolved_at = :now "
                       "WHERE target_type = :type AND target_id = :target AND state = 'open'",
                       Binds()
                           .Text(std::string(state))
                           .Text(std::string(action))
                           .Text(std::string(resolved_by))
                           .Int(now_ms)
                           .Text(std::string(target_type))
                           .Text(std::string(target_id)));
  });
}

}  // namespace monotube::admin
