// Site settings changed by admins at run time (what they refuse, that they apply at once on
// the server that saved them and within seconds on another sharing the database, and the
// audit entries), and retrying a video whose processing failed (with real FFmpeg).
#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <thread>

#include "monotube/process.hpp"
#include "support/accounts.hpp"
#include "support/test_app.hpp"
#include "support/videos.hpp"

using namespace std::chrono_literals;
using monotube::test::Headers;
using monotube::test::HttpRequest;
using monotube::test::HttpResult;
using monotube::test::MakeAccount;
using monotube::test::MakeReadyVideo;
using monotube::test::MakeSessionAccount;
using monotube::test::RequireApiError;
using monotube::test::SendJson;
using monotube::test::TestAccount;
using monotube::test::TestApp;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

const fs::path kMedia = fs::path(MONOTUBE_SOURCE_DIR) / ".." / "shared" / "media";
constexpr std::uint64_t kMiB = 1ULL << 20;
constexpr std::uint64_t kGiB = 1ULL << 30;
constexpr const char* kBoundary = "----monotubeSettingsBoundary";

json GetJson(std::uint16_t port, const std::string& target, const Headers& headers = {}) {
  auto result = HttpRequest(port, "GET", target, "", headers);
  INFO(target << " -> " << result.body);
  REQUIRE(result.status == 200);
  return result.Json();
}

HttpResult PatchSettings(TestApp& app, const TestAccount& admin, const json& body) {
  return SendJson(app, "PATCH", "/api/admin/settings", body, admin.Bearer());
}

HttpResult SignUp(std::uint16_t port, const std::string& username) {
  return HttpRequest(port, "POST", "/api/auth/signup",
                     json{{"username", username}, {"email", username + "@example.org"},
                          {"password", monotube::test::kTestPassword}}
                         .dump(),
                     {{"Content-Type", "application/json"}});
}

HttpResult TusCreate(std::uint16_t port, const std::string& token, std::uint64_t length) {
  return HttpRequest(port, "POST", "/api/uploads", "",
                     {{"Authorization", "Bearer " + token},
                      {"Tus-Resumable", "1.0.0"},
                      {"Upload-Length", std::to_string(length)}});
}

HttpResult UploadMultipart(std::uint16_t port, const std::string& token, const std::string& file,
                           const std::string& filename) {
  std::string body = std::string("--") + kBoundary +
                     "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + filename +
                     "\"\r\nContent-Type: application/octet-stream\r\n\r\n" + file + "\r\n--" + kBoundary + "--\r\n";
  return HttpRequest(port, "POST", "/api/videos", body,
                     {{"Authorization", "Bearer " + token},
                      {"Content-Type", std::string("multipart/form-data; boundary=") + kBoundary}});
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Asks `attempt` until it returns true or `limit` passes; returns how long it took (or
// nullopt when it never did).
template <class F>
std::optional<std::chrono::milliseconds> Within(std::chrono::milliseconds limit, F&& attempt) {
  auto start = std::chrono::steady_clock::now();
  for (;;) {
    if (attempt()) return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
    if (std::chrono::steady_clock::now() - start > limit) return std::nullopt;
    std::this_thread::sleep_for(50ms);
  }
}

std::vector<std::string> StoredKeys(TestApp& app, const std::string& prefix) {
  std::vector<std::string> keys;
  for (const auto& object : app.app().storage().List(prefix).objects) keys.push_back(object.key);
  return keys;
}

// A video whose processing failed, made directly through the repository; with
// keep_original its original (a few bytes that are no video) stays stored.
std::string MakeFailedVideo(TestApp& app, const TestAccount& owner, const std::string& title, bool keep_original) {
  auto& repository = app.app().videos().repository();
  auto now = app.app().clock().NowMs();
  monotube::videos::Video video;
  video.owner_id = monotube::test::UserIdOf(app, owner);
  video.title = title;
  video.visibility = "public";
  video.status = "uploading";
  video.created_at_ms = video.updated_at_ms = now;
  video = repository.Insert(video);
  std::string key = "videos/" + video.public_id + "/original";
  app.app().storage().Put(key, "no video in here");
  REQUIRE(repository.MarkUploaded(video.id, key, 16, now));
  if (!keep_original) app.app().storage().Delete(key);
  REQUIRE(repository.MarkFailed(video.id, "The file is not a video.", keep_original, now));
  return video.public_id;
}

json AdminVideo(TestApp& app, const TestAccount& admin, const std::string& id) {
  json list = GetJson(app.port(), "/api/admin/videos?limit=100", admin.Bearer())["videos"];
  for (const auto& item : list)
    if (item["id"] == id) return item;
  FAIL("video " << id << " is not in the admin list");
  return nullptr;
}

}  // namespace

TEST_CASE("Site settings refuse unknown fields, wrong types and values out of range, and save nothing then",
          "[admin]") {
  TestApp app;
  auto admin = MakeSessionAccount(app, "settingsadmin", "admin");
  json initial = GetJson(app.port(), "/api/admin/settings", admin.Bearer());
  INFO(initial.dump());
  CHECK(initial["settings"] == json{{"signup_open", true},
                                    {"default_role", "creator"},
                                    {"max_upload_bytes", 8 * kGiB},
                                    {"user_quota_bytes", 50 * kGiB}});
  CHECK(initial["limits"] == json{{"max_upload_bytes", 8 * kGiB},
                                  {"min_upload_bytes", kMiB},
                                  {"max_user_quota_bytes", 1ULL << 50}});
  CHECK(initial["updated_at"].is_null());
  CHECK(initial["updated_by"].is_null());

  struct Bad {
    json body;
    std::string field;
  };
  const std::vector<Bad> bad = {
      {{{"signup_open", "yes"}}, "signup_open"},
      {{{"signup_open", 1}}, "signup_open"},
      {{{"signup_open", nullptr}}, "signup_open"},
      {{{"default_role", "admin"}}, "default_role"},
      {{{"default_role", "moderator"}}, "default_role"},
      {{{"default_role", "Viewer"}}, "default_role"},
      {{{"default_role", true}}, "default_role"},
      {{{"max_upload_bytes", kMiB - 1}}, "max_upload_bytes"},
      {{{"max_upload_bytes", 8 * kGiB + 1}}, "max_upload_bytes"},
      {{{"max_upload_bytes", 0}}, "max_upload_bytes"},
      {{{"max_upload_bytes", -1048576}}, "max_upload_bytes"},
      {{{"max_upload_bytes", "1048576"}}, "max_upload_bytes"},
      {{{"max_upload_bytes", 2097152.5}}, "max_upload_bytes"},
      {{{"max_upload_bytes", 2097152.0}}, "max_upload_bytes"},
      {{{"user_quota_bytes", 1000}}, "user_quota_bytes"},
      {{{"user_quota_bytes", (1ULL << 50) + 1}}, "user_quota_bytes"},
      {{{"user_quota_bytes", -1}}, "user_quota_bytes"},
      {{{"user_quota_bytes", json::array()}}, "user_quota_bytes"},
      {{{"colour", "blue"}}, "colour"},
      {{{"signup_role", "viewer"}}, "signup_role"},
      // One good and one bad field: neither is saved.
      {{{"signup_open", false}, {"max_upload_bytes", 10}}, "max_upload_bytes"},
      {{{"default_role", "viewer"}, {"unknown", 1}}, "unknown"},
  };
  for (const auto& [body, field] : bad) {
    auto result = PatchSettings(app, admin, body);
    INFO(body.dump() << " -> " << result.body);
    RequireApiError(result, 400, "invalid_setting");
    json error = result.Json()["error"];
    CHECK(error["fields"].contains(field));
    CHECK_THAT(error["fields"][field]["message"].get<std::string>(), Catch::Contains(field));
  }
  RequireApiError(PatchSettings(app, admin, {{"signup_open", false}, {"reason", std::string(501, 'x')}}), 400,
                  "invalid_reason");
  RequireApiError(app.Send("PATCH", "/api/admin/settings", "[true]", admin.Bearer({{"Content-Type", "application/json"}})),
                  400, "invalid_body");
  RequireApiError(app.Send("PATCH", "/api/admin/settings", "{\"signup_open\": fal",
                           admin.Bearer({{"Content-Type", "application/json"}})),
                  400, "invalid_json");

  json after = GetJson(app.port(), "/api/admin/settings", admin.Bearer());
  CHECK(after == initial);
  CHECK(GetJson(app.port(), "/api/admin/audit?action=settings.update", admin.Bearer())["entries"].empty());
  // The edges themselves are fine.
  auto edges = PatchSettings(app, admin, {{"max_upload_bytes", kMiB}, {"user_quota_bytes", 1ULL << 50}});
  INFO(edges.body);
  REQUIRE(edges.status == 200);
  CHECK(edges.Json()["settings"]["max_upload_bytes"] == kMiB);
  auto unlimited = PatchSettings(app, admin, {{"max_upload_bytes", 8 * kGiB}, {"user_quota_bytes", 0}});
  REQUIRE(unlimited.status == 200);
  CHECK(unlimited.Json()["settings"]["user_quota_bytes"] == 0);
}

TEST_CASE("Site settings apply at once on the server that saved them and within seconds on another", "[admin]") {
  TestApp app;
  auto replica = app.StartReplica();
  const std::uint16_t here = app.port(), there = replica->port();
  auto admin = MakeSessionAccount(app, "siteadmin", "admin");
  auto creator = MakeSessionAccount(app, "sitecreator", "creator");
  auto saver = MakeSessionAccount(app, "sitesaver", "creator");
  CHECK(GetJson(here, "/api/site") ==
        json{{"signup_open", true}, {"default_role", "creator"}, {"max_upload_bytes", 8 * kGiB}});
  int serial = 0;
  auto fresh_name = [&] { return "newcomer" + std::to_string(++serial); };
  std::vector<std::chrono::milliseconds> delays;

  // A browser's PATCH needs the CSRF token like every other admin change.
  RequireApiError(app.Send("PATCH", "/api/admin/settings", json{{"signup_open", false}}.dump(),
                           admin.CookieWithoutCsrf({{"Content-Type", "application/json"}})),
                  403, "csrf_failed");

  SECTION("closed sign-ups") {
    auto closed = app.Send("PATCH", "/api/admin/settings", json{{"signup_open", false}, {"reason", "spam wave"}}.dump(),
                           admin.Cookie({{"Content-Type", "application/json"}}));
    INFO(closed.body);
    REQUIRE(closed.status == 200);
    json saved = closed.Json();
    CHECK(saved["settings"]["signup_open"] == false);
    CHECK(saved["updated_by"] == json{{"id", admin.id}, {"username", "siteadmin"}});
    CHECK(saved["updated_at"].is_number_integer());
    RequireApiError(SignUp(here, fresh_name()), 403, "signup_closed");
    CHECK(GetJson(here, "/api/site")["signup_open"] == false);
    HttpResult last;
    auto delay = Within(3s, [&] {
      last = SignUp(there, fresh_name());
      return last.status != 201;
    });
    REQUIRE(delay);
    delays.push_back(*delay);
    RequireApiError(last, 403, "signup_closed");
    CHECK(GetJson(there, "/api/site")["signup_open"] == false);
    // The other server's admin page reads what was saved, not an old cache.
    CHECK(GetJson(there, "/api/admin/settings", admin.Bearer())["settings"]["signup_open"] == false);

    json audit = GetJson(here, "/api/admin/audit?action=settings.update", admin.Bearer())["entries"];
    REQUIRE(audit.size() == 1);
    CHECK(audit[0]["target"] == json{{"type", "site"}, {"id", "settings"}, {"label", "Site settings"}});
    CHECK(audit[0]["reason"] == "spam wave");
    CHECK(audit[0]["details"] == json{{"signup_open", {{"from", true}, {"to", false}}}});
    CHECK(audit[0]["actor"]["id"] == admin.id);
    // Saving what is already there changes nothing and records nothing.
    REQUIRE(PatchSettings(app, admin, {{"signup_open", false}}).status == 200);
    CHECK(GetJson(here, "/api/admin/audit?action=settings.update", admin.Bearer())["entries"].size() == 1);
  }

  SECTION("new accounts are viewers") {
    auto changed = PatchSettings(app, admin, {{"default_role", "viewer"}});
    REQUIRE(changed.status == 200);
    auto signed_up = SignUp(here, fresh_name());
    INFO(signed_up.body);
    REQUIRE(signed_up.status == 201);
    CHECK(signed_up.Json()["user"]["role"] == "viewer");
    std::string token = signed_up.Json()["token"];
    RequireApiError(TusCreate(here, token, 1000), 403, "forbidden");
    RequireApiError(UploadMultipart(here, token, "data", "a.mp4"), 403, "forbidden");
    std::string role;
    auto delay = Within(3s, [&] {
      auto result = SignUp(there, fresh_name());
      REQUIRE(result.status == 201);
      role = result.Json()["user"]["role"];
      token = result.Json()["token"];
      return role == "viewer";
    });
    REQUIRE(delay);
    delays.push_back(*delay);
    RequireApiError(TusCreate(there, token, 1000), 403, "forbidden");
    json audit = GetJson(here, "/api/admin/audit?action=settings.update", admin.Bearer())["entries"];
    REQUIRE(audit.size() == 1);
    CHECK(audit[0]["details"] == json{{"default_role", {{"from", "creator"}, {"to", "viewer"}}}});
    CHECK(GetJson(there, "/api/site")["default_role"] == "viewer");
  }

  SECTION("a lower upload limit") {
    REQUIRE(PatchSettings(app, admin, {{"max_upload_bytes", kMiB}}).status == 200);
    std::string two_mib(2 * kMiB, 'v');
    auto multipart = UploadMultipart(here, creator.token, two_mib, "big.mp4");
    RequireApiError(multipart, 413, "file_too_large");
    CHECK_THAT(multipart.Json()["error"]["message"].get<std::string>(), Catch::Contains("1 MiB"));
    RequireApiError(TusCreate(here, creator.token, 2 * kMiB), 413, "file_too_large");
    CHECK(HttpRequest(here, "OPTIONS", "/api/uploads").Header("tus-max-size") == std::to_string(kMiB));
    json mine = GetJson(here, "/api/me/videos", creator.Bearer());
    CHECK(mine["quota"]["max_upload_bytes"] == kMiB);
    CHECK(GetJson(here, "/api/site")["max_upload_bytes"] == kMiB);
    // Just under the limit is still fine.
    CHECK(TusCreate(here, creator.token, kMiB).status == 201);

    HttpResult last;
    auto delay = Within(3s, [&] {
      last = TusCreate(there, creator.token, 2 * kMiB);
      return last.status != 201;
    });
    REQUIRE(delay);
    delays.push_back(*delay);
    RequireApiError(last, 413, "file_too_large");
    RequireApiError(UploadMultipart(there, creator.token, two_mib, "big.mp4"), 413, "file_too_large");
    CHECK(HttpRequest(there, "OPTIONS", "/api/uploads").Header("tus-max-size") == std::to_string(kMiB));
    json audit = GetJson(here, "/api/admin/audit?action=settings.update", admin.Bearer())["entries"];
    REQUIRE(audit.size() == 1);
    CHECK(audit[0]["details"] == json{{"max_upload_bytes", {{"from", 8 * kGiB}, {"to", kMiB}}}});
  }

  SECTION("a lower quota") {
    REQUIRE(PatchSettings(app, admin, {{"user_quota_bytes", kMiB}, {"max_upload_bytes", 8 * kMiB}}).status == 200);
    // saver has nothing stored yet: half a MiB fits, two do not.
    std::string two_mib(2 * kMiB, 'q');
    RequireApiError(TusCreate(here, saver.token, 2 * kMiB), 413, "quota_exceeded");
    RequireApiError(UploadMultipart(here, saver.token, two_mib, "big.mp4"), 413, "quota_exceeded");
    CHECK(GetJson(here, "/api/me/videos", saver.Bearer())["quota"]["limit_bytes"] == kMiB);
    HttpResult last;
    auto delay = Within(3s, [&] {
      last = TusCreate(there, creator.token, 2 * kMiB);
      return last.status != 201;
    });
    REQUIRE(delay);
    delays.push_back(*delay);
    RequireApiError(last, 413, "quota_exceeded");
    CHECK(GetJson(there, "/api/me/videos", saver.Bearer())["quota"]["limit_bytes"] == kMiB);
    CHECK(TusCreate(there, saver.token, kMiB / 2).status == 201);
    json audit = GetJson(here, "/api/admin/audit?action=settings.update", admin.Bearer())["entries"];
    REQUIRE(audit.size() == 1);
    CHECK(audit[0]["details"] == json{{"user_quota_bytes", {{"from", 50 * kGiB}, {"to", kMiB}}},
                                      {"max_upload_bytes", {{"from", 8 * kGiB}, {"to", 8 * kMiB}}}});
  }

  for (auto delay : delays) WARN("the other server followed after " << delay.count() << " ms");
  replica->Shutdown();
}

TEST_CASE("Retrying a failed video: who may, and what cannot be retried", "[admin]") {
  monotube::ManualClock clock;
  monotube::test::TestAppOptions options;
  options.clock = &clock;
  TestApp app(options);
  // Jobs stay where the test puts them: no transcoder takes them.
  app.app().transcode_runner().Stop();
  auto admin = MakeSessionAccount(app, "retryboss", "admin");
  auto moderator = MakeSessionAccount(app, "retrymod", "moderator");
  auto creator = MakeSessionAccount(app, "retrymaker", "creator");
  std::string ready = MakeReadyVideo(app, creator, "Fine already");
  std::string kept = MakeFailedVideo(app, creator, "Failed, original kept", true);
  std::string lost = MakeFailedVideo(app, creator, "Failed, original gone", false);

  CHECK(AdminVideo(app, admin, kept)["can_retry"] == true);
  CHECK(AdminVideo(app, admin, kept)["size_bytes"] == 16);  // the original counts
  CHECK(AdminVideo(app, admin, lost)["can_retry"] == false);
  CHECK(AdminVideo(app, admin, ready)["can_retry"] == false);

  auto retry = [&](const std::string& id, const TestAccount& who) {
    return SendJson(app, "POST", "/api/admin/videos/" + id + "/retry", {{"reason", "try again"}}, who.Bearer());
  };
  RequireApiError(retry(kept, moderator), 403, "forbidden");
  RequireApiError(retry(kept, creator), 403, "forbidden");
  RequireApiError(app.Send("POST", "/api/admin/videos/" + kept + "/retry"), 401, "login_required");
  RequireApiError(retry("nosuchvideo", admin), 404, "video_not_found");
  RequireApiError(retry(ready, admin), 409, "not_failed");
  RequireApiError(retry(lost, admin), 409, "original_missing");
  RequireApiError(SendJson(app, "POST", "/api/admin/videos/" + kept + "/retry", {{"reason", 5}}, admin.Bearer()), 400,
                  "invalid_field");

  auto retried = retry(kept, admin);
  INFO(retried.body);
  REQUIRE(retried.status == 202);
  json video = retried.Json()["video"];
  CHECK(video["status"] == "processing");
  CHECK(video["progress"] == 0);
  CHECK(video["failure_reason"].is_null());
  CHECK(video["can_retry"] == false);
  RequireApiError(retry(kept, admin), 409, "not_failed");
  int transcodes = 0;
  json queued = GetJson(app.port(), "/api/admin/jobs?state=queued", admin.Bearer());
  for (const auto& job : queued["jobs"])
    if (job["type"] == "transcode" && job["payload"]["video_id"].is_number_integer()) ++transcodes;
  CHECK(transcodes == 1);
  json audit = GetJson(app.port(), "/api/admin/audit?action=video.retry", admin.Bearer())["entries"];
  REQUIRE(audit.size() == 1);
  CHECK(audit[0]["target"]["id"] == kept);
  CHECK(audit[0]["reason"] == "try again");
  CHECK(audit[0]["details"]["failure_reason"] == "The file is not a video.");

  // An original whose object vanished from storage cannot be retried either.
  std::string vanished = MakeFailedVideo(app, creator, "Failed, object vanished", true);
  app.app().storage().Delete("videos/" + vanished + "/original");
  RequireApiError(retry(vanished, admin), 409, "original_missing");

  SECTION("cancelling the transcode of a processing video fails it, and it can be retried again") {
    std::string job_id;
    for (const auto& job : queued["jobs"])
      if (job["type"] == "transcode") job_id = job["id"];
    REQUIRE(!job_id.empty());
    auto cancelled = SendJson(app, "POST", "/api/admin/jobs/" + job_id + "/cancel", {{"reason", "stuck"}}, admin.Bearer());
    INFO(cancelled.body);
    REQUIRE(cancelled.status == 200);
    CHECK(cancelled.Json()["job"]["state"] == "cancelled");
    json failed = AdminVideo(app, admin, kept);
    CHECK(failed["status"] == "failed");
    CHECK(failed["failure_reason"] == "Processing was cancelled by an administrator.");
    CHECK(failed["can_retry"] == true);
    CHECK(failed["size_bytes"] == 16);
    json entry = GetJson(app.port(), "/api/admin/audit?action=job.cancel", admin.Bearer())["entries"][0];
    CHECK(entry["reason"] == "stuck");
    CHECK(entry["details"]["video"] == kept);
    CHECK(entry["details"]["video_status"] == json{{"from", "processing"}, {"to", "failed"}});
    // The owner sees why, and the video can go round again.
    CHECK(GetJson(app.port(), "/api/videos/" + kept, creator.Bearer())["video"]["failure_reason"] ==
          "Processing was cancelled by an administrator.");
    REQUIRE(retry(kept, admin).status == 202);
    // A ready video is never failed by a late cancel of an old job of its own.
    auto& queue = app.app().job_queue();
    std::int64_t late = queue.Enqueue("transcode", {{"video_id", app.app().videos().repository().FindByPublicId(ready)->id}});
    REQUIRE(app.Send("POST", "/api/admin/jobs/" + std::to_string(late) + "/cancel", "", admin.Bearer()).status == 200);
    CHECK(AdminVideo(app, admin, ready)["status"] == "ready");
  }

  SECTION("retrying the job of a failed video puts the video back to processing") {
    auto& queue = app.app().job_queue();
    auto& repository = app.app().videos().repository();
    std::string again = MakeFailedVideo(app, creator, "Failed, by its job", true);
    auto job_of = [&](const std::string& id) {
      std::int64_t job = queue.Enqueue("transcode", {{"video_id", repository.FindByPublicId(id)->id}});
      REQUIRE(queue.Cancel(job));
      return std::to_string(job);
    };
    auto retry_job = [&](const std::string& job) {
      return app.Send("POST", "/api/admin/jobs/" + job + "/retry", "", admin.Bearer());
    };
    std::string job = job_of(again);
    auto result = retry_job(job);
    INFO(result.body);
    REQUIRE(result.status == 200);
    CHECK(result.Json()["job"]["state"] == "queued");
    CHECK(repository.FindByPublicId(again)->status == "processing");
    json entry = GetJson(app.port(), "/api/admin/audit?action=job.retry", admin.Bearer())["entries"][0];
    CHECK(entry["details"]["video"] == again);
    CHECK(entry["details"]["video_status"] == json{{"from", "failed"}, {"to", "processing"}});

    RequireApiError(retry_job(job_of(ready)), 409, "not_failed");
    RequireApiError(retry_job(job_of(lost)), 409, "original_missing");
    std::string doomed = MakeFailedVideo(app, creator, "Failed, then deleted", true);
    std::string doomed_job = job_of(doomed);
    REQUIRE(app.Send("DELETE", "/api/admin/videos/" + doomed, "", admin.Bearer()).status == 204);
    RequireApiError(retry_job(doomed_job), 409, "video_gone");
    // A refused retry leaves the job as it was.
    CHECK(GetJson(app.port(), "/api/admin/jobs?state=cancelled", admin.Bearer())["jobs"].size() == 3);
  }

  SECTION("originals of videos failed long ago are removed") {
    std::string old_one = MakeFailedVideo(app, creator, "Failed long ago", true);
    clock.Advance(6LL * 86'400'000);
    std::string recent = MakeFailedVideo(app, creator, "Failed recently", true);
    CHECK(app.app().videos().PurgeFailedOriginals() == 0);
    clock.Advance(2LL * 86'400'000);  // old_one: 8 days, recent: 2 days
    CHECK(app.app().videos().PurgeFailedOriginals() == 2);  // old_one and `vanished` (same age)
    CHECK(StoredKeys(app, "videos/" + old_one + "/").empty());
    CHECK(StoredKeys(app, "videos/" + recent + "/") == std::vector<std::string>{"videos/" + recent + "/original"});
    CHECK(AdminVideo(app, admin, old_one)["can_retry"] == false);
    CHECK(AdminVideo(app, admin, old_one)["size_bytes"] == 0);
    CHECK(AdminVideo(app, admin, recent)["can_retry"] == true);
    RequireApiError(retry(old_one, admin), 409, "original_missing");
    // The retried video is processing, not failed: its original stays.
    CHECK(!StoredKeys(app, "videos/" + kept + "/").empty());
  }
}

TEST_CASE("A video that failed keeps its original, and an admin's retry makes it ready and playable", "[admin]") {
  // friday.mp4 is 6.2 s long: longer than this site accepts at first.
  TestApp app(monotube::test::Configured([](monotube::Config& config) { config.max_video_duration_seconds = 3; }));
  auto admin = MakeSessionAccount(app, "ffadmin", "admin");
  auto creator = MakeSessionAccount(app, "ffcreator", "creator");
  std::string original = ReadFile(kMedia / "friday.mp4");
  auto uploaded = UploadMultipart(app.port(), creator.token, original, "friday.mp4");
  INFO(uploaded.body);
  REQUIRE(uploaded.status == 201);
  std::string id = uploaded.Json()["video"]["id"];

  auto wait_for = [&](const std::set<std::string>& done) {
    json video;
    auto took = Within(180s, [&] {
      video = GetJson(app.port(), "/api/videos/" + id, creator.Bearer())["video"];
      return done.contains(video["status"].get<std::string>());
    });
    INFO(video.dump());
    REQUIRE(took);
    return video;
  };
  json failed = wait_for({"failed", "ready"});
  REQUIRE(failed["status"] == "failed");
  CHECK_THAT(failed["failure_reason"].get<std::string>(), Catch::Contains("long"));
  // Only the original is left, and it counts against the owner's quota.
  CHECK(StoredKeys(app, "videos/" + id + "/") == std::vector<std::string>{"videos/" + id + "/original"});
  CHECK(failed["size_bytes"] == original.size());
  CHECK(GetJson(app.port(), "/api/me/videos", creator.Bearer())["quota"]["used_bytes"] == original.size());
  auto download = app.Get("/api/videos/" + id + "/original", creator.Bearer());
  REQUIRE(download.status == 200);
  CHECK(download.body == original);
  CHECK(AdminVideo(app, admin, id)["can_retry"] == true);

  // The operator raises the limit and restarts: this server's transcoder stops, a server
  // with the new configuration takes the jobs.
  app.app().transcode_runner().Stop();
  auto fixed = app.StartReplica([](monotube::Config& config) { config.max_video_duration_seconds = 3600; });
  auto retried = SendJson(app, "POST", "/api/admin/videos/" + id + "/retry", {{"reason", "limit raised"}},
                          admin.Bearer());
  INFO(retried.body);
  REQUIRE(retried.status == 202);
  CHECK(retried.Json()["video"]["status"] == "processing");
  json ready = wait_for({"ready", "failed"});
  REQUIRE(ready["status"] == "ready");
  CHECK(ready["failure_reason"].is_null());
  REQUIRE(!ready["renditions"].empty());
  REQUIRE(ready["hls_url"].is_string());
  CHECK(AdminVideo(app, admin, id)["can_retry"] == false);

  // A real player: ffprobe reads every rendition over HTTP.
  std::string url = "http://127.0.0.1:" + std::to_string(app.port()) + ready["hls_url"].get<std::string>();
  monotube::ProcessOptions probe_options;
  probe_options.argv = {"ffprobe", "-v", "error", "-show_entries", "stream=codec_type,height", "-of", "json", url};
  probe_options.timeout = 120s;
  probe_options.max_stdout_bytes = 1 << 20;
  probe_options.max_stderr_bytes = 1 << 20;
  auto probe = monotube::RunProcess(probe_options);
  INFO(probe.stderr_text);
  REQUIRE(probe.ok());
  std::set<int> heights;
  json probed = json::parse(probe.stdout_text);
  for (const auto& stream : probed["streams"])
    if (stream["codec_type"] == "video") heights.insert(stream["height"].get<int>());
  CHECK(heights.size() == ready["renditions"].size());
  CHECK(heights.contains(480));
  fixed->Shutdown();
}
