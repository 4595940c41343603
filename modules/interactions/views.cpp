#include "modules/interactions/views.hpp"

#include <soci/soci.h>

#include "monotube/db/binds.hpp"
#include "monotube/errors.hpp"

namespace monotube::interactions {

using db::Binds;
using db::Execute;

ViewRepository::ViewRepository(db::Database& database, std::int64_t window_ms)
    : database_(database), window_ms_(window_ms) {}

ViewResult ViewRepository::Record(const ViewReport& report, std::int64_t now_ms) {
  return database_.InTransaction([&](soci::session& session) {
    // The video's row first: reports of one video take turns, so "counted" is decided once
    // per viewer even when two reports of the same viewer arrive together.
    if (Execute(session, "UPDATE videos SET views = views WHERE id = :id", Binds().Int(report.video_id)) != 1)
      throw NotFound("video_not_found", "This video does not exist or is not available.");
    long long last_counted = 0;
    session << "SELECT last_counted_at FROM video_viewers WHERE video_id = :v AND viewer_key = :k",
        soci::into(last_counted), soci::use(static_cast<long long>(report.video_id)), soci::use(report.viewer_key);
    bool known = session.got_data();
    bool counted = !known || (report.start && now_ms - last_counted >= window_ms_);
    Binds position;
    std::string position_sql = "NULL";
    if (report.position_ms) {
      position_sql = ":position";
      position.Int(*report.position_ms);
    }
    if (!known) {
      Binds binds;
      binds.Int(report.video_id).Text(report.viewer_key);
      std::string user_sql = "NULL";
      if (report.user_id) {
        user_sql = ":user";
        binds.Int(*report.user_id);
      }
      binds.Int(now_ms).Int(now_ms);
      if (report.position_ms) binds.Int(*report.position_ms);
      binds.Int(report.watch_time_ms);
      Execute(session,
              "INSERT INTO video_viewers (video_id, viewer_key, user_id, last_counted_at, last_seen_at, position_ms, "
              "watch_time_ms) VALUES (:v, :k, " +
                  user_sql + ", :counted, :seen, " + position_sql + ", :watched)",
              std::move(binds));
    } else {
      Binds binds;
      binds.Int(counted ? now_ms : last_counted).Int(now_ms);
      if (report.position_ms) binds.Int(*report.position_ms);
      binds.Int(report.watch_time_ms).Int(report.video_id).Text(report.viewer_key);
      Execute(session,
              "UPDATE video_viewers SET last_counted_at = :counted, last_seen_at = :seen, position_ms = COALESCE(" +
                  position_sql + ", position_ms), watch_time_ms = watch_time_ms + :watched WHERE video_id = :v AND "
                                 "viewer_key = :k",
              std::move(binds));
    }
    Execute(session, "UPDATE videos SET views = views + :counted, watch_time_ms = watch_time_ms + :watched WHERE id = :id",
            Binds().Int(counted ? 1 : 0).Int(report.watch_time_ms).Int(report.video_id));
    {
      Binds binds;
      binds.Int(report.video_id).Text(report.viewer_key);
      std::string user_sql = "NULL";
      if (report.user_id) {
        user_sql = ":user";
        binds.Int(*report.user_id);
      }
      binds.Int(counted ? 1 : 0).Int(report.watch_time_ms);
      if (report.position_ms) binds.Int(*report.position_ms);
      binds.Int(now_ms);
      Execute(session,
              "INSERT INTO view_events (video_id, viewer_key, user_id, counted, watch_time_ms, position_ms, created_at) "
              "VALUES (:v, :k, " +
                  user_sql + ", :counted, :watched, " + position_sql + ", :now)",
              std::move(binds));
    }
    ViewResult result;
    result.counted = counted;
    long long views = 0;
    session << "SELECT views FROM videos WHERE id = :id", soci::into(views),
        soci::use(static_cast<long long>(report.video_id));
    result.views = views;
    return result;
  });
}

std::optional<std::int64_t> ViewRepository::ResumePosition(std::int64_t video_id, std::int64_t user_id) {
  return database_.WithSession([&](soci::session& session) -> std::optional<std::int64_t> {
    long long position = 0;
    soci::indicator ind = soci::i_null;
    std::string key = "u:" + std::to_string(user_id);
    session << "SELECT position_ms FROM video_viewers WHERE video_id = :v AND viewer_key = :k",
        soci::into(position, ind), soci::use(static_cast<long long>(video_id)), soci::use(key);
    if (!session.got_data() || ind != soci::i_ok) return std::nullopt;
    return position;
  });
}

std::vector<ViewRepository::HistoryEntry> ViewRepository::HistoryOf(std::int64_t user_id) {
  return database_.WithSession([&](soci::session& session) {
    std::vector<HistoryEntry> entries;
    std::string video;
    long long watched = 0, position = 0, seen = 0, user = user_id;
    soci::indicator position_ind = soci::i_null;
    soci::statement statement =
        (session.prepare << "SELECT v.public_id, w.watch_time_ms, w.position_ms, w.last_seen_at FROM video_viewers w "
                            "JOIN videos v ON v.id = w.video_id WHERE w.user_id = :u ORDER BY w.last_seen_at DESC",
         soci::into(video), soci::into(watched), soci::into(position, position_ind), soci::into(seen), soci::use(user));
    if (statement.execute(true)) {
      do {
        HistoryEntry entry{video, watched, std::nullopt, seen};
        if (position_ind == soci::i_ok) entry.position_ms = position;
        entries.push_back(std::move(entry));
      } while (statement.fetch());
    }
    return entries;
  });
}

}  // namespace monotube::interactions
