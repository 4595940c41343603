// The roll-up: raw events (view_events, analytics_activity) into whole-bucket rows of
// analytics_video_stats, analytics_video_viewers, analytics_channel_stats and
// analytics_site_stats. Every bucket is recomputed from its raw events and replaced, so a
// run can be repeated or cut short at any point; see Rollup in analytics.hpp.
#include <algorithm>

#include <soci/soci.h>
#include <spdlog/spdlog.h>

#include "modules/analytics/analytics.hpp"
#include "monotube/db/binds.hpp"
#include "monotube/errors.hpp"
#include "monotube/ids.hpp"

namespace monotube::analytics {

using db::Binds;
using db::Execute;

namespace {

// Bucket sizes go into the SQL as literals (constants, never input).
const std::string kH = std::to_string(kHourMs);
const std::string kD = std::to_string(kDayMs);

// Dirty-list kinds (analytics_dirty.kind).
enum Kind { kVideoHour = 0, kVideoDay = 1, kChannelHour = 2, kChannelDay = 3, kSiteHour = 4, kSiteDay = 5 };

std::string K(Kind kind) { return std::to_string(static_cast<int>(kind)); }

// "EXISTS (a dirty row of this kind for <table>'s key and bucket)".
std::string DirtyMatch(Kind kind, const std::string& table, const std::string& key_column) {
  std::string key = key_column.empty() ? "" : " AND d.key_id = " + table + "." + key_column;
  return "EXISTS (SELECT 1 FROM analytics_dirty d WHERE d.kind = " + K(kind) + key + " AND d.bucket = " + table +
         ".bucket)";
}

long long StateValue(soci::session& session, const std::string& name) {
  long long value = 0;
  session << "SELECT value FROM analytics_state WHERE name = :name", soci::into(value), soci::use(name);
  return value;
}

std::string ReachedColumns() {
  std::string out;
  for (int k = 1; k <= 10; ++k) out += ", reached_" + std::to_string(k);
  return out;
}

std::string SumReached(const std::string& alias) {
  std::string out;
  for (int k = 1; k <= 10; ++k) out += ", SUM(" + alias + ".reached_" + std::to_string(k) + ")";
  return out;
}

}  // namespace

Rollup::Rollup(db::Database& database, const Clock& clock, RollupOptions options)
    : database_(database), clock_(clock), options_(options), owner_(NewPublicId()) {}

bool Rollup::TakeLease() {
  auto now = clock_.NowMs();
  return database_.InTransaction([&](soci::session& session) {
    return Execute(session,
                   "UPDATE analytics_state SET owner = :owner, expires_at = :expires WHERE name = 'rollup_lease' AND "
                   "(owner IS NULL OR owner = :me OR expires_at < :now)",
                   Binds().Text(owner_).Int(now + options_.lease.count()).Text(owner_).Int(now)) == 1;
  });
}

void Rollup::ReleaseLease() {
  database_.InTransaction([&](soci::session& session) {
    Execute(session, "UPDATE analytics_state SET owner = NULL, expires_at = 0 WHERE name = 'rollup_lease' AND owner = :me",
            Binds().Text(owner_));
  });
}

RollupResult Rollup::Run(const RollupLimits& limits) {
  RollupResult result;
  if (!TakeLease()) return result;
  result.ran = true;
  try {
    // The high-water mark: ids up to it are committed. On PostgreSQL an id is taken before
    // its transaction commits, so a moment's SHARE lock waits for every writer in flight
    // (and holds new ones back until this transaction ends): then no id below the maximum
    // can still appear. SQLite's writers take turns, so what is visible is all there is.
    long long view_high = 0, activity_high = 0;
    database_.InTransaction([&](soci::session& session) {
      if (db::DialectOf(session) == db::Dialect::kPostgresql)
        session << "LOCK TABLE view_events, analytics_activity IN SHARE MODE";
      soci::indicator ind1 = soci::i_null, ind2 = soci::i_null;
      session << "SELECT MAX(id) FROM view_events", soci::into(view_high, ind1);
      session << "SELECT MAX(id) FROM analytics_activity", soci::into(activity_high, ind2);
      if (ind1 != soci::i_ok) view_high = 0;
      if (ind2 != soci::i_ok) activity_high = 0;
    });
    for (;;) {
      if (limits.max_chunks > 0 && result.chunks >= limits.max_chunks) break;
      bool done = false;
      database_.InTransaction([&](soci::session& session) {
        auto now = clock_.NowMs();
        // Still ours (renewed); the row lock also keeps a second runner out until commit.
        if (Execute(session,
                    "UPDATE analytics_state SET expires_at = :expires WHERE name = 'rollup_lease' AND owner = :me",
                    Binds().Int(now + options_.lease.count()).Text(owner_)) != 1)
          throw Unavailable("rollup_lease_lost", "Another server took over the analytics roll-up.");
        long long view_from = StateValue(session, "view_watermark");
        long long activity_from = StateValue(session, "activity_watermark");
        if (view_from >= view_high && activity_from >= activity_high) {
          done = true;
          return;
        }
        long long view_to = std::min<long long>(view_high, std::max(view_from, view_from + options_.chunk_events));
        long long activity_to =
            std::min<long long>(activity_high, std::max(activity_from, activity_from + options_.chunk_events));
        view_to = std::max(view_to, view_from);
        activity_to = std::max(activity_to, activity_from);
        RollChunk(session, view_from, view_to, activity_from, activity_to, limits);
        Execute(session, "UPDATE analytics_state SET value = :v WHERE name = 'view_watermark'", Binds().Int(view_to));
        Execute(session, "UPDATE analytics_state SET value = :v WHERE name = 'activity_watermark'",
                Binds().Int(activity_to));
        if (limits.after_step) limits.after_step("watermark");
        result.view_events += view_to - view_from;
        result.activity_events += activity_to - activity_from;
      });
      if (done) {
        result.complete = true;
        break;
      }
      ++result.chunks;
      ++generation_;
    }
    if (result.complete) result.pruned = Prune();
  } catch (...) {
    try {
      ReleaseLease();
    } catch (const std::exception& e) {
      spdlog::warn("analytics roll-up: could not release its lease: {}", e.what());
    }
    throw;
  }
  ReleaseLease();
  return result;
}

void Rollup::RollChunk(soci::session& session, long long view_from, long long view_to, long long activity_from,
                       long long activity_to, const RollupLimits& limits) {
  auto step = [&](std::string_view name) {
    if (limits.after_step) limits.after_step(name);
  };
  auto dirty = [&](const std::string& select, Binds binds) {
    Execute(session, "INSERT INTO analytics_dirty (kind, key_id, bucket) " + select + " ON CONFLICT DO NOTHING",
            std::move(binds));
  };
  Execute(session, "DELETE FROM analytics_dirty", Binds());

  // 1. The buckets this chunk touches.
  dirty("SELECT DISTINCT " + K(kVideoHour) + ", video_id, created_at / " + kH + " * " + kH +
            " FROM view_events WHERE id > :from AND id <= :to",
        Binds().Int(view_from).Int(view_to));
  // A heartbeat moves its view's furthest position: the hour the view was counted in.
  dirty("SELECT DISTINCT " + K(kVideoHour) + ", s.video_id, s.created_at / " + kH + " * " + kH +
            " FROM view_events e JOIN view_events s ON s.id = (SELECT MAX(y.id) FROM view_events y WHERE "
            "y.video_id = e.video_id AND y.viewer_key = e.viewer_key AND y.counted = 1 AND y.id < e.id) "
            "WHERE e.id > :from AND e.id <= :to AND e.counted = 0 AND e.position_ms IS NOT NULL",
        Binds().Int(view_from).Int(view_to));
  dirty("SELECT DISTINCT " + K(kVideoHour) + ", video_id, created_at / " + kH + " * " + kH +
            " FROM analytics_activity WHERE id > :from AND id <= :to AND video_id IS NOT NULL",
        Binds().Int(activity_from).Int(activity_to));
  dirty("SELECT DISTINCT " + K(kChannelHour) + ", channel_id, created_at / " + kH + " * " + kH +
            " FROM analytics_activity WHERE id > :from AND id <= :to AND video_id IS NULL",
        Binds().Int(activity_from).Int(activity_to));
  // Buckets whose raw events were pruned are final: recomputing them would lose what was pruned.
  long long pruned_before = StateValue(session, "pruned_before");
  auto dropped = Execute(session, "DELETE FROM analytics_dirty WHERE bucket < :before", Binds().Int(pruned_before));
  if (dropped > 0)
    spdlog::warn("analytics roll-up: {} bucket(s) older than the retention got late events; left as they were",
                 dropped);
  dirty("SELECT DISTINCT " + K(kChannelHour) + ", v.owner_id, d.bucket FROM analytics_dirty d JOIN videos v ON "
        "v.id = d.key_id WHERE d.kind = " + K(kVideoHour),
        Binds());
  dirty("SELECT DISTINCT " + K(kVideoDay) + ", key_id, bucket / " + kD + " * " + kD +
            " FROM analytics_dirty WHERE kind = " + K(kVideoHour),
        Binds());
  dirty("SELECT DISTINCT " + K(kChannelDay) + ", key_id, bucket / " + kD + " * " + kD +
            " FROM analytics_dirty WHERE kind = " + K(kChannelHour),
        Binds());
  dirty("SELECT DISTINCT " + K(kSiteHour) + ", 0, bucket FROM analytics_dirty WHERE kind = " + K(kVideoHour), Binds());
  dirty("SELECT DISTINCT " + K(kSiteDay) + ", 0, bucket / " + kD + " * " + kD +
            " FROM analytics_dirty WHERE kind = " + K(kSiteHour),
        Binds());
  step("dirty");

  // 2. Video hours, from the raw events.
  Execute(session,
          "DELETE FROM analytics_video_viewers WHERE span = " + kH + " AND " +
              DirtyMatch(kVideoHour, "analytics_video_viewers", "video_id"),
          Binds());
  Execute(session,
          "INSERT INTO analytics_video_viewers (video_id, span, bucket, viewer_key) SELECT DISTINCT e.video_id, " + kH +
              ", d.bucket, e.viewer_key FROM analytics_dirty d JOIN view_events e ON e.video_id = d.key_id AND "
              "e.created_at >= d.bucket AND e.created_at < d.bucket + " + kH + " WHERE d.kind = " + K(kVideoHour) +
              " AND e.counted = 1",
          Binds());
  Execute(session,
          "DELETE FROM analytics_video_stats WHERE span = " + kH + " AND " +
              DirtyMatch(kVideoHour, "analytics_video_stats", "video_id"),
          Binds());
  std::string reached;
  for (int k = 1; k <= 10; ++k)
    reached += ", SUM(CASE WHEN x.furthest * 10 >= " + std::to_string(k) + " * x.duration THEN 1 ELSE 0 END)";
  // A counted view lasts until the viewer's next counted view of the video: its furthest
  // position is the largest position reported in between.
  Execute(session,
          "INSERT INTO analytics_video_stats (video_id, span, bucket, views, watch_time_ms, unique_viewers" +
              ReachedColumns() + ") SELECT x.video_id, " + kH +
              ", x.bucket, SUM(x.counted), SUM(x.watch_time_ms), COUNT(DISTINCT x.viewer)" + reached +
              " FROM (SELECT e.video_id, d.bucket, e.counted, e.watch_time_ms, CASE WHEN e.counted = 1 THEN "
              "e.viewer_key END AS viewer, COALESCE(v.duration_ms, 0) AS duration, CASE WHEN e.counted = 1 AND "
              "v.duration_ms > 0 THEN COALESCE((SELECT MAX(p.position_ms) FROM view_events p WHERE p.video_id = "
              "e.video_id AND p.viewer_key = e.viewer_key AND p.id >= e.id AND p.id < COALESCE((SELECT MIN(n.id) "
              "FROM view_events n WHERE n.video_id = e.video_id AND n.viewer_key = e.viewer_key AND n.counted = 1 "
              "AND n.id > e.id), 9223372036854775807)), 0) END AS furthest FROM analytics_dirty d JOIN "
              "view_events e ON e.video_id = d.key_id AND e.created_at >= d.bucket AND e.created_at < d.bucket + " +
              kH + " JOIN videos v ON v.id = e.video_id WHERE d.kind = " + K(kVideoHour) +
              ") x GROUP BY x.video_id, x.bucket",
          Binds());
  Execute(session,
          "INSERT INTO analytics_video_stats (video_id, span, bucket, likes, dislikes, comments) SELECT a.video_id, " +
              kH + ", d.bucket, SUM(a.likes), SUM(a.dislikes), SUM(a.comments) FROM analytics_dirty d JOIN "
              "analytics_activity a ON a.video_id = d.key_id AND a.created_at >= d.bucket AND a.created_at < "
              "d.bucket + " + kH + " WHERE d.kind = " + K(kVideoHour) +
              " GROUP BY a.video_id, d.bucket ON CONFLICT (video_id, span, bucket) DO UPDATE SET likes = "
              "excluded.likes, dislikes = excluded.dislikes, comments = excluded.comments",
          Binds());
  step("video hours");

  // 3. Video days, from the hours (distinct viewers from the hours' viewers).
  Execute(session,
          "DELETE FROM analytics_video_viewers WHERE span = " + kD + " AND " +
              DirtyMatch(kVideoDay, "analytics_video_viewers", "video_id"),
          Binds());
  Execute(session,
          "INSERT INTO analytics_video_viewers (video_id, span, bucket, viewer_key) SELECT DISTINCT w.video_id, " + kD +
              ", d.bucket, w.viewer_key FROM analytics_dirty d JOIN analytics_video_viewers w ON w.video_id = "
              "d.key_id AND w.span = " + kH + " AND w.bucket >= d.bucket AND w.bucket < d.bucket + " + kD +
              " WHERE d.kind = " + K(kVideoDay),
          Binds());
  Execute(session,
          "DELETE FROM analytics_video_stats WHERE span = " + kD + " AND " +
              DirtyMatch(kVideoDay, "analytics_video_stats", "video_id"),
          Binds());
  Execute(session,
          "INSERT INTO analytics_video_stats (video_id, span, bucket, views, watch_time_ms, likes, dislikes, comments" +
              ReachedColumns() + ") SELECT d.key_id, " + kD +
              ", d.bucket, SUM(s.views), SUM(s.watch_time_ms), SUM(s.likes), SUM(s.dislikes), SUM(s.comments)" +
              SumReached("s") + " FROM analytics_dirty d JOIN analytics_video_stats s ON s.video_id = d.key_id AND "
              "s.span = " + kH + " AND s.bucket >= d.bucket AND s.bucket < d.bucket + " + kD + " WHERE d.kind = " +
              K(kVideoDay) + " GROUP BY d.key_id, d.bucket",
          Binds());
  Execute(session,
          "UPDATE analytics_video_stats SET unique_viewers = (SELECT COUNT(*) FROM analytics_video_viewers w WHERE "
          "w.video_id = analytics_video_stats.video_id AND w.span = " + kD +
              " AND w.bucket = analytics_video_stats.bucket) WHERE span = " + kD + " AND " +
              DirtyMatch(kVideoDay, "analytics_video_stats", "video_id"),
          Binds());
  step("video days");

  // 4. Channel hours and days: the sums of the channel's videos, and subscriptions.
  Execute(session,
          "DELETE FROM analytics_channel_stats WHERE span = " + kH + " AND " +
              DirtyMatch(kChannelHour, "analytics_channel_stats", "channel_id"),
          Binds());
  Execute(session,
          "INSERT INTO analytics_channel_stats (channel_id, span, bucket, views, watch_time_ms, likes, dislikes, "
          "comments) SELECT d.key_id, " + kH +
              ", d.bucket, SUM(s.views), SUM(s.watch_time_ms), SUM(s.likes), SUM(s.dislikes), SUM(s.comments) FROM "
              "analytics_dirty d JOIN videos v ON v.owner_id = d.key_id JOIN analytics_video_stats s ON s.video_id = "
              "v.id AND s.span = " + kH + " AND s.bucket = d.bucket WHERE d.kind = " + K(kChannelHour) +
              " GROUP BY d.key_id, d.bucket",
          Binds());
  Execute(session,
          "INSERT INTO analytics_channel_stats (channel_id, span, bucket, subscribers_gained, subscribers_lost) SELECT "
          "d.key_id, " + kH +
              ", d.bucket, SUM(CASE WHEN a.subscribers > 0 THEN a.subscribers ELSE 0 END), SUM(CASE WHEN "
              "a.subscribers < 0 THEN -a.subscribers ELSE 0 END) FROM analytics_dirty d JOIN analytics_activity a ON "
              "a.channel_id = d.key_id AND a.created_at >= d.bucket AND a.created_at < d.bucket + " + kH +
              " WHERE d.kind = " + K(kChannelHour) +
              " AND a.video_id IS NULL GROUP BY d.key_id, d.bucket ON CONFLICT (channel_id, span, bucket) DO UPDATE "
              "SET subscribers_gained = excluded.subscribers_gained, subscribers_lost = excluded.subscribers_lost",
          Binds());
  Execute(session,
          "DELETE FROM analytics_channel_stats WHERE span = " + kD + " AND " +
              DirtyMatch(kChannelDay, "analytics_channel_stats", "channel_id"),
          Binds());
  Execute(session,
          "INSERT INTO analytics_channel_stats (channel_id, span, bucket, views, watch_time_ms, subscribers_gained, "
          "subscribers_lost, likes, dislikes, comments) SELECT d.key_id, " + kD +
              ", d.bucket, SUM(c.views), SUM(c.watch_time_ms), SUM(c.subscribers_gained), SUM(c.subscribers_lost), "
              "SUM(c.likes), SUM(c.dislikes), SUM(c.comments) FROM analytics_dirty d JOIN analytics_channel_stats c "
              "ON c.channel_id = d.key_id AND c.span = " + kH + " AND c.bucket >= d.bucket AND c.bucket < d.bucket + " +
              kD + " WHERE d.kind = " + K(kChannelDay) + " GROUP BY d.key_id, d.bucket",
          Binds());
  step("channels");

  // 5. The site: hours from every video's hour, days from the hours.
  Execute(session, "DELETE FROM analytics_site_stats WHERE span = " + kH + " AND " +
                       DirtyMatch(kSiteHour, "analytics_site_stats", ""),
          Binds());
  Execute(session,
          "INSERT INTO analytics_site_stats (span, bucket, views, watch_time_ms) SELECT " + kH +
              ", d.bucket, SUM(s.views), SUM(s.watch_time_ms) FROM analytics_dirty d JOIN analytics_video_stats s ON "
              "s.span = " + kH + " AND s.bucket = d.bucket WHERE d.kind = " + K(kSiteHour) + " GROUP BY d.bucket",
          Binds());
  Execute(session, "DELETE FROM analytics_site_stats WHERE span = " + kD + " AND " +
                       DirtyMatch(kSiteDay, "analytics_site_stats", ""),
          Binds());
  Execute(session,
          "INSERT INTO analytics_site_stats (span, bucket, views, watch_time_ms) SELECT " + kD +
              ", d.bucket, SUM(s.views), SUM(s.watch_time_ms) FROM analytics_dirty d JOIN analytics_site_stats s ON "
              "s.span = " + kH + " AND s.bucket >= d.bucket AND s.bucket < d.bucket + " + kD +
              " WHERE d.kind = " + K(kSiteDay) + " GROUP BY d.bucket",
          Binds());
  step("site");
  Execute(session, "DELETE FROM analytics_dirty", Binds());
}

std::int64_t Rollup::Prune() {
  std::int64_t cutoff = (clock_.NowMs() - options_.retention_days * kDayMs) / kDayMs * kDayMs;
  if (cutoff <= 0) return 0;
  return database_.InTransaction([&](soci::session& session) {
    long long views = StateValue(session, "view_watermark");
    long long activity = StateValue(session, "activity_watermark");
    // Only events already rolled up; and the horizon first, so no later run recomputes a
    // bucket whose events are (partly) gone.
    Execute(session, "UPDATE analytics_state SET value = :cutoff WHERE name = 'pruned_before' AND value < :cutoff2",
            Binds().Int(cutoff).Int(cutoff));
    auto removed = Execute(session, "DELETE FROM view_events WHERE created_at < :cutoff AND id <= :w",
                           Binds().Int(cutoff).Int(views));
    removed += Execute(session, "DELETE FROM analytics_activity WHERE created_at < :cutoff AND id <= :w",
                       Binds().Int(cutoff).Int(activity));
    if (removed > 0) spdlog::info("analytics: pruned {} raw event(s) older than {} days", removed, options_.retention_days);
    return static_cast<std::int64_t>(removed);
  });
}

}  // namespace monotube::analytics
