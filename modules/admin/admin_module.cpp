#include "modules/admin/admin_module.hpp"

#include <soci/soci.h>

namespace monotube::admin {

namespace {

constexpr std::int64_t kDayMs = 86'400'000;

// "SELECT key, COUNT(*) … GROUP BY key" as {key: count}, starting from the given zeros.
nlohmann::json CountBy(soci::session& session, const std::string& sql, nlohmann::json counts) {
  std::string key;
  long long count = 0;
  soci::statement statement = (session.prepare << sql, soci::into(key), soci::into(count));
  if (statement.execute(true)) {
    do counts[key] = count;
    while (statement.fetch());
  }
  return counts;
}

long long CountSince(soci::session& session, const std::string& table, std::int64_t since_ms) {
  long long count = 0;
  long long since = since_ms;
  session << "SELECT COUNT(*) FROM " + table + " WHERE created_at >= :since", soci::into(count), soci::use(since);
  return count;
}

}  // namespace

AdminModule::AdminModule(db::Database& database, const Clock& clock, auth::AuthModule& auth,
                         videos::VideosModule& videos, interactions::InteractionsModule& interactions,
                         jobs::JobQueue& queue, SiteSettings& settings)
    : database_(database),
      clock_(clock),
      auth_(auth),
      videos_(videos),
      interactions_(interactions),
      queue_(queue),
      settings_(settings),
      audit_(database, clock),
      reports_(database) {}

AdminModule::~AdminModule() = default;

nlohmann::json AdminModule::Stats() {
  std::int64_t now = clock_.NowMs();
  nlohmann::json stats = database_.WithSession([&](soci::session& session) {
    nlohmann::json users = {
        {"by_role", CountBy(session, "SELECT role, COUNT(*) FROM users GROUP BY role",
                            {{"viewer", 0}, {"creator", 0}, {"moderator", 0}, {"admin", 0}})}};
    long long total = 0, suspended = 0;
    session << "SELECT COUNT(*), COALESCE(SUM(suspended), 0) FROM users", soci::into(total), soci::into(suspended);
    users["total"] = total;
    users["suspended"] = suspended;
    users["active"] = total - suspended;
    users["signups_last_day"] = CountSince(session, "users", now - kDayMs);
    users["signups_last_week"] = CountSince(session, "users", now - 7 * kDayMs);

    nlohmann::json videos = {
        {"by_status", CountBy(session, "SELECT status, COUNT(*) FROM videos GROUP BY status",
                              {{"uploading", 0}, {"processing", 0}, {"ready", 0}, {"failed", 0}})}};
    long long video_total = 0, hidden = 0, bytes = 0, views = 0;
    session << "SELECT COUNT(*), COALESCE(SUM(hidden), 0), COALESCE(SUM(storage_bytes), 0), COALESCE(SUM(views), 0) "
               "FROM videos",
        soci::into(video_total), soci::into(hidden), soci::into(bytes), soci::into(views);
    videos["total"] = video_total;
    videos["hidden"] = hidden;
    videos["views"] = views;
    videos["uploads_last_day"] = CountSince(session, "videos", now - kDayMs);
    videos["uploads_last_week"] = CountSince(session, "videos", now - 7 * kDayMs);
    long long open_reports = 0;
    session << "SELECT COUNT(*) FROM reports WHERE state = 'open'", soci::into(open_reports);
    return nlohmann::json{{"users", std::move(users)},
                          {"videos", std::move(videos)},
                          {"storage_bytes", bytes},
                          {"open_reports", open_reports}};
  });
  nlohmann::json jobs = nlohmann::json::object();
  for (const auto& [state, count] : queue_.CountByState()) jobs[state] = count;
  stats["jobs"] = std::move(jobs);
  stats["generated_at"] = FormatIso8601(now);
  return stats;
}

}  // namespace monotube::admin
