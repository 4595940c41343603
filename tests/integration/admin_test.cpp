// The admin API over HTTP: who may call what, suspension and hiding and what everyone
// else then sees, roles and the last admin, jobs, the dashboard figures and the audit log.
#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

#include <soci/soci.h>

#include "support/accounts.hpp"
#include "support/test_app.hpp"
#include "support/videos.hpp"

using monotube::test::Headers;
using monotube::test::HttpResult;
using monotube::test::MakeAccount;
using monotube::test::MakeReadyVideo;
using monotube::test::MakeSessionAccount;
using monotube::test::RequireApiError;
using monotube::test::SendJson;
using monotube::test::TestAccount;
using monotube::test::TestApp;
using nlohmann::json;

namespace {

json GetJson(TestApp& app, const std::string& target, const Headers& headers = {}) {
  auto result = app.Get(target, headers);
  INFO(target << " -> " << result.body);
  REQUIRE(result.status == 200);
  return result.Json();
}

std::vector<std::string> Ids(const json& list) {
  std::vector<std::string> ids;
  for (const auto& item : list) ids.push_back(item["id"]);
  return ids;
}

bool Contains(const std::vector<std::string>& ids, const std::string& id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

// Whether a search for `query` finds the video within 3 s of asking (the indexer polls).
// A server whose index is still being built answers 503 at first: that is waited out.
bool SearchFinds(TestApp& app, const std::string& query, const std::string& video, bool wanted) {
  auto start = std::chrono::steady_clock::now();
  auto deadline = start + std::chrono::seconds(3);
  for (;;) {
    auto result = app.Get("/api/search/videos?query=" + query);
    INFO(result.body);
    if (result.status == 503 && std::chrono::steady_clock::now() < start + std::chrono::seconds(30)) {
      deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      continue;
    }
    REQUIRE(result.status == 200);
    bool found = Contains(Ids(result.Json()["videos"]), video);
    if (found == wanted || std::chrono::steady_clock::now() > deadline) return found;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

}  // namespace

TEST_CASE("Authorisation matrix of the admin endpoints", "[admin]") {
  TestApp app;
  auto admin = MakeSessionAccount(app, "boss", "admin");
  auto moderator = MakeSessionAccount(app, "mod", "moderator");
  auto creator = MakeSessionAccount(app, "maker", "creator");
  auto viewer = MakeSessionAccount(app, "watcher", "viewer");
  std::string video = MakeReadyVideo(app, creator, "Target");
  std::int64_t job = app.app().job_queue().Enqueue("noop", json::object());
  // A failed video with its original kept, for the retry (the transcoder then fails it again).
  std::string failed = [&] {
    auto& repository = app.app().videos().repository();
    auto now = app.app().clock().NowMs();
    monotube::videos::Video row;
    row.owner_id = monotube::test::UserIdOf(app, creator);
    row.title = "Failed";
    row.visibility = "public";
    row.status = "uploading";
    row.created_at_ms = row.updated_at_ms = now;
    row = repository.Insert(row);
    std::string key = "videos/" + row.public_id + "/original";
    app.app().storage().Put(key, "not a video");
    REQUIRE(repository.MarkUploaded(row.id, key, 11, now));
    REQUIRE(repository.MarkFailed(row.id, "The file is not a video.", true, now));
    return row.public_id;
  }();

  enum Who { kAnonymous, kViewer, kCreator, kModerator, kAdmin };
  const std::vector<std::pair<Who, const TestAccount*>> people = {
      {kAnonymous, nullptr}, {kViewer, &viewer}, {kCreator, &creator}, {kModerator, &moderator}, {kAdmin, &admin}};
  const char* names[] = {"anonymous", "viewer", "creator", "moderator", "admin"};
  struct Case {
    std::string method, target;
    json body;
    std::vector<int> expected;  // by Who
  };
  // Targets that survive each call: a throw-away user/video per deletion is made below.
  std::vector<Case> cases = {
      {"GET", "/api/admin/stats", nullptr, {401, 403, 403, 200, 200}},
      {"GET", "/api/admin/users", nullptr, {401, 403, 403, 200, 200}},
      {"GET", "/api/admin/users?query=wat&role=viewer&suspended=false", nullptr, {401, 403, 403, 200, 200}},
      {"PATCH", "/api/admin/users/" + viewer.id, {{"suspended", false}}, {401, 403, 403, 200, 200}},
      {"PATCH", "/api/admin/users/" + creator.id, {{"role", "creator"}}, {401, 403, 403, 403, 200}},
      {"PATCH", "/api/admin/users/" + moderator.id, {{"suspended", false}}, {401, 403, 403, 403, 200}},
      {"GET", "/api/admin/videos", nullptr, {401, 403, 403, 200, 200}},
      {"GET", "/api/admin/videos?status=ready&hidden=false", nullptr, {401, 403, 403, 200, 200}},
      {"PATCH", "/api/admin/videos/" + video, {{"hidden", false}}, {401, 403, 403, 200, 200}},
      {"GET", "/api/admin/jobs", nullptr, {401, 403, 403, 403, 200}},
      {"POST", "/api/admin/jobs/" + std::to_string(job) + "/cancel", nullptr, {401, 403, 403, 403, 200}},
      {"POST", "/api/admin/jobs/" + std::to_string(job) + "/retry", nullptr, {401, 403, 403, 403, 200}},
      {"GET", "/api/admin/audit", nullptr, {401, 403, 403, 200, 200}},
      {"GET", "/api/admin/settings", nullptr, {401, 403, 403, 403, 200}},
      {"PATCH", "/api/admin/settings", {{"signup_open", true}}, {401, 403, 403, 403, 200}},
      {"GET", "/api/site", nullptr, {200, 200, 200, 200, 200}},
      {"POST", "/api/admin/videos/" + failed + "/retry", nullptr, {401, 403, 403, 403, 202}},
  };
  for (const auto& c : cases) {
    for (const auto& [who, account] : people) {
      INFO(c.method << " " << c.target << " as " << names[who]);
      Headers headers = account ? account->Bearer() : Headers{};
      headers.emplace_back("Content-Type", "application/json");
      auto result = app.Send(c.method, c.target, c.body.is_null() ? "" : c.body.dump(), headers);
      INFO(result.body);
      CHECK(result.status == c.expected[who]);
      if (result.status >= 400) CHECK(result.Json()["error"]["code"].is_string());
    }
  }
  // Deletions, each on its own target.
  for (const auto& [who, account] : people) {
    INFO("deletions as " << names[who]);
    auto doomed = MakeSessionAccount(app, std::string("doomed") + std::to_string(who));
    std::string doomed_video = MakeReadyVideo(app, creator, "Doomed");
    Headers headers = account ? account->Bearer() : Headers{};
    int expected = who == kAnonymous ? 401 : who == kAdmin ? 204 : 403;
    CHECK(app.Send("DELETE", "/api/admin/users/" + doomed.id, "", headers).status == expected);
    CHECK(app.Send("DELETE", "/api/admin/videos/" + doomed_video, "", headers).status == expected);
  }
  // Nothing edits or deletes the audit log.
  for (const char* method : {"PUT", "PATCH", "DELETE", "POST"})
    CHECK(app.Send(method, "/api/admin/audit", "{}", admin.Bearer({{"Content-Type", "application/json"}})).status ==
          405);
}

TEST_CASE("A suspended user cannot log in and their videos are gone for everyone but staff", "[admin]") {
  TestApp app;
  auto moderator = MakeSessionAccount(app, "moderator1", "moderator");
  auto admin = MakeSessionAccount(app, "admin1", "admin");
  auto uploader = MakeAccount(app, "uploader1");
  auto bystander = MakeSessionAccount(app, "bystander");
  std::string video = MakeReadyVideo(app, uploader, "Soon withdrawn");
  CHECK(Contains(Ids(GetJson(app, "/api/videos")["videos"]), video));

  auto suspended = SendJson(app, "PATCH", "/api/admin/users/" + uploader.id,
                            {{"suspended", true}, {"reason", "spam uploads"}}, moderator.Bearer());
  INFO(suspended.body);
  REQUIRE(suspended.status == 200);
  CHECK(suspended.Json()["user"]["suspended"] == true);

  // Sessions end; logging in again is refused.
  CHECK(app.Get("/api/me", uploader.Bearer()).status == 401);
  CHECK(SendJson(app, "POST", "/api/auth/login", {{"login", "uploader1"}, {"password", monotube::test::kTestPassword}})
            .status >= 400);
  // The video is gone from listings and pages for everyone but staff; its media needs a signed link.
  CHECK_FALSE(Contains(Ids(GetJson(app, "/api/videos")["videos"]), video));
  CHECK(app.Get("/api/videos/" + video).status == 404);
  CHECK(app.Get("/api/videos/" + video, bystander.Bearer()).status == 404);
  CHECK(app.Get("/api/videos/" + video + "/comments").status == 404);
  CHECK(app.Get("/media/" + video + "/master.m3u8").status == 403);
  json seen = GetJson(app, "/api/videos/" + video, moderator.Bearer())["video"];
  CHECK(seen["hls_url"].get<std::string>().find("sig=") != std::string::npos);

  // Lifting it brings everything back.
  REQUIRE(SendJson(app, "PATCH", "/api/admin/users/" + uploader.id, {{"suspended", false}}, moderator.Bearer()).status ==
          200);
  CHECK(Contains(Ids(GetJson(app, "/api/videos")["videos"]), video));
  auto back = monotube::test::LogIn(app, "uploader1", monotube::test::kTestPassword);
  CHECK(app.Get("/api/me", back.Bearer()).status == 200);

  // Moderators cannot act on staff or themselves; admins can act on moderators.
  RequireApiError(SendJson(app, "PATCH", "/api/admin/users/" + admin.id, {{"suspended", true}}, moderator.Bearer()), 403,
                  "forbidden");
  RequireApiError(SendJson(app, "PATCH", "/api/admin/users/" + moderator.id, {{"suspended", true}}, moderator.Bearer()),
                  403, "not_yourself");
  CHECK(SendJson(app, "PATCH", "/api/admin/users/" + moderator.id, {{"suspended", true}}, admin.Bearer()).status == 200);

  json audit = GetJson(app, "/api/admin/audit?target_id=" + uploader.id, admin.Bearer());
  REQUIRE(audit["entries"].size() == 2);
  CHECK(audit["entries"][0]["action"] == "user.unsuspend");
  CHECK(audit["entries"][1]["action"] == "user.suspend");
  CHECK(audit["entries"][1]["reason"] == "spam uploads");
  CHECK(audit["entries"][1]["actor"]["username"] == "moderator1");
  CHECK(audit["entries"][1]["target"]["label"] == "uploader1");
  CHECK(audit["entries"][1]["created_at"].get<std::string>().back() == 'Z');
}

TEST_CASE("A hidden video leaves listings, feeds and search results but stays for its owner and staff", "[admin]") {
  TestApp app;
  auto moderator = MakeSessionAccount(app, "hider", "moderator");
  auto owner = MakeSessionAccount(app, "hiddenowner", "creator");
  auto fan = MakeSessionAccount(app, "hiddenfan");
  REQUIRE(app.Send("POST", "/api/users/" + owner.id + "/subscribe", "", fan.Bearer()).status == 200);
  std::string video = MakeReadyVideo(app, owner, "Questionable");
  CHECK(Contains(Ids(GetJson(app, "/api/feed/subscriptions", fan.Bearer())["videos"]), video));
  CHECK(SearchFinds(app, "questionable", video, true));

  auto hidden = SendJson(app, "PATCH", "/api/admin/videos/" + video, {{"hidden", true}, {"reason", "misleading"}},
                         moderator.Bearer());
  INFO(hidden.body);
  REQUIRE(hidden.status == 200);
  CHECK(hidden.Json()["video"]["hidden"] == true);
  CHECK_FALSE(Contains(Ids(GetJson(app, "/api/videos")["videos"]), video));
  CHECK_FALSE(Contains(Ids(GetJson(app, "/api/videos?sort=popular")["videos"]), video));
  CHECK_FALSE(Contains(Ids(GetJson(app, "/api/users/" + owner.id + "/videos")["videos"]), video));
  CHECK_FALSE(Contains(Ids(GetJson(app, "/api/feed/subscriptions", fan.Bearer())["videos"]), video));
  CHECK(app.Get("/api/videos/" + video, fan.Bearer()).status == 404);
  CHECK(app.Get("/api/videos/" + video, owner.Bearer()).status == 200);
  CHECK(app.Get("/api/videos/" + video, moderator.Bearer()).status == 200);
  CHECK(Contains(Ids(GetJson(app, "/api/me/videos", owner.Bearer())["videos"]), video));
  CHECK_FALSE(SearchFinds(app, "questionable", video, false));

  // The admin list finds it by filter; unhiding brings it back.
  json list = GetJson(app, "/api/admin/videos?hidden=true", moderator.Bearer());
  REQUIRE(list["videos"].size() == 1);
  CHECK(list["videos"][0]["id"] == video);
  CHECK(GetJson(app, "/api/admin/videos?query=QUESTION", moderator.Bearer())["videos"].size() == 1);
  CHECK(GetJson(app, "/api/admin/videos?query=%25", moderator.Bearer())["videos"].empty());  // % is literal
  CHECK(GetJson(app, "/api/admin/videos?owner=hiddenowner", moderator.Bearer())["videos"].size() == 1);
  RequireApiError(app.Get("/api/admin/videos?status=gone", moderator.Bearer()), 400, "invalid_status");
  RequireApiError(app.Get("/api/admin/videos?hidden=maybe", moderator.Bearer()), 400, "invalid_hidden");
  RequireApiError(SendJson(app, "PATCH", "/api/admin/videos/" + video, {{"hidden", "yes"}}, moderator.Bearer()), 400,
                  "invalid_type");
  RequireApiError(SendJson(app, "PATCH", "/api/admin/videos/" + video, {{"hidden", false}, {"reason", std::string(501, 'x')}},
                           moderator.Bearer()),
                  400, "invalid_reason");
  REQUIRE(SendJson(app, "PATCH", "/api/admin/videos/" + video, {{"hidden", false}}, moderator.Bearer()).status == 200);
  CHECK(Contains(Ids(GetJson(app, "/api/videos")["videos"]), video));
  CHECK(SearchFinds(app, "questionable", video, true));

  json audit = GetJson(app, "/api/admin/audit?target_type=video", moderator.Bearer());
  REQUIRE(audit["entries"].size() == 2);
  CHECK(audit["entries"][1]["action"] == "video.hide");
  CHECK(audit["entries"][1]["reason"] == "misleading");
  CHECK(GetJson(app, "/api/admin/audit?action=video.unhide", moderator.Bearer())["entries"].size() == 1);
  CHECK(GetJson(app, "/api/admin/audit?actor=" + moderator.id + "&limit=1", moderator.Bearer())["next_cursor"].is_string());
}

TEST_CASE("Roles change, and the last admin keeps the site administered", "[admin]") {
  TestApp app;
  auto admin = MakeSessionAccount(app, "onlyadmin", "admin");
  auto other = MakeSessionAccount(app, "promoted", "creator");
  auto changed = SendJson(app, "PATCH", "/api/admin/users/" + other.id, {{"role", "moderator"}, {"reason", "helper"}},
                          admin.Bearer());
  REQUIRE(changed.status == 200);
  CHECK(changed.Json()["user"]["role"] == "moderator");
  RequireApiError(SendJson(app, "PATCH", "/api/admin/users/" + other.id, {{"role", "overlord"}}, admin.Bearer()), 400,
                  "invalid_role");
  RequireApiError(SendJson(app, "PATCH", "/api/admin/users/" + admin.id, {{"role", "viewer"}}, admin.Bearer()), 403,
                  "not_yourself");
  RequireApiError(SendJson(app, "PATCH", "/api/admin/users/" + other.id, json::object(), admin.Bearer()), 400,
                  "missing_field");
  RequireApiError(app.Send("DELETE", "/api/admin/users/" + admin.id, "", admin.Bearer()), 403, "not_yourself");
  RequireApiError(app.Send("DELETE", "/api/admin/users/AAAAAAAAAAA", "", admin.Bearer()), 404, "user_not_found");
  // A second admin may demote the first, but not the other way round once only one is left.
  REQUIRE(SendJson(app, "PATCH", "/api/admin/users/" + other.id, {{"role", "admin"}}, admin.Bearer()).status == 200);
  REQUIRE(SendJson(app, "PATCH", "/api/admin/users/" + admin.id, {{"role", "creator"}}, other.Bearer()).status == 200);
  json audit = GetJson(app, "/api/admin/audit?action=user.role", other.Bearer());
  REQUIRE(audit["entries"].size() == 3);
  CHECK(audit["entries"][0]["details"] == json{{"from", "admin"}, {"to", "creator"}});

  // Deleting a user is the same erasure as their own deletion, and is audited with who it was.
  auto leaving = MakeSessionAccount(app, "erased");
  std::string video = MakeReadyVideo(app, leaving, "Goes too");
  REQUIRE(SendJson(app, "DELETE", "/api/admin/users/" + leaving.id, {{"reason", "asked by mail"}}, other.Bearer()).status ==
          204);
  CHECK(app.Get("/api/users/" + leaving.id).status == 404);
  CHECK(app.Get("/api/videos/" + video, other.Bearer()).status == 404);
  json deleted = GetJson(app, "/api/admin/audit?action=user.delete", other.Bearer());
  REQUIRE(deleted["entries"].size() == 1);
  CHECK(deleted["entries"][0]["target"]["label"] == "erased");
  CHECK(deleted["entries"][0]["reason"] == "asked by mail");
}

TEST_CASE("Admins list, cancel and retry jobs, and the dashboard counts what is there", "[admin]") {
  monotube::ManualClock clock;
  monotube::test::TestAppOptions options;
  options.clock = &clock;
  TestApp app(options);
  auto admin = MakeSessionAccount(app, "jobadmin", "admin");
  auto creator = MakeSessionAccount(app, "statcreator", "creator");
  auto& queue = app.app().job_queue();
  std::int64_t first = queue.Enqueue("noop", {{"n", 1}});
  std::int64_t second = queue.Enqueue("noop", {{"n", 2}});

  json jobs = GetJson(app, "/api/admin/jobs?state=queued", admin.Bearer());
  REQUIRE(jobs["jobs"].size() == 2);
  CHECK(jobs["jobs"][0]["id"] == std::to_string(second));
  CHECK(jobs["jobs"][0]["payload"] == json{{"n", 2}});
  CHECK(jobs["counts"]["queued"] == 2);
  auto cancelled = app.Send("POST", "/api/admin/jobs/" + std::to_string(first) + "/cancel", "", admin.Bearer());
  REQUIRE(cancelled.status == 200);
  CHECK(cancelled.Json()["job"]["state"] == "cancelled");
  RequireApiError(app.Send("POST", "/api/admin/jobs/" + std::to_string(first) + "/cancel", "", admin.Bearer()), 409,
                  "job_state");
  auto retried = app.Send("POST", "/api/admin/jobs/" + std::to_string(first) + "/retry", "", admin.Bearer());
  REQUIRE(retried.status == 200);
  CHECK(retried.Json()["job"]["state"] == "queued");
  RequireApiError(app.Send("POST", "/api/admin/jobs/999999/retry", "", admin.Bearer()), 404, "job_not_found");
  RequireApiError(app.Send("POST", "/api/admin/jobs/abc/retry", "", admin.Bearer()), 404, "job_not_found");
  RequireApiError(app.Get("/api/admin/jobs?state=sleeping", admin.Bearer()), 400, "invalid_state");
  json page = GetJson(app, "/api/admin/jobs?limit=1", admin.Bearer());
  REQUIRE(page["next_cursor"].is_string());
  CHECK(GetJson(app, "/api/admin/jobs?limit=1&cursor=" + page["next_cursor"].get<std::string>(), admin.Bearer())["jobs"][0]["id"] ==
        std::to_string(first));

  // Dashboard: two videos today, one a week old; users by role.
  MakeReadyVideo(app, creator, "Recent");
  auto hidden_video = MakeReadyVideo(app, creator, "Recent, hidden");
  REQUIRE(SendJson(app, "PATCH", "/api/admin/videos/" + hidden_video, {{"hidden", true}}, admin.Bearer()).status == 200);
  clock.Advance(3LL * 86'400'000);
  MakeReadyVideo(app, creator, "Three days later");
  json stats = GetJson(app, "/api/admin/stats", admin.Bearer());
  INFO(stats.dump());
  CHECK(stats["users"]["total"] == 2);
  CHECK(stats["users"]["by_role"]["admin"] == 1);
  CHECK(stats["users"]["by_role"]["creator"] == 1);
  CHECK(stats["users"]["by_role"]["moderator"] == 0);
  CHECK(stats["users"]["signups_last_day"] == 0);
  CHECK(stats["users"]["signups_last_week"] == 2);
  CHECK(stats["videos"]["by_status"]["ready"] == 3);
  CHECK(stats["videos"]["by_status"]["failed"] == 0);
  CHECK(stats["videos"]["hidden"] == 1);
  CHECK(stats["videos"]["uploads_last_day"] == 1);
  CHECK(stats["videos"]["uploads_last_week"] == 3);
  CHECK(stats["storage_bytes"] == 3000);
  CHECK(stats["jobs"]["queued"] == 2);
  CHECK(stats["jobs"]["failed"] == 0);
}

TEST_CASE("Reports: once per person and target, a queue, and acting on one closes them all", "[admin]") {
  TestApp app;
  auto moderator = MakeSessionAccount(app, "reportmod", "moderator");
  auto owner = MakeSessionAccount(app, "reported", "creator");
  auto alice = MakeSessionAccount(app, "reporter1");
  auto bob = MakeSessionAccount(app, "reporter2");
  std::string video = MakeReadyVideo(app, owner, "Bad video");
  std::string other_video = MakeReadyVideo(app, owner, "Fine video");
  auto comment = SendJson(app, "POST", "/api/videos/" + other_video + "/comments", {{"content", "rude words"}},
                          bob.Bearer());
  REQUIRE(comment.status == 201);
  std::string comment_id = comment.Json()["comment"]["id"];

  auto report = [&](const TestAccount& who, const std::string& target, const json& body) {
    return SendJson(app, "POST", target + "/report", body, who.Bearer());
  };
  auto first = report(alice, "/api/videos/" + video, {{"category", "spam"}, {"text", "link farm"}});
  INFO(first.body);
  REQUIRE(first.status == 201);
  CHECK(first.Json()["report"]["state"] == "open");
  CHECK(first.Json()["report"]["target"]["label"] == "Bad video");
  RequireApiError(report(alice, "/api/videos/" + video, {{"category", "spam"}}), 409, "already_reported");
  REQUIRE(report(bob, "/api/videos/" + video, {{"category", "misinformation"}}).status == 201);
  REQUIRE(report(alice, "/api/comments/" + comment_id, {{"category", "harassment"}}).status == 201);
  RequireApiError(report(alice, "/api/videos/" + video, {{"category", "boring"}}), 400, "invalid_category");
  RequireApiError(report(bob, "/api/videos/" + other_video, {{"category", "other"}}), 400, "text_required");
  RequireApiError(report(owner, "/api/videos/" + video, {{"category", "spam"}}), 400, "cannot_report_own");
  RequireApiError(report(bob, "/api/comments/" + comment_id, {{"category", "spam"}}), 400, "cannot_report_own");
  RequireApiError(SendJson(app, "POST", "/api/videos/" + video + "/report", {{"category", "spam"}}), 401,
                  "login_required");
  RequireApiError(report(alice, "/api/videos/AAAAAAAAAAA", {{"category", "spam"}}), 404, "video_not_found");
  CHECK(SendJson(app, "GET", "/api/admin/reports", nullptr, alice.Bearer()).status == 403);

  // The queue: oldest open first, with how many reports each target has.
  json queue = GetJson(app, "/api/admin/reports", moderator.Bearer());
  REQUIRE(queue["reports"].size() == 3);
  CHECK(queue["reports"][0]["target"]["id"] == video);
  CHECK(queue["reports"][0]["open_reports_on_target"] == 2);
  CHECK(queue["reports"][2]["target"]["type"] == "comment");
  CHECK(GetJson(app, "/api/admin/reports?target_type=comment", moderator.Bearer())["reports"].size() == 1);
  CHECK(GetJson(app, "/api/admin/stats", moderator.Bearer())["open_reports"] == 3);

  // Hiding the video from one report resolves both of its reports.
  std::string report_id = queue["reports"][0]["id"];
  RequireApiError(SendJson(app, "PATCH", "/api/admin/reports/" + report_id,
                           {{"state", "resolved"}, {"action", "delete_comment"}}, moderator.Bearer()),
                  400, "invalid_action");
  RequireApiError(SendJson(app, "PATCH", "/api/admin/reports/" + report_id,
                           {{"state", "dismissed"}, {"action", "hide_video"}}, moderator.Bearer()),
                  400, "invalid_action");
  auto handled = SendJson(app, "PATCH", "/api/admin/reports/" + report_id,
                          {{"state", "resolved"}, {"action", "hide_video"}, {"reason", "confirmed spam"}},
                          moderator.Bearer());
  INFO(handled.body);
  REQUIRE(handled.status == 200);
  CHECK(handled.Json()["report"]["state"] == "resolved");
  CHECK(handled.Json()["report"]["action"] == "hide_video");
  CHECK(handled.Json()["report"]["resolved_by"] == "reportmod");
  CHECK(app.Get("/api/videos/" + video, alice.Bearer()).status == 404);
  RequireApiError(SendJson(app, "PATCH", "/api/admin/reports/" + report_id, {{"state", "dismissed"}}, moderator.Bearer()),
                  409, "report_closed");
  queue = GetJson(app, "/api/admin/reports", moderator.Bearer());
  REQUIRE(queue["reports"].size() == 1);

  // The comment report through the fixed path PATCH /api/admin/reports {id, …}: delete it.
  auto deleted = SendJson(app, "PATCH", "/api/admin/reports",
                          {{"id", queue["reports"][0]["id"]}, {"state", "resolved"}, {"action", "delete_comment"}},
                          moderator.Bearer());
  INFO(deleted.body);
  REQUIRE(deleted.status == 200);
  CHECK(deleted.Json()["report"]["target"]["exists"] == false);
  CHECK(app.Get("/api/comments/" + comment_id).status == 404);
  CHECK(GetJson(app, "/api/admin/reports", moderator.Bearer())["reports"].empty());
  CHECK(GetJson(app, "/api/admin/reports?state=resolved", moderator.Bearer())["reports"].size() == 3);
  RequireApiError(app.Get("/api/admin/reports?state=pending", moderator.Bearer()), 400, "invalid_state");

  // Every step is in the audit log.
  json audit = GetJson(app, "/api/admin/audit", moderator.Bearer());
  std::vector<std::string> actions;
  for (const auto& entry : audit["entries"]) actions.push_back(entry["action"]);
  CHECK(actions == std::vector<std::string>{"report.resolve", "comment.delete", "report.resolve", "video.hide"});
  CHECK(audit["entries"][3]["reason"] == "confirmed spam");
  CHECK(audit["entries"][2]["details"]["reports_closed"] == 2);

  // Suspending the uploader from a report.
  auto third = report(bob, "/api/videos/" + other_video, {{"category", "other"}, {"text", "same spammer"}});
  REQUIRE(third.status == 201);
  auto suspended = SendJson(app, "PATCH", "/api/admin/reports/" + third.Json()["report"]["id"].get<std::string>(),
                            {{"state", "resolved"}, {"action", "suspend_user"}}, moderator.Bearer());
  REQUIRE(suspended.status == 200);
  CHECK(app.Get("/api/me", owner.Bearer()).status == 401);
  CHECK(GetJson(app, "/api/admin/audit?action=user.suspend", moderator.Bearer())["entries"][0]["target"]["id"] ==
        owner.id);
}
