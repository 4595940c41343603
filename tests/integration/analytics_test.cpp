// Analytics over HTTP against the real server: a known sequence of views, heartbeats,
// ratings, comments and subscriptions sent to two servers sharing one database, rolled
// up, and the per-video, channel and site figures checked exactly; again after the roll-up
// is repeated, interrupted, fed late events and pruned; trending; who may see what; and
// the 400s of malformed parameters.
#include <catch2/catch.hpp>

#include <soci/soci.h>

#include "support/accounts.hpp"
#include "support/test_app.hpp"
#include "support/videos.hpp"

using monotube::test::Headers;
using monotube::test::HttpRequest;
using monotube::test::HttpResult;
using monotube::test::MakeReadyVideo;
using monotube::test::MakeSessionAccount;
using monotube::test::RequireApiError;
using monotube::test::TestAccount;
using monotube::test::TestApp;
using nlohmann::json;
namespace analytics = monotube::analytics;

namespace {

constexpr std::int64_t kHour = 3'600'000;
constexpr std::int64_t kDay = 86'400'000;
constexpr std::int64_t kDay1 = 1'699'920'000'000;  // 2023-11-14T00:00:00Z

monotube::test::TestAppOptions AnalyticsOptions(monotube::ManualClock& clock) {
  monotube::test::TestAppOptions options;
  options.clock = &clock;
  // The tests run the roll-up themselves.
  // Sessions outlive the months the pruning test moves the clock on.
  options.configure = [](monotube::Config& config) {
    config.analytics_rollup_interval_seconds = 0;
    config.session_ttl_days = 365;
  };
  return options;
}

// A view start (no body fields) or a heartbeat, to the server on port.
void Report(std::uint16_t port, const std::string& video, const json& body, const Headers& headers) {
  Headers all = headers;
  all.emplace_back("Content-Type", "application/json");
  auto result = HttpRequest(port, "POST", "/api/videos/" + video + "/views", body.dump(), all);
  INFO(result.body);
  REQUIRE(result.status == 200);
}

json Heartbeat(double watched, double position) {
  return {{"watch_time_seconds", watched}, {"position_seconds", position}};
}

json GetOk(std::uint16_t port, const std::string& target, const Headers& headers) {
  auto result = HttpRequest(port, "GET", target, "", headers);
  INFO(target << " -> " << result.body);
  REQUIRE(result.status == 200);
  return result.Json();
}

void SendOk(std::uint16_t port, const std::string& method, const std::string& target, const Headers& headers,
            const json& body = json::object()) {
  Headers all = headers;
  all.emplace_back("Content-Type", "application/json");
  auto result = HttpRequest(port, method, target, body.dump(), all);
  INFO(method << " " << target << " -> " << result.body);
  REQUIRE(result.status / 100 == 2);
}

long long Count(TestApp& app, const std::string& sql) {
  return app.app().database().WithSession([&](soci::session& session) {
    long long count = 0;
    session << sql, soci::into(count);
    return count;
  });
}

std::string Days(std::int64_t from, std::int64_t to) {
  return "from=" + std::to_string(from) + "&to=" + std::to_string(to) + "&granularity=day";
}

analytics::RollupResult RollUp(TestApp& app) {
  auto result = app.app().analytics().rollup().Run();
  REQUIRE(result.ran);
  REQUIRE(result.complete);
  return result;
}

// Everything the dashboards show for the scenario, for comparing before and after.
struct Figures {
  json video_days, video_hours, channel, site;
  bool operator==(const Figures& other) const {
    return video_days == other.video_days && video_hours == other.video_hours && channel == other.channel &&
           site == other.site;
  }
};

}  // namespace

TEST_CASE("Views and heartbeats through two servers roll up to exact figures, again after repeats, interruptions, "
          "late events and pruning",
          "[analytics]") {
  monotube::ManualClock clock(kDay1 + 10 * kHour);
  TestApp app(AnalyticsOptions(clock));
  // A second server on the same database (each replica has a search index of its own).
  monotube::test::TempDir second_index;
  auto second_config = app.config();
  second_config.search_dir = second_index.path();
  monotube::app::AppOptions second_options;
  second_options.clock = &clock;
  second_options.handle_signals = false;
  auto second = std::make_unique<monotube::app::App>(second_config, std::move(second_options));
  second->Start();
  std::uint16_t one = app.port(), two = second->port();

  auto owner = MakeSessionAccount(app, "owner", "creator");
  auto other = MakeSessionAccount(app, "othercreator", "creator");
  auto v1 = MakeSessionAccount(app, "viewer1");
  auto v2 = MakeSessionAccount(app, "viewer2");
  auto v3 = MakeSessionAccount(app, "viewer3");
  auto admin = MakeSessionAccount(app, "theadmin", "admin");
  std::string a = MakeReadyVideo(app, owner, "Video A");  // 120 s
  std::string b = MakeReadyVideo(app, owner, "Video B");
  std::string c = MakeReadyVideo(app, other, "Video C");
  Headers anonymous = {{"User-Agent", "browser A"}};

  // Day 1, 10:00-10:59.
  Report(one, a, json::object(), v1.Bearer());             // v1's first view of A
  Report(two, a, Heartbeat(30, 30), v1.Bearer());
  Report(one, a, Heartbeat(30, 60), v1.Bearer());          // furthest 60 s: half of A
  Report(two, a, json::object(), v2.Bearer());             // v2's view
  Report(two, a, Heartbeat(60, 120), v2.Bearer());         // to the end
  Report(one, a, json::object(), anonymous);               // an anonymous view, never a heartbeat
  Report(two, c, json::object(), v2.Bearer());             // another channel's video
  SendOk(one, "POST", "/api/videos/" + a + "/like", v1.Bearer());
  SendOk(two, "POST", "/api/videos/" + a + "/dislike", v2.Bearer());
  SendOk(one, "POST", "/api/users/" + owner.id + "/subscribe", v1.Bearer());
  SendOk(two, "POST", "/api/users/" + owner.id + "/subscribe", v2.Bearer());
  clock.Advance(31 * 60'000);                              // 10:31
  Report(one, a, json::object(), v1.Bearer());             // counts again after 30 minutes
  Report(two, a, Heartbeat(12, 12), v1.Bearer());
  SendOk(one, "POST", "/api/videos/" + a + "/like", v2.Bearer());  // v2: dislike -> like
  SendOk(two, "POST", "/api/videos/" + a + "/comments", v1.Bearer(), {{"content", "first"}});
  auto second_comment = HttpRequest(one, "POST", "/api/videos/" + a + "/comments", json{{"content", "second"}}.dump(),
                                    v3.Bearer({{"Content-Type", "application/json"}}));
  REQUIRE(second_comment.status == 201);

  // Rolled up mid-way: hour 10 is in the roll-up before the events below arrive.
  RollUp(app);
  auto early = GetOk(one, "/api/analytics/videos/" + a + "?" + Days(kDay1, kDay1 + kDay), owner.Bearer());
  CHECK(early["totals"]["views"] == 4);

  // Day 1, 11:xx: v1's second view goes on (a heartbeat for a view counted in hour 10).
  clock.Set(kDay1 + 11 * kHour + 5 * 60'000);
  Report(two, a, json::object(), v3.Bearer());
  Report(one, a, Heartbeat(20, 40), v3.Bearer());
  Report(one, a, Heartbeat(30, 42), v1.Bearer());
  Report(two, b, json::object(), v1.Bearer());
  SendOk(two, "POST", "/api/videos/" + a + "/like", v3.Bearer());
  SendOk(one, "DELETE", "/api/videos/" + a + "/rating", v3.Bearer());
  SendOk(one, "DELETE", "/api/users/" + owner.id + "/subscribe", v2.Bearer());
  SendOk(two, "DELETE", "/api/comments/" + second_comment.Json()["comment"]["id"].get<std::string>(), v3.Bearer());
  // Day 2, 02:00: v2 again, a short look.
  clock.Set(kDay1 + kDay + 2 * kHour);
  Report(one, a, json::object(), v2.Bearer());
  Report(two, a, Heartbeat(10, 10), v2.Bearer());

  RollUp(app);
  auto figures = [&] {
    Figures f;
    f.video_days = GetOk(two, "/api/analytics/videos/" + a + "?" + Days(kDay1, kDay1 + 2 * kDay), owner.Bearer());
    f.video_hours = GetOk(one, "/api/analytics/videos/" + a + "?from=" + std::to_string(kDay1) +
                                   "&to=" + std::to_string(kDay1 + kDay), owner.Bearer());
    f.channel = GetOk(one, "/api/analytics/channel?" + Days(kDay1, kDay1 + 2 * kDay), owner.Bearer());
    f.site = GetOk(two, "/api/analytics/site?" + Days(kDay1, kDay1 + 2 * kDay), admin.Bearer());
    return f;
  };
  Figures expected = figures();

  SECTION("the figures are exactly what was sent") {
    const json& video = expected.video_days;
    CHECK(video["video"]["id"] == a);
    CHECK(video["video"]["duration_ms"] == 120000);
    CHECK(video["range"] == json{{"from", kDay1}, {"to", kDay1 + 2 * kDay}, {"granularity", "day"}});
    CHECK(video["totals"] == json{{"views", 6}, {"unique_viewers", 4}, {"watch_time_ms", 192000},
                                  {"average_view_duration_ms", 32000}, {"likes", 2}, {"dislikes", 0},
                                  {"comments", 1}});
    REQUIRE(video["series"].size() == 2);
    CHECK(video["series"][0] == json{{"t", kDay1}, {"views", 5}, {"unique_viewers", 4}, {"watch_time_ms", 182000},
                                     {"average_view_duration_ms", 36400}, {"likes", 2}, {"dislikes", 0},
                                     {"comments", 1}});
    CHECK(video["series"][1] == json{{"t", kDay1 + kDay}, {"views", 1}, {"unique_viewers", 1},
                                     {"watch_time_ms", 10000}, {"average_view_duration_ms", 10000}, {"likes", 0},
                                     {"dislikes", 0}, {"comments", 0}});
    // Furthest positions of the 6 views: 60, 120, 0, 42, 40 and 10 s of 120.
    std::vector<double> shares = {1, 4 / 6.0, 4 / 6.0, 4 / 6.0, 2 / 6.0, 2 / 6.0, 1 / 6.0, 1 / 6.0, 1 / 6.0, 1 / 6.0, 1 / 6.0};
    REQUIRE(video["retention"].size() == 11);
    for (std::size_t k = 0; k < 11; ++k) {
      INFO("retention point " << k);
      CHECK(video["retention"][k]["at"].get<double>() == Approx(k / 10.0));
      CHECK(video["retention"][k]["share"].get<double>() == Approx(shares[k]));
    }

    const json& hours = expected.video_hours;
    CHECK(hours["range"]["granularity"] == "hour");
    REQUIRE(hours["series"].size() == 24);
    CHECK(hours["series"][10]["views"] == 4);
    CHECK(hours["series"][10]["unique_viewers"] == 3);
    CHECK(hours["series"][10]["watch_time_ms"] == 132000);
    CHECK(hours["series"][10]["likes"] == 2);
    CHECK(hours["series"][10]["dislikes"] == 0);
    CHECK(hours["series"][10]["comments"] == 2);
    CHECK(hours["series"][11]["views"] == 1);
    CHECK(hours["series"][11]["unique_viewers"] == 1);
    CHECK(hours["series"][11]["watch_time_ms"] == 50000);
    CHECK(hours["series"][11]["likes"] == 0);   // v3's like and its removal
    CHECK(hours["series"][11]["comments"] == -1);
    CHECK(hours["series"][9]["views"] == 0);
    CHECK(hours["series"][9]["t"] == kDay1 + 9 * kHour);
    CHECK(hours["totals"]["unique_viewers"] == 4);  // v1 in both hours is one viewer

    const json& channel = expected.channel;
    CHECK(channel["channel"] == json{{"id", owner.id}, {"username", "owner"}});
    CHECK(channel["totals"] == json{{"views", 7}, {"watch_time_ms", 192000}, {"average_view_duration_ms", 27428},
                                    {"subscribers_gained", 2}, {"subscribers_lost", 1}, {"subscribers_net", 1},
                                    {"likes", 2}, {"dislikes", 0}, {"comments", 1}, {"subscribers", 1}});
    REQUIRE(channel["series"].size() == 2);
    CHECK(channel["series"][0]["views"] == 6);
    CHECK(channel["series"][0]["subscribers_gained"] == 2);
    CHECK(channel["series"][0]["subscribers_lost"] == 1);
    CHECK(channel["series"][1]["views"] == 1);
    REQUIRE(channel["top_videos"].size() == 2);
    CHECK(channel["top_videos"][0]["video"]["id"] == a);
    CHECK(channel["top_videos"][0]["video"]["title"] == "Video A");
    CHECK(channel["top_videos"][0]["video"]["thumbnail_url"].is_string());
    CHECK(channel["top_videos"][0]["views"] == 6);
    CHECK(channel["top_videos"][0]["watch_time_ms"] == 192000);
    CHECK(channel["top_videos"][1]["video"]["id"] == b);
    CHECK(channel["top_videos"][1]["views"] == 1);

    const json& site = expected.site;
    CHECK(site["totals"] == json{{"signups", 6}, {"uploads", 3}, {"views", 8}, {"watch_time_ms", 192000}});
    CHECK(site["series"][0] == json{{"t", kDay1}, {"signups", 6}, {"uploads", 3}, {"views", 7}, {"watch_time_ms", 182000}});

    // The admin sees the owner's channel the same way.
    CHECK(GetOk(one, "/api/analytics/channel?" + Days(kDay1, kDay1 + 2 * kDay) + "&user_id=" + owner.id,
                admin.Bearer()) == channel);
  }

  SECTION("a repeated roll-up changes nothing") {
    auto again = app.app().analytics().rollup().Run();
    CHECK(again.complete);
    CHECK(again.chunks == 0);
    CHECK(figures() == expected);
    // Even from scratch: every bucket recomputed from the raw events gives the same rows.
    app.app().database().WithSession([](soci::session& session) {
      session << "UPDATE analytics_state SET value = 0 WHERE name IN ('view_watermark', 'activity_watermark')";
    });
    RollUp(app);
    CHECK(figures() == expected);
  }

  SECTION("an interrupted roll-up, then small chunks from the other server, end with the same figures") {
    app.app().database().WithSession([](soci::session& session) {
      session << "UPDATE analytics_state SET value = 0 WHERE name IN ('view_watermark', 'activity_watermark')";
      session << "DELETE FROM analytics_video_stats";
      session << "DELETE FROM analytics_video_viewers";
      session << "DELETE FROM analytics_channel_stats";
      session << "DELETE FROM analytics_site_stats";
    });
    // A crash between the video hours and the days: that chunk's transaction never commits.
    analytics::RollupLimits crash;
    crash.after_step = [](std::string_view step) {
      if (step == "video days") throw std::runtime_error("killed");
    };
    CHECK_THROWS(app.app().analytics().rollup().Run(crash));
    CHECK(Count(app, "SELECT COUNT(*) FROM analytics_video_stats") == 0);
    CHECK(Count(app, "SELECT value FROM analytics_state WHERE name = 'view_watermark'") == 0);
    // The lease was let go: the other server takes over, 5 events at a time, stopping twice.
    analytics::RollupOptions small;
    small.chunk_events = 5;
    analytics::Rollup other_runner(second->database(), clock, small);
    analytics::RollupLimits two_chunks;
    two_chunks.max_chunks = 2;
    auto partial = other_runner.Run(two_chunks);
    CHECK(partial.ran);
    CHECK_FALSE(partial.complete);
    CHECK(Count(app, "SELECT value FROM analytics_state WHERE name = 'view_watermark'") == 10);
    CHECK_FALSE(figures() == expected);
    other_runner.Run(two_chunks);
    auto rest = other_runner.Run();
    CHECK(rest.complete);
    CHECK(figures() == expected);
  }

  SECTION("events committed after their bucket was rolled up are counted by the next run") {
    // A write from a server whose transaction committed late: an hour already rolled up.
    app.app().database().WithSession([&](soci::session& session) {
      long long video_id = app.app().videos().repository().FindByPublicId(b)->id;
      long long at = kDay1 + 10 * kHour + 1000;
      session << "INSERT INTO view_events (video_id, viewer_key, counted, watch_time_ms, created_at) VALUES "
                 "(:v, 'u:late', 1, 7000, :at)",
          soci::use(video_id), soci::use(at);
    });
    RollUp(app);
    auto now = figures();
    CHECK(now.channel["totals"]["views"] == 8);
    CHECK(now.channel["totals"]["watch_time_ms"] == 199000);
    CHECK(now.channel["series"][0]["views"] == 7);
    CHECK(now.site["totals"]["views"] == 9);
    CHECK(now.video_days == expected.video_days);
  }

  SECTION("pruning old raw events keeps every total") {
    CHECK(Count(app, "SELECT COUNT(*) FROM view_events") > 0);
    clock.Set(kDay1 + 100 * kDay);
    auto result = RollUp(app);
    CHECK(result.pruned > 0);
    CHECK(Count(app, "SELECT COUNT(*) FROM view_events") == 0);
    CHECK(Count(app, "SELECT COUNT(*) FROM analytics_activity") == 0);
    CHECK(figures() == expected);
    // A late event for a pruned day cannot be recomputed into it: the day stays as it was.
    app.app().database().WithSession([&](soci::session& session) {
      long long video_id = app.app().videos().repository().FindByPublicId(a)->id;
      long long at = kDay1 + 10 * kHour;
      session << "INSERT INTO view_events (video_id, viewer_key, counted, watch_time_ms, created_at) VALUES "
                 "(:v, 'u:ancient', 1, 1000, :at)",
          soci::use(video_id), soci::use(at);
    });
    RollUp(app);
    CHECK(figures() == expected);
  }
}

TEST_CASE("Trending: a fresh burst beats an older larger total in 1h, the older total wins in 7d", "[analytics]") {
  monotube::ManualClock clock(kDay1 + 10 * kHour);
  TestApp app(AnalyticsOptions(clock));
  auto owner = MakeSessionAccount(app, "trendowner", "creator");
  auto moderator = MakeSessionAccount(app, "trendmod", "moderator");
  std::string old_hit = MakeReadyVideo(app, owner, "Old hit");
  std::string burst = MakeReadyVideo(app, owner, "Fresh burst");
  std::string secret = MakeReadyVideo(app, owner, "Private one");  // made private once watched
  std::string hidden = MakeReadyVideo(app, owner, "Hidden one");
  std::vector<TestAccount> viewers;
  for (int i = 0; i < 12; ++i) viewers.push_back(MakeSessionAccount(app, "fan" + std::to_string(i)));
  // Three days ago: 10 views of the old hit.
  for (int i = 0; i < 10; ++i) Report(app.port(), old_hit, json::object(), viewers[i].Bearer());
  for (int i = 0; i < 12; ++i) Report(app.port(), secret, json::object(), viewers[i].Bearer());
  for (int i = 0; i < 12; ++i) Report(app.port(), hidden, json::object(), viewers[i].Bearer());
  clock.Advance(3 * kDay);
  // Now: 5 views of the burst.
  for (int i = 0; i < 5; ++i) Report(app.port(), burst, json::object(), viewers[i].Bearer());
  auto hide = HttpRequest(app.port(), "PATCH", "/api/admin/videos/" + hidden, json{{"hidden", true}}.dump(),
                          moderator.Bearer({{"Content-Type", "application/json"}}));
  REQUIRE(hide.status == 200);
  auto made_private = HttpRequest(app.port(), "PATCH", "/api/videos/" + secret, json{{"visibility", "private"}}.dump(),
                                  owner.Bearer({{"Content-Type", "application/json"}}));
  REQUIRE(made_private.status == 200);
  RollUp(app);

  auto ids = [&](const std::string& target) {
    std::vector<std::string> out;
    auto answer = GetOk(app.port(), target, {});
    for (const auto& video : answer["videos"]) out.push_back(video["id"]);
    return out;
  };
  CHECK(ids("/api/analytics/trending?window=1h") == std::vector<std::string>{burst});
  CHECK(ids("/api/analytics/trending?window=24h") == std::vector<std::string>{burst});
  CHECK(ids("/api/analytics/trending?window=7d") == std::vector<std::string>{old_hit, burst});
  CHECK(ids("/api/analytics/trending") == std::vector<std::string>{burst});
  auto week = GetOk(app.port(), "/api/analytics/trending?window=7d&limit=1", {});
  CHECK(week["window"] == "7d");
  REQUIRE(week["videos"].size() == 1);
  CHECK(week["videos"][0]["recent_views"] == 10);
  CHECK(week["videos"][0]["trending_score"].get<double>() > 5.0);
  CHECK(week["videos"][0]["title"] == "Old hit");
  CHECK(week["videos"][0]["owner"]["username"] == "trendowner");
  CHECK(ids("/api/videos?sort=trending") == std::vector<std::string>{burst});

  // A few hours on, a new burst for the old hit: it leads the day again, fresh within a roll-up.
  clock.Advance(2 * kHour);
  for (int i = 0; i < 7; ++i) Report(app.port(), old_hit, json::object(), viewers[i].Bearer());
  RollUp(app);
  CHECK(ids("/api/analytics/trending?window=1h") == std::vector<std::string>{old_hit});
  CHECK(ids("/api/videos?sort=trending") == std::vector<std::string>{old_hit, burst});
  auto page = GetOk(app.port(), "/api/videos?sort=trending&limit=1", {});
  REQUIRE(page["videos"].size() == 1);
  REQUIRE(page["next_cursor"].is_string());
  auto next = GetOk(app.port(), "/api/videos?sort=trending&limit=1&cursor=" + page["next_cursor"].get<std::string>(), {});
  REQUIRE(next["videos"].size() == 1);
  CHECK(next["videos"][0]["id"] == burst);
  CHECK(next["next_cursor"].is_null());

  // A suspended owner's videos leave trending.
  auto admin = MakeSessionAccount(app, "trendadmin", "admin");
  auto suspend = HttpRequest(app.port(), "PATCH", "/api/admin/users/" + owner.id, json{{"suspended", true}}.dump(),
                             admin.Bearer({{"Content-Type", "application/json"}}));
  REQUIRE(suspend.status == 200);
  clock.Advance(60'000);
  CHECK(ids("/api/analytics/trending?window=7d").empty());
}

TEST_CASE("Who may see which analytics", "[analytics]") {
  monotube::ManualClock clock(kDay1 + 10 * kHour);
  TestApp app(AnalyticsOptions(clock));
  auto owner = MakeSessionAccount(app, "roleowner", "creator");
  auto other = MakeSessionAccount(app, "rolecreator", "creator");
  auto viewer = MakeSessionAccount(app, "roleviewer");
  auto moderator = MakeSessionAccount(app, "rolemod", "moderator");
  auto admin = MakeSessionAccount(app, "roleadmin", "admin");
  std::string video = MakeReadyVideo(app, owner, "Mine");
  struct Case {
    std::string name;
    Headers headers;
    int video, channel_self, channel_owner, site;
  };
  std::vector<Case> cases = {
      {"anonymous", {}, 401, 401, 401, 401},
      {"viewer", viewer.Bearer(), 403, 200, 403, 403},
      {"other creator", other.Bearer(), 403, 200, 403, 403},
      {"owner", owner.Bearer(), 200, 200, 200, 403},
      {"moderator", moderator.Bearer(), 403, 200, 403, 403},
      {"admin", admin.Bearer(), 200, 200, 200, 200},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    CHECK(app.Get("/api/analytics/videos/" + video, c.headers).status == c.video);
    CHECK(app.Get("/api/analytics/channel", c.headers).status == c.channel_self);
    CHECK(app.Get("/api/analytics/channel?user_id=" + owner.id, c.headers).status == c.channel_owner);
    CHECK(app.Get("/api/analytics/site", c.headers).status == c.site);
    CHECK(app.Get("/api/analytics/trending", c.headers).status == 200);
  }
  RequireApiError(app.Get("/api/analytics/videos/AAAAAAAAAAA", owner.Bearer()), 404, "video_not_found");
  RequireApiError(app.Get("/api/analytics/videos/AAAAAAAAAAA"), 401, "login_required");
  RequireApiError(app.Get("/api/analytics/channel?user_id=AAAAAAAAAAA", admin.Bearer()), 404, "user_not_found");
  RequireApiError(app.Get("/api/analytics/channel?user_id=" + owner.id, viewer.Bearer()), 403, "forbidden");
  // The cookie way works as well (GET needs no CSRF token).
  CHECK(app.Get("/api/analytics/channel", owner.Cookie()).status == 200);

  // Defaults: 28 days by day, ending with today; 24 h by hour.
  auto month = GetOk(app.port(), "/api/analytics/channel", owner.Bearer());
  CHECK(month["range"] == json{{"from", kDay1 - 27 * kDay}, {"to", kDay1 + kDay}, {"granularity", "day"}});
  CHECK(month["series"].size() == 28);
  CHECK(month["series"][27]["t"] == kDay1);
  CHECK(month["top_videos"].empty());
  auto day = GetOk(app.port(), "/api/analytics/videos/" + video + "?range=24h", owner.Bearer());
  CHECK(day["range"] == json{{"from", kDay1 + 11 * kHour - kDay}, {"to", kDay1 + 11 * kHour}, {"granularity", "hour"}});
  CHECK(day["series"].size() == 24);
  CHECK(day["retention"][0]["share"] == 0.0);
  auto year = GetOk(app.port(), "/api/analytics/site?range=365d", admin.Bearer());
  CHECK(year["series"].size() == 365);
  auto dates = GetOk(app.port(), "/api/analytics/site?from=2023-11-01&to=2023-11-15", admin.Bearer());
  CHECK(dates["range"]["from"] == kDay1 - 13 * kDay);
  CHECK(dates["series"].size() == 14);
}

TEST_CASE("Malformed analytics parameters get a 400 that names them", "[analytics]") {
  monotube::ManualClock clock(kDay1 + 10 * kHour);
  TestApp app(AnalyticsOptions(clock));
  auto owner = MakeSessionAccount(app, "badowner", "creator");
  auto admin = MakeSessionAccount(app, "badadmin", "admin");
  std::string video = MakeReadyVideo(app, owner, "Mine");
  std::vector<std::pair<std::string, std::string>> bad = {
      {"range=3d", "invalid_range"},
      {"range=", "invalid_range"},
      {"range=28d&from=1&to=2", "invalid_range"},
      {"from=1700000000000", "invalid_range"},
      {"to=1700000000000", "invalid_range"},
      {"from=1700000000000&to=1700000000000", "invalid_range"},
      {"from=1700000000000&to=1600000000000", "invalid_range"},
      {"from=abc&to=1700000000000", "invalid_range"},
      {"from=2023-13-01&to=2023-12-01", "invalid_range"},
      {"from=-5&to=1700000000000", "invalid_range"},
      {"from=99999999999999999999999&to=1", "invalid_range"},
      {"from=2022-01-01&to=2023-11-01", "invalid_range"},  // more than 400 days
      {"granularity=minute", "invalid_granularity"},
      {"range=90d&granularity=hour", "invalid_granularity"},
      {"from=2023-09-01&to=2023-11-01&granularity=hour", "invalid_granularity"},
  };
  for (const auto& [query, code] : bad) {
    INFO(query);
    RequireApiError(app.Get("/api/analytics/videos/" + video + "?" + query, owner.Bearer()), 400, code);
    RequireApiError(app.Get("/api/analytics/channel?" + query, owner.Bearer()), 400, code);
    RequireApiError(app.Get("/api/analytics/site?" + query, admin.Bearer()), 400, code);
  }
  for (const char* query : {"window=2h", "window=", "window=7D"})
    RequireApiError(app.Get(std::string("/api/analytics/trending?") + query), 400, "invalid_window");
  for (const char* query : {"limit=0", "limit=51", "limit=abc", "limit=-1"})
    RequireApiError(app.Get(std::string("/api/analytics/trending?") + query), 400, "invalid_limit");
  CHECK(app.Get("/api/analytics/trending?limit=50&window=1h").status == 200);
  RequireApiError(app.Get("/api/videos?sort=hot"), 400, "invalid_sort");
  RequireApiError(app.Get("/api/videos?sort=trending&cursor=nonsense"), 400, "invalid_cursor");
  // 48 hours by hour is fine, 31 days by hour too.
  CHECK(app.Get("/api/analytics/channel?from=2023-10-14&to=2023-11-14&granularity=hour", owner.Bearer()).status == 200);
}
