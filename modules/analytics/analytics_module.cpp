#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <unordered_map>

#include <soci/soci.h>
#include <spdlog/spdlog.h>

#include "modules/analytics/analytics.hpp"
#include "monotube/db/binds.hpp"
#include "monotube/errors.hpp"
#include "monotube/http/paging.hpp"

namespace monotube::analytics {

using db::Binds;
using db::Execute;

namespace {

constexpr std::int64_t kMaxSpanMs = 400 * kDayMs;
constexpr std::int64_t kMaxHourlySpanMs = 31 * kDayMs;

[[noreturn]] void BadRange(const std::string& message) { throw InvalidInput("invalid_range", message); }

// ms since the epoch (digits) or a date, YYYY-MM-DD (UTC midnight).
std::int64_t ParseInstant(const std::string& text, const char* name) {
  if (text.empty()) BadRange(std::string(name) + " is empty: give milliseconds since the epoch or YYYY-MM-DD.");
  if (std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); })) {
    auto value = http::ParseCount(text);
    if (!value || *value > 253'402'300'799'999LL)
      BadRange(std::string(name) + " is out of range.");
    return *value;
  }
  std::int64_t ms = 0;
  if (text.size() != 10 || !ParseIso8601(text, ms))
    BadRange(std::string(name) + " must be milliseconds since the epoch or a date like 2026-11-23.");
  return ms;
}

std::int64_t FloorTo(std::int64_t t, std::int64_t span) { return t / span * span; }
std::int64_t CeilTo(std::int64_t t, std::int64_t span) { return (t + span - 1) / span * span; }

double Ratio(long long part, long long whole) { return whole > 0 ? static_cast<double>(part) / whole : 0.0; }

long long Average(long long watch, long long views) { return views > 0 ? watch / views : 0; }

}  // namespace

Range ParseRange(const std::function<std::optional<std::string>(std::string_view)>& param, std::int64_t now_ms) {
  auto granularity = param("granularity");
  std::optional<std::int64_t> span;
  if (granularity && !granularity->empty()) {
    if (*granularity == "hour") span = kHourMs;
    else if (*granularity == "day") span = kDayMs;
    else throw InvalidInput("invalid_granularity", "granularity must be hour or day.");
  }
  auto from = param("from"), to = param("to"), range = param("range");
  Range result;
  if (from || to) {
    if (!from || !to) BadRange("Give both from and to (or a range such as 28d).");
    if (range) BadRange("Give either range or from and to, not both.");
    std::int64_t begin = ParseInstant(*from, "from"), end = ParseInstant(*to, "to");
    if (begin >= end) BadRange("from must be before to.");
    if (end - begin > kMaxSpanMs) BadRange("A range can span at most 400 days.");
    result.span_ms = span.value_or(end - begin <= 48 * kHourMs ? kHourMs : kDayMs);
    result.from_ms = FloorTo(begin, result.span_ms);
    result.to_ms = CeilTo(end, result.span_ms);
  } else {
    std::string name = range.value_or("28d");
    std::int64_t length = 0;
    if (name == "24h") length = 24 * kHourMs;
    else if (name == "7d") length = 7 * kDayMs;
    else if (name == "28d") length = 28 * kDayMs;
    else if (name == "90d") length = 90 * kDayMs;
    else if (name == "365d") length = 365 * kDayMs;
    else BadRange("range must be 24h, 7d, 28d, 90d or 365d (or give from and to).");
    result.span_ms = span.value_or(length <= 48 * kHourMs ? kHourMs : kDayMs);
    result.to_ms = FloorTo(now_ms, result.span_ms) + result.span_ms;
    result.from_ms = result.to_ms - length;
  }
  if (result.span_ms == kHourMs && result.to_ms - result.from_ms > kMaxHourlySpanMs)
    throw InvalidInput("invalid_granularity", "Hourly figures cover at most 31 days: choose day for a longer range.");
  return result;
}

AnalyticsModule::AnalyticsModule(db::Database& database, const Clock& clock, auth::AuthModule& auth,
                                 videos::VideosModule& videos, interactions::InteractionsModule& interactions,
                                 AnalyticsOptions options)
    : database_(database),
      clock_(clock),
      auth_(auth),
      videos_(videos),
      options_(std::move(options)),
      rollup_(database, clock, options_.rollup) {
  // History of likes, comments and subscriptions, written in the transaction of the change
  // itself: a separate write could be lost or doubled when a server dies in between.
  interactions.SetActivityListener([this](soci::session& session, const interactions::ActivityChange& change) {
    auto now = clock_.NowMs();
    if (change.video_id != 0) {
      Execute(session,
              "INSERT INTO analytics_activity (video_id, channel_id, likes, dislikes, comments, subscribers, "
              "created_at) SELECT id, owner_id, :l, :d, :c, 0, :now FROM videos WHERE id = :v",
              Binds().Int(change.likes).Int(change.dislikes).Int(change.comments).Int(now).Int(change.video_id));
    } else {
      Execute(session,
              "INSERT INTO analytics_activity (video_id, channel_id, subscribers, created_at) VALUES (NULL, :c, :s, "
              ":now)",
              Binds().Int(change.channel_id).Int(change.subscribers).Int(now));
    }
  });
  videos_.SetTrendingOrder([this]() {
    std::vector<std::int64_t> ids;
    for (const auto& entry : Trending(24 * kHourMs)) ids.push_back(entry.video_id);
    return ids;
  });
}

AnalyticsModule::~AnalyticsModule() = default;

nlohmann::json AnalyticsModule::VideoReport(const videos::Video& video, const Range& range) {
  return database_.WithSession([&](soci::session& session) {
    nlohmann::json series = nlohmann::json::array();
    long long bucket = 0, views = 0, watch = 0, unique = 0, likes = 0, dislikes = 0, comments = 0;
    long long video_id = video.id, span = range.span_ms, from = range.from_ms, to = range.to_ms;
    std::unordered_map<long long, nlohmann::json> rows;
    soci::statement statement =
        (session.prepare << "SELECT bucket, views, watch_time_ms, unique_viewers, likes, dislikes, comments FROM "
                            "analytics_video_stats WHERE video_id = :v AND span = :s AND bucket >= :f AND bucket < :t",
         soci::into(bucket), soci::into(views), soci::into(watch), soci::into(unique), soci::into(likes),
         soci::into(dislikes), soci::into(comments), soci::use(video_id), soci::use(span), soci::use(from),
         soci::use(to));
    long long total_views = 0, total_watch = 0, total_likes = 0, total_dislikes = 0, total_comments = 0;
    if (statement.execute(true)) {
      do {
        rows[bucket] = {{"t", bucket}, {"views", views}, {"unique_viewers", unique}, {"watch_time_ms", watch},
                        {"average_view_duration_ms", Average(watch, views)}, {"likes", likes},
                        {"dislikes", dislikes}, {"comments", comments}};
        total_views += views;
        total_watch += watch;
        total_likes += likes;
        total_dislikes += dislikes;
        total_comments += comments;
      } while (statement.fetch());
    }
    for (long long t = from; t < to; t += span) {
      auto found = rows.find(t);
      if (found != rows.end()) series.push_back(std::move(found->second));
      else
        series.push_back({{"t", t}, {"views", 0}, {"unique_viewers", 0}, {"watch_time_ms", 0},
                          {"average_view_duration_ms", 0}, {"likes", 0}, {"dislikes", 0}, {"comments", 0}});
    }
    long long distinct = 0;
    session << "SELECT COUNT(DISTINCT viewer_key) FROM analytics_video_viewers WHERE video_id = :v AND span = :s AND "
               "bucket >= :f AND bucket < :t",
        soci::into(distinct), soci::use(video_id), soci::use(span), soci::use(from), soci::use(to);
    std::vector<long long> reached(11, 0);
    {
      std::string sql = "SELECT ";
      for (int k = 1; k <= 10; ++k)
        sql += std::string(k > 1 ? ", " : "") + "COALESCE(SUM(reached_" + std::to_string(k) + "), 0)";
      sql += " FROM analytics_video_stats WHERE video_id = :v AND span = :s AND bucket >= :f AND bucket < :t";
      soci::statement sums(session);
      for (int k = 1; k <= 10; ++k) sums.exchange(soci::into(reached[k]));
      sums.exchange(soci::use(video_id));
      sums.exchange(soci::use(span));
      sums.exchange(soci::use(from));
      sums.exchange(soci::use(to));
      sums.alloc();
      sums.prepare(sql);
      sums.define_and_bind();
      sums.execute(true);
    }
    reached[0] = total_views;
    nlohmann::json retention = nlohmann::json::array();
    for (int k = 0; k <= 10; ++k) retention.push_back({{"at", k / 10.0}, {"share", Ratio(reached[k], total_views)}});
    return nlohmann::json{
        {"video",
         {{"id", video.public_id},
          {"title", video.title},
          {"duration_ms", video.duration_ms ? nlohmann::json(*video.duration_ms) : nlohmann::json(nullptr)},
          {"published_at", video.published_at_ms ? nlohmann::json(*video.published_at_ms) : nlohmann::json(nullptr)}}},
        {"range", {{"from", from}, {"to", to}, {"granularity", span == kHourMs ? "hour" : "day"}}},
        {"totals",
         {{"views", total_views},
          {"unique_viewers", distinct},
          {"watch_time_ms", total_watch},
          {"average_view_duration_ms", Average(total_watch, total_views)},
          {"likes", total_likes},
          {"dislikes", total_dislikes},
          {"comments", total_comments}}},
        {"series", std::move(series)},
        {"retention", std::move(retention)}};
  });
}

nlohmann::json AnalyticsModule::ChannelReport(const auth::User& channel, const Range& range) {
  struct Top {
    long long video_id, views, watch;
  };
  auto [answer, top] = database_.WithSession([&](soci::session& session) {
    long long channel_id = channel.id, span = range.span_ms, from = range.from_ms, to = range.to_ms;
    long long bucket = 0, views = 0, watch = 0, gained = 0, lost = 0, likes = 0, dislikes = 0, comments = 0;
    std::unordered_map<long long, nlohmann::json> rows;
    long long t_views = 0, t_watch = 0, t_gained = 0, t_lost = 0, t_likes = 0, t_dislikes = 0, t_comments = 0;
    soci::statement statement =
        (session.prepare << "SELECT bucket, views, watch_time_ms, subscribers_gained, subscribers_lost, likes, "
                            "dislikes, comments FROM analytics_channel_stats WHERE channel_id = :c AND span = :s AND "
                            "bucket >= :f AND bucket < :t",
         soci::into(bucket), soci::into(views), soci::into(watch), soci::into(gained), soci::into(lost),
         soci::into(likes), soci::into(dislikes), soci::into(comments), soci::use(channel_id), soci::use(span),
         soci::use(from), soci::use(to));
    if (statement.execute(true)) {
      do {
        rows[bucket] = {{"t", bucket}, {"views", views}, {"watch_time_ms", watch}, {"subscribers_gained", gained},
                        {"subscribers_lost", lost}, {"likes", likes}, {"dislikes", dislikes}, {"comments", comments}};
        t_views += views;
        t_watch += watch;
        t_gained += gained;
        t_lost += lost;
        t_likes += likes;
        t_dislikes += dislikes;
        t_comments += comments;
      } while (statement.fetch());
    }
    nlohmann::json series = nlohmann::json::array();
    for (long long t = from; t < to; t += span) {
      auto found = rows.find(t);
      if (found != rows.end()) series.push_back(std::move(found->second));
      else
        series.push_back({{"t", t}, {"views", 0}, {"watch_time_ms", 0}, {"subscribers_gained", 0},
                          {"subscribers_lost", 0}, {"likes", 0}, {"dislikes", 0}, {"comments", 0}});
    }
    long long subscribers = 0;
    session << "SELECT subscriber_count FROM users WHERE id = :c", soci::into(subscribers), soci::use(channel_id);
    std::vector<Top> best_videos;
    long long video_id = 0;
    soci::statement best =
        // The channel's videos first (CROSS JOIN fixes SQLite's join order): otherwise it walks
        // every video's rows of the range by (span, bucket), which grows with the whole site.
        (session.prepare << "SELECT s.video_id, SUM(s.views) AS total, SUM(s.watch_time_ms) FROM videos v "
                            "CROSS JOIN analytics_video_stats s WHERE s.video_id = v.id AND v.owner_id = :c AND "
                            "s.span = :s AND s.bucket >= :f AND s.bucket < :t GROUP BY s.video_id HAVING "
                            "SUM(s.views) > 0 ORDER BY total DESC, s.video_id DESC LIMIT 10",
         soci::into(video_id), soci::into(views), soci::into(watch), soci::use(channel_id), soci::use(span),
         soci::use(from), soci::use(to));
    if (best.execute(true)) {
      do best_videos.push_back({video_id, views, watch});
      while (best.fetch());
    }
    nlohmann::json json = {
        {"channel", {{"id", channel.public_id}, {"username", channel.username}}},
        {"range", {{"from", from}, {"to", to}, {"granularity", span == kHourMs ? "hour" : "day"}}},
        {"totals",
         {{"views", t_views},
          {"watch_time_ms", t_watch},
          {"average_view_duration_ms", Average(t_watch, t_views)},
          {"subscribers_gained", t_gained},
          {"subscribers_lost", t_lost},
          {"subscribers_net", t_gained - t_lost},
          {"likes", t_likes},
          {"dislikes", t_dislikes},
          {"comments", t_comments},
          {"subscribers", subscribers}}},
        {"series", std::move(series)}};
    return std::make_pair(std::move(json), std::move(best_videos));
  });
  nlohmann::json list = nlohmann::json::array();
  for (const Top& entry : top) {
    auto video = videos_.repository().FindById(entry.video_id);
    if (!video) continue;
    auto full = videos_.VideoJson(*video, channel);
    list.push_back({{"video", {{"id", video->public_id}, {"title", video->title}, {"thumbnail_url", full["thumbnail_url"]}}},
                    {"views", entry.views},
                    {"watch_time_ms", entry.watch}});
  }
  answer["top_videos"] = std::move(list);
  return answer;
}

nlohmann::json AnalyticsModule::SiteReport(const Range& range) {
  return database_.WithSession([&](soci::session& session) {
    long long span = range.span_ms, from = range.from_ms, to = range.to_ms;
    std::map<long long, std::array<long long, 4>> rows;  // signups, uploads, views, watch
    long long bucket = 0, a = 0, b = 0;
    auto collect = [&](const std::string& sql, int first, bool two) {
      soci::statement statement(session);
      statement.exchange(soci::into(bucket));
      statement.exchange(soci::into(a));
      if (two) statement.exchange(soci::into(b));
      statement.exchange(soci::use(from));
      statement.exchange(soci::use(to));
      statement.alloc();
      statement.prepare(sql);
      statement.define_and_bind();
      if (statement.execute(true)) {
        do {
          auto& row = rows[bucket];
          row[first] = a;
          if (two) row[first + 1] = b;
        } while (statement.fetch());
      }
    };
    // Sign-ups and uploads straight from the rows' creation times (indexed, and small next
    // to the view log): always current, nothing to roll up. Deleted accounts and videos
    // leave these figures.
    std::string bucket_of = "created_at / " + std::to_string(span) + " * " + std::to_string(span);
    collect("SELECT " + bucket_of + " AS b, COUNT(*) FROM users WHERE created_at >= :f AND created_at < :t GROUP BY b",
            0, false);
    collect("SELECT " + bucket_of + " AS b, COUNT(*) FROM videos WHERE created_at >= :f AND created_at < :t GROUP BY b",
            1, false);
    collect("SELECT bucket, views, watch_time_ms FROM analytics_site_stats WHERE span = " + std::to_string(span) +
                " AND bucket >= :f AND bucket < :t",
            2, true);
    nlohmann::json series = nlohmann::json::array();
    std::array<long long, 4> totals{};
    for (long long t = from; t < to; t += span) {
      std::array<long long, 4> row{};
      if (auto found = rows.find(t); found != rows.end()) row = found->second;
      for (int i = 0; i < 4; ++i) totals[i] += row[i];
      series.push_back({{"t", t}, {"signups", row[0]}, {"uploads", row[1]}, {"views", row[2]}, {"watch_time_ms", row[3]}});
    }
    return nlohmann::json{
        {"range", {{"from", from}, {"to", to}, {"granularity", span == kHourMs ? "hour" : "day"}}},
        {"totals", {{"signups", totals[0]}, {"uploads", totals[1]}, {"views", totals[2]}, {"watch_time_ms", totals[3]}}},
        {"series", std::move(series)}};
  });
}

std::vector<TrendingEntry> AnalyticsModule::Trending(std::int64_t window_ms) {
  auto now = clock_.NowMs();
  auto generation = rollup_.generation();
  {
    std::lock_guard lock(trending_mutex_);
    auto found = trending_cache_.find(window_ms);
    if (found != trending_cache_.end() && found->second.generation == generation &&
        now >= found->second.computed_at_ms && now - found->second.computed_at_ms < options_.trending_cache_ms)
      return found->second.entries;
  }
  auto entries = ComputeTrending(window_ms);
  std::lock_guard lock(trending_mutex_);
  trending_cache_[window_ms] = {now, generation, entries};
  return entries;
}

std::vector<TrendingEntry> AnalyticsModule::ComputeTrending(std::int64_t window_ms) {
  auto now = clock_.NowMs();
  std::int64_t start = now - window_ms;  // views before this do not count
  std::unordered_map<long long, TrendingEntry> scores;
  database_.WithSession([&](soci::session& session) {
    long long video_id = 0, bucket = 0, views = 0, first = FloorTo(start, kHourMs);
    soci::statement statement =
        (session.prepare << "SELECT s.video_id, s.bucket, s.views FROM analytics_video_stats s JOIN videos v ON v.id = "
                            "s.video_id JOIN users u ON u.id = v.owner_id WHERE s.span = " +
                                std::to_string(kHourMs) +
                                " AND s.bucket >= :first AND s.views > 0 AND v.status = 'ready' AND v.visibility = "
                                "'public' AND v.hidden = 0 AND u.suspended = 0",
         soci::into(video_id), soci::into(bucket), soci::into(views), soci::use(first));
    if (statement.execute(true)) {
      do {
        // An hour counts for the part of it inside the window; its views weigh by their age
        // (at the middle of the hour), dropping by e over one window.
        double share = bucket < start ? static_cast<double>(bucket + kHourMs - start) / kHourMs : 1.0;
        if (share <= 0) continue;
        double age = std::max(0.0, static_cast<double>(now - (bucket + kHourMs / 2)));
        auto& entry = scores[video_id];
        entry.video_id = video_id;
        entry.score += static_cast<double>(views) * share * std::exp(-age / static_cast<double>(window_ms));
        entry.recent_views += views;
      } while (statement.fetch());
    }
  });
  std::vector<TrendingEntry> entries;
  entries.reserve(scores.size());
  for (auto& [id, entry] : scores) entries.push_back(entry);
  std::sort(entries.begin(), entries.end(), [](const TrendingEntry& a, const TrendingEntry& b) {
    if (a.score != b.score) return a.score > b.score;
    return a.video_id > b.video_id;
  });
  if (static_cast<std::int64_t>(entries.size()) > options_.trending_candidates)
    entries.resize(static_cast<std::size_t>(options_.trending_candidates));
  return entries;
}

}  // namespace monotube::analytics
