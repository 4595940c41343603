// Interactions over HTTP against the real server: comments and replies, ratings,
// subscriptions with the feed and notifications, views and watch time. Videos are made
// ready directly through the repository (no FFmpeg) except where the real pipeline is the
// point (a finished upload notifies subscribers).
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include <soci/soci.h>

#include "support/accounts.hpp"
#include "support/test_app.hpp"
#include "support/videos.hpp"

using namespace std::chrono_literals;
using monotube::test::Headers;
using monotube::test::HttpResult;
using monotube::test::MakeAccount;
using monotube::test::MakeReadyVideo;
using monotube::test::MakeSessionAccount;
using monotube::test::RequireApiError;
using monotube::test::SendJson;
using monotube::test::TestAccount;
using monotube::test::TestApp;
using monotube::test::UserIdOf;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

const fs::path kMedia = fs::path(MONOTUBE_SOURCE_DIR) / ".." / "shared" / "media";

json GetVideo(TestApp& app, const std::string& id, const Headers& headers = {}) {
  auto result = app.Get("/api/videos/" + id, headers);
  INFO(result.body);
  REQUIRE(result.status == 200);
  return result.Json()["video"];
}

json PostComment(TestApp& app, const TestAccount& account, const std::string& video, const std::string& content,
                 const std::string& parent = "") {
  json body = {{"content", content}};
  if (!parent.empty()) body["parent_id"] = parent;
  auto result = SendJson(app, "POST", "/api/videos/" + video + "/comments", body, account.Bearer());
  INFO(result.body);
  REQUIRE(result.status == 201);
  return result.Json()["comment"];
}

json GetJson(TestApp& app, const std::string& target, const Headers& headers = {}) {
  auto result = app.Get(target, headers);
  INFO(target << " -> " << result.body);
  REQUIRE(result.status == 200);
  return result.Json();
}

long long CountRows(TestApp& app, const std::string& sql) {
  return app.app().database().WithSession([&](soci::session& session) {
    long long count = 0;
    session << sql, soci::into(count);
    return count;
  });
}

}  // namespace

TEST_CASE("Comments: replies, both orders with cursors, edits and deletions keep the counts", "[interactions]") {
  TestApp app;
  auto owner = MakeAccount(app, "channelowner");
  auto alice = MakeSessionAccount(app, "alice");
  auto bob = MakeSessionAccount(app, "bob");
  std::string video = MakeReadyVideo(app, owner, "Comment target");

  std::vector<json> top;
  for (int i = 0; i < 5; ++i) top.push_back(PostComment(app, i % 2 ? alice : bob, video, "comment " + std::to_string(i)));
  CHECK(top[0]["author"]["username"] == "bob");
  CHECK(top[0]["parent_id"].is_null());
  CHECK(top[0]["edited"] == false);
  CHECK(top[0]["video_id"] == video);
  CHECK(top[0]["can_edit"] == true);
  CHECK(top[0]["created_at"].get<std::string>().back() == 'Z');

  // Replies to comment 1; a reply to a reply joins the same thread (one level only).
  json reply = PostComment(app, owner, video, "thanks!", top[1]["id"]);
  CHECK(reply["parent_id"] == top[1]["id"]);
  CHECK(reply["by_video_owner"] == true);
  json nested = PostComment(app, bob, video, "reply to the reply", reply["id"]);
  CHECK(nested["parent_id"] == top[1]["id"]);
  PostComment(app, alice, video, "another", top[3]["id"]);

  CHECK(GetVideo(app, video)["comment_count"] == 8);

  // Newest first, two per page, following the cursor to the end.
  std::vector<std::string> seen;
  std::string cursor;
  for (int page = 0; page < 10; ++page) {
    json list = GetJson(app, "/api/videos/" + video + "/comments?sort=newest&limit=2" +
                                 (cursor.empty() ? "" : "&cursor=" + cursor));
    CHECK(list["comment_count"] == 8);
    for (const auto& c : list["comments"]) seen.push_back(c["content"]);
    if (list["next_cursor"].is_null()) break;
    cursor = list["next_cursor"];
  }
  CHECK(seen == std::vector<std::string>{"comment 4", "comment 3", "comment 2", "comment 1", "comment 0"});

  // Top: most replies first, then newest.
  json topList = GetJson(app, "/api/videos/" + video + "/comments?sort=top&limit=3");
  REQUIRE(topList["comments"].size() == 3);
  CHECK(topList["comments"][0]["content"] == "comment 1");
  CHECK(topList["comments"][0]["reply_count"] == 2);
  CHECK(topList["comments"][1]["content"] == "comment 3");
  CHECK(topList["comments"][2]["content"] == "comment 4");
  json topRest = GetJson(app, "/api/videos/" + video + "/comments?sort=top&limit=3&cursor=" +
                                  topList["next_cursor"].get<std::string>());
  REQUIRE(topRest["comments"].size() == 2);
  CHECK(topRest["comments"][0]["content"] == "comment 2");
  CHECK(topRest["next_cursor"].is_null());

  // A thread's replies, oldest first.
  json replies = GetJson(app, "/api/videos/" + video + "/comments?parent_id=" + top[1]["id"].get<std::string>());
  REQUIRE(replies["comments"].size() == 2);
  CHECK(replies["comments"][0]["content"] == "thanks!");
  CHECK(replies["comments"][1]["content"] == "reply to the reply");

  // The author edits: marked as edited.
  auto edited = SendJson(app, "PATCH", "/api/comments/" + top[1]["id"].get<std::string>(), {{"content", "fixed typo"}},
                         alice.Bearer());
  REQUIRE(edited.status == 200);
  CHECK(edited.Json()["comment"]["content"] == "fixed typo");
  CHECK(edited.Json()["comment"]["edited"] == true);
  CHECK(GetJson(app, "/api/comments/" + top[1]["id"].get<std::string>())["comment"]["edited"] == true);

  // Deleting a reply lowers both counts; deleting a thread takes its replies.
  REQUIRE(app.Send("DELETE", "/api/comments/" + nested["id"].get<std::string>(), "", bob.Bearer()).status == 204);
  CHECK(GetJson(app, "/api/comments/" + top[1]["id"].get<std::string>())["comment"]["reply_count"] == 1);
  CHECK(GetVideo(app, video)["comment_count"] == 7);
  REQUIRE(app.Send("DELETE", "/api/comments/" + top[1]["id"].get<std::string>(), "", owner.Bearer()).status == 204);
  CHECK(GetVideo(app, video)["comment_count"] == 5);
  RequireApiError(app.Get("/api/comments/" + reply["id"].get<std::string>()), 404, "comment_not_found");
  RequireApiError(app.Send("DELETE", "/api/comments/" + top[1]["id"].get<std::string>(), "", owner.Bearer()), 404,
                  "comment_not_found");
  CHECK(CountRows(app, "SELECT COUNT(*) FROM comments") == 5);

  // Bad parameters are 400s, unknown things 404s.
  RequireApiError(app.Get("/api/videos/" + video + "/comments?sort=best"), 400, "invalid_sort");
  RequireApiError(app.Get("/api/videos/" + video + "/comments?cursor=zzz"), 400, "invalid_cursor");
  RequireApiError(app.Get("/api/videos/" + video + "/comments?limit=0"), 400, "invalid_limit");
  RequireApiError(app.Get("/api/videos/" + video + "/comments?parent_id=nonexistent"), 404, "comment_not_found");
  RequireApiError(app.Get("/api/videos/AAAAAAAAAAA/comments"), 404, "video_not_found");
  RequireApiError(SendJson(app, "POST", "/api/videos/" + video + "/comments",
                           {{"content", "x"}, {"parent_id", "AAAAAAAAAAA"}}, bob.Bearer()),
                  404, "comment_not_found");
}

TEST_CASE("Comment text is checked and kept as plain text", "[interactions]") {
  TestApp app;
  auto owner = MakeAccount(app, "textowner");
  std::string video = MakeReadyVideo(app, owner, "Text checks");
  auto post = [&](const json& body) {
    return SendJson(app, "POST", "/api/videos/" + video + "/comments", body, owner.Bearer());
  };
  RequireApiError(post({{"content", ""}}), 400, "content_empty");
  RequireApiError(post({{"content", "  \n\t  "}}), 400, "content_empty");
  RequireApiError(post(json::object()), 400, "missing_field");
  RequireApiError(post({{"content", 42}}), 400, "invalid_field");
  RequireApiError(post({{"content", std::string(2001, 'a')}}), 400, "content_too_long");
  RequireApiError(post({{"content", "bell\x07"}}), 400, "invalid_characters");
  RequireApiError(post({{"content", "x"}, {"parent_id", 5}}), 400, "invalid_field");
  RequireApiError(app.Send("POST", "/api/videos/" + video + "/comments", "{not json",
                           owner.Bearer({{"Content-Type", "application/json"}})),
                  400, "invalid_json");
  auto invalid_utf8 = app.Send("POST", "/api/videos/" + video + "/comments", "{\"content\": \"\xff\xfe\"}",
                               owner.Bearer({{"Content-Type", "application/json"}}));
  CHECK(invalid_utf8.status == 400);

  // 2000 characters (not bytes) fit: é is two bytes.
  std::string longest;
  for (int i = 0; i < 2000; ++i) longest += "\xc3\xa9";
  auto ok = post({{"content", longest}});
  REQUIRE(ok.status == 201);

  // HTML is stored and returned as the text that was typed; CR LF becomes LF; edges trimmed.
  std::string html = "<script>alert(1)</script> & <b>bold</b>";
  json comment = post({{"content", "  " + html + "\r\nsecond line  "}}).Json()["comment"];
  CHECK(comment["content"] == html + "\nsecond line");
  RequireApiError(SendJson(app, "PATCH", "/api/comments/" + comment["id"].get<std::string>(), {{"content", ""}},
                           owner.Bearer()),
                  400, "content_empty");
}

TEST_CASE("The owner can turn comments off and on", "[interactions]") {
  TestApp app;
  auto owner = MakeAccount(app, "quietowner");
  auto viewer = MakeSessionAccount(app, "chatty");
  std::string video = MakeReadyVideo(app, owner, "Quiet please");
  json comment = PostComment(app, viewer, video, "first!");

  auto off = SendJson(app, "PATCH", "/api/videos/" + video, {{"comments_enabled", false}}, owner.Bearer());
  REQUIRE(off.status == 200);
  CHECK(off.Json()["video"]["comments_enabled"] == false);
  RequireApiError(SendJson(app, "PATCH", "/api/videos/" + video, {{"comments_enabled", "no"}}, owner.Bearer()), 400,
                  "invalid_type");
  RequireApiError(SendJson(app, "PATCH", "/api/videos/" + video, {{"comments_enabled", false}}, viewer.Bearer()), 403,
                  "forbidden");

  json list = GetJson(app, "/api/videos/" + video + "/comments");
  CHECK(list["comments_enabled"] == false);
  CHECK(list["comments"].empty());
  RequireApiError(SendJson(app, "POST", "/api/videos/" + video + "/comments", {{"content", "hello?"}}, viewer.Bearer()),
                  403, "comments_disabled");
  RequireApiError(SendJson(app, "PATCH", "/api/comments/" + comment["id"].get<std::string>(), {{"content", "edit"}},
                           viewer.Bearer()),
                  403, "comments_disabled");

  // Back on: the old comments are there again.
  REQUIRE(SendJson(app, "PATCH", "/api/videos/" + video, {{"comments_enabled", true}}, owner.Bearer()).status == 200);
  list = GetJson(app, "/api/videos/" + video + "/comments");
  REQUIRE(list["comments"].size() == 1);
  CHECK(list["comments"][0]["content"] == "first!");
}

TEST_CASE("Authorisation matrix of the interaction endpoints", "[interactions]") {
  TestApp app;
  auto video_owner = MakeAccount(app, "vidowner");
  auto author = MakeSessionAccount(app, "author");
  auto other = MakeSessionAccount(app, "other");
  auto viewer = MakeSessionAccount(app, "viewer");
  auto moderator = MakeSessionAccount(app, "moderator", "moderator");
  auto admin = MakeSessionAccount(app, "admin", "admin");
  std::string video = MakeReadyVideo(app, video_owner, "Matrix");
  std::string hidden = MakeReadyVideo(app, video_owner, "Private one", "private");

  enum Who { kAnonymous, kViewer, kOther, kAuthor, kVideoOwner, kModerator, kAdmin };
  const std::vector<std::pair<Who, const TestAccount*>> people = {
      {kAnonymous, nullptr}, {kViewer, &viewer},       {kOther, &other}, {kAuthor, &author},
      {kVideoOwner, &video_owner}, {kModerator, &moderator}, {kAdmin, &admin}};
  const char* names[] = {"anonymous", "viewer", "other user", "author", "video owner", "moderator", "admin"};

  struct Case {
    std::string label;
    std::function<HttpResult(const Headers&)> call;
    std::vector<int> expected;  // by Who
  };
  // A fresh comment by `author` for each deletion/edit attempt.
  auto fresh_comment = [&] { return PostComment(app, author, video, "target")["id"].get<std::string>(); };
  auto send = [&](const std::string& method, const std::string& target, const json& body) {
    return [&app, method, target, body](const Headers& headers) {
      Headers h = headers;
      h.emplace_back("Content-Type", "application/json");
      return app.Send(method, target, body.dump(), h);
    };
  };
  std::string channel = video_owner.id;
  std::vector<Case> cases = {
      {"list comments", send("GET", "/api/videos/" + video + "/comments", json::object()), {200, 200, 200, 200, 200, 200, 200}},
      {"comment", send("POST", "/api/videos/" + video + "/comments", {{"content", "hi"}}), {401, 201, 201, 201, 201, 201, 201}},
      {"like", send("POST", "/api/videos/" + video + "/like", json::object()), {401, 200, 200, 200, 200, 200, 200}},
      {"dislike", send("POST", "/api/videos/" + video + "/dislike", json::object()), {401, 200, 200, 200, 200, 200, 200}},
      {"remove rating", send("DELETE", "/api/videos/" + video + "/rating", json::object()), {401, 200, 200, 200, 200, 200, 200}},
      {"view", send("POST", "/api/videos/" + video + "/views", json::object()), {200, 200, 200, 200, 200, 200, 200}},
      {"subscribe", send("POST", "/api/users/" + channel + "/subscribe", json::object()), {401, 200, 200, 200, 400, 200, 200}},
      {"unsubscribe", send("DELETE", "/api/users/" + channel + "/subscribe", json::object()), {401, 200, 200, 200, 400, 200, 200}},
      {"subscription state", send("GET", "/api/users/" + channel + "/subscription", json::object()), {200, 200, 200, 200, 200, 200, 200}},
      {"my subscriptions", send("GET", "/api/me/subscriptions", json::object()), {401, 200, 200, 200, 200, 200, 200}},
      {"feed", send("GET", "/api/feed/subscriptions", json::object()), {401, 200, 200, 200, 200, 200, 200}},
      {"notifications", send("GET", "/api/me/notifications", json::object()), {401, 200, 200, 200, 200, 200, 200}},
      {"unread count", send("GET", "/api/me/notifications/unread-count", json::object()), {401, 200, 200, 200, 200, 200, 200}},
      {"mark read", send("POST", "/api/me/notifications/read", {{"all", true}}), {401, 200, 200, 200, 200, 200, 200}},
      // A private video: only its owner and admins see it (and so may interact).
      {"private: comments", send("GET", "/api/videos/" + hidden + "/comments", json::object()), {404, 404, 404, 404, 200, 404, 200}},
      {"private: like", send("POST", "/api/videos/" + hidden + "/like", json::object()), {401, 404, 404, 404, 200, 404, 200}},
      {"private: view", send("POST", "/api/videos/" + hidden + "/views", json::object()), {404, 404, 404, 404, 200, 404, 200}},
  };
  for (const auto& c : cases) {
    for (const auto& [who, account] : people) {
      INFO(c.label << " as " << names[who]);
      auto result = c.call(account ? account->Bearer() : Headers{});
      INFO(result.body);
      CHECK(result.status == c.expected[who]);
      if (result.status >= 400) CHECK(result.Json()["error"]["code"].is_string());
    }
  }
  // Editing and deleting a comment, each on a fresh comment by `author`.
  const std::vector<int> edit_expected = {401, 403, 403, 200, 403, 403, 403};
  const std::vector<int> delete_expected = {401, 403, 403, 204, 204, 204, 204};
  for (const auto& [who, account] : people) {
    INFO("edit/delete as " << names[who]);
    std::string id = fresh_comment();
    Headers headers = account ? account->Bearer() : Headers{};
    headers.emplace_back("Content-Type", "application/json");
    CHECK(app.Send("PATCH", "/api/comments/" + id, json{{"content", "changed"}}.dump(), headers).status ==
          edit_expected[who]);
    CHECK(app.Send("DELETE", "/api/comments/" + id, "", headers).status == delete_expected[who]);
  }
  // Cookie sessions need the CSRF token for every interaction write.
  RequireApiError(SendJson(app, "POST", "/api/videos/" + video + "/like", json::object(), viewer.CookieWithoutCsrf()), 403,
                  "csrf_failed");
  CHECK(SendJson(app, "POST", "/api/videos/" + video + "/like", json::object(), viewer.Cookie()).status == 200);
}

TEST_CASE("200 users rating one video at once leave exact counts", "[interactions]") {
  TestApp app;
  auto owner = MakeAccount(app, "popular");
  std::string video = MakeReadyVideo(app, owner, "Rate me");
  constexpr int kUsers = 200;
  std::vector<TestAccount> users;
  for (int i = 0; i < kUsers; ++i) users.push_back(MakeSessionAccount(app, "rater" + std::to_string(i)));

  // Each user does a short random sequence; the final state of each is the truth.
  std::mt19937 random(12345);
  std::vector<std::vector<std::string>> plans(kUsers);
  const std::vector<std::string> actions = {"like", "dislike", "rating"};
  for (auto& plan : plans) {
    int steps = 1 + static_cast<int>(random() % 3);
    for (int s = 0; s < steps; ++s) plan.push_back(actions[random() % actions.size()]);
  }
  // Catch's assertions are not thread-safe: threads collect what went wrong.
  std::mutex mutex;
  std::vector<std::string> failures;
  auto report = [&](std::string what) {
    std::lock_guard lock(mutex);
    failures.push_back(std::move(what));
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < kUsers; ++i) {
    threads.emplace_back([&, i] {
      for (const auto& action : plans[i]) {
        std::string method = action == "rating" ? "DELETE" : "POST";
        auto result = app.Send(method, "/api/videos/" + video + "/" + action, "", users[i].Bearer());
        if (result.status != 200) report(method + " " + action + ": " + std::to_string(result.status) + " " + result.body);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (const auto& failure : failures) UNSCOPED_INFO(failure);
  CHECK(failures.empty());
  int likes = 0, dislikes = 0;
  for (const auto& plan : plans) {
    if (plan.back() == "like") ++likes;
    if (plan.back() == "dislike") ++dislikes;
  }
  json shown = GetVideo(app, video);
  CHECK(shown["likes"] == likes);
  CHECK(shown["dislikes"] == dislikes);
  CHECK(CountRows(app, "SELECT COUNT(*) FROM ratings WHERE value = 1") == likes);
  CHECK(CountRows(app, "SELECT COUNT(*) FROM ratings WHERE value = -1") == dislikes);
  // Each user sees their own rating.
  for (int i = 0; i < 5; ++i) {
    json mine = GetVideo(app, video, users[i].Bearer());
    if (plans[i].back() == "rating") CHECK(mine["my_rating"].is_null());
    else CHECK(mine["my_rating"] == plans[i].back());
  }
  CHECK(GetVideo(app, video)["my_rating"].is_null());  // anonymous: absent
}

TEST_CASE("Ratings change, repeat and go away like a person expects", "[interactions]") {
  TestApp app;
  auto owner = MakeAccount(app, "rated");
  auto fan = MakeSessionAccount(app, "fan");
  std::string video = MakeReadyVideo(app, owner, "Rated");
  auto rate = [&](const std::string& method, const std::string& what) {
    auto result = app.Send(method, "/api/videos/" + video + "/" + what, "", fan.Bearer());
    INFO(result.body);
    REQUIRE(result.status == 200);
    return result.Json();
  };
  json r = rate("POST", "like");
  CHECK(r == json{{"rating", "like"}, {"likes", 1}, {"dislikes", 0}});
  r = rate("POST", "like");  // twice is still one like
  CHECK(r == json{{"rating", "like"}, {"likes", 1}, {"dislikes", 0}});
  r = rate("POST", "dislike");
  CHECK(r == json{{"rating", "dislike"}, {"likes", 0}, {"dislikes", 1}});
  r = rate("DELETE", "rating");
  CHECK(r == json{{"rating", nullptr}, {"likes", 0}, {"dislikes", 0}});
  r = rate("DELETE", "rating");  // nothing to remove: still fine
  CHECK(r["likes"] == 0);
  RequireApiError(app.Send("POST", "/api/videos/AAAAAAAAAAA/like", "", fan.Bearer()), 404, "video_not_found");
}

TEST_CASE("200 users subscribing at once leave an exact subscriber count", "[interactions]") {
  TestApp app;
  auto creator = MakeAccount(app, "famous");
  constexpr int kUsers = 200;
  std::vector<TestAccount> users;
  for (int i = 0; i < kUsers; ++i) users.push_back(MakeSessionAccount(app, "follower" + std::to_string(i)));
  // Everyone subscribes; every third then unsubscribes; every fifth subscribes twice.
  // Catch's assertions are not thread-safe: threads collect what went wrong.
  std::mutex mutex;
  std::vector<std::string> failures;
  auto report = [&](std::string what) {
    std::lock_guard lock(mutex);
    failures.push_back(std::move(what));
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < kUsers; ++i) {
    threads.emplace_back([&, i] {
      auto subscribe = [&](const std::string& method) {
        auto result = app.Send(method, "/api/users/" + creator.id + "/subscribe", "", users[i].Bearer());
        if (result.status != 200) report(method + ": " + std::to_string(result.status) + " " + result.body);
      };
      subscribe("POST");
      if (i % 5 == 0) subscribe("POST");
      if (i % 3 == 0) subscribe("DELETE");
    });
  }
  for (auto& thread : threads) thread.join();
  for (const auto& failure : failures) UNSCOPED_INFO(failure);
  CHECK(failures.empty());
  int expected = 0;
  for (int i = 0; i < kUsers; ++i) expected += i % 3 != 0;
  CHECK(GetJson(app, "/api/users/" + creator.id)["user"]["subscriber_count"] == expected);
  CHECK(GetJson(app, "/api/users/" + creator.id + "/subscription")["subscriber_count"] == expected);
  CHECK(CountRows(app, "SELECT COUNT(*) FROM subscriptions") == expected);
  CHECK(GetJson(app, "/api/users/" + creator.id + "/subscription", users[1].Bearer())["subscribed"] == true);
  CHECK(GetJson(app, "/api/users/" + creator.id + "/subscription", users[3].Bearer())["subscribed"] == false);

  RequireApiError(app.Send("POST", "/api/users/" + creator.id + "/subscribe", "", creator.Bearer()), 400,
                  "cannot_subscribe_to_self");
  RequireApiError(app.Send("POST", "/api/users/AAAAAAAAAAA/subscribe", "", users[0].Bearer()), 404, "user_not_found");
  // The older spelling of unsubscribing works too.
  auto gone = app.Send("DELETE", "/api/users/" + creator.id + "/unsubscribe", "", users[1].Bearer());
  REQUIRE(gone.status == 200);
  CHECK(gone.Json() == json{{"subscribed", false}, {"subscriber_count", expected - 1}});
}

TEST_CASE("Subscribers get new public videos in their feed and a notification, once", "[interactions]") {
  monotube::ManualClock clock;
  monotube::test::TestAppOptions options;
  options.clock = &clock;
  TestApp app(options);
  auto creator = MakeAccount(app, "uploader");
  auto other_creator = MakeSessionAccount(app, "otheruploader", "creator");
  auto fan = MakeSessionAccount(app, "subscriber");
  auto stranger = MakeSessionAccount(app, "stranger");

  // Older videos are in the feed as soon as one subscribes (newest first).
  std::string old_video = MakeReadyVideo(app, creator, "Before subscribing");
  clock.Advance(1000);
  REQUIRE(app.Send("POST", "/api/users/" + creator.id + "/subscribe", "", fan.Bearer()).status == 200);
  REQUIRE(app.Send("POST", "/api/users/" + other_creator.id + "/subscribe", "", fan.Bearer()).status == 200);
  json feed = GetJson(app, "/api/feed/subscriptions", fan.Bearer());
  REQUIRE(feed["videos"].size() == 1);
  CHECK(feed["videos"][0]["id"] == old_video);
  CHECK(GetJson(app, "/api/me/notifications/unread-count", fan.Bearer())["unread_count"] == 0);

  // A new public video: feed + notification. Private: neither, until it turns public.
  clock.Advance(1000);
  std::string fresh = MakeReadyVideo(app, creator, "Fresh upload");
  clock.Advance(1000);
  std::string secret = MakeReadyVideo(app, creator, "Draft", "private");
  clock.Advance(1000);
  std::string other = MakeReadyVideo(app, other_creator, "From the other channel");
  json notifications = GetJson(app, "/api/me/notifications", fan.Bearer());
  CHECK(notifications["unread_count"] == 2);
  REQUIRE(notifications["notifications"].size() == 2);
  CHECK(notifications["notifications"][0]["video"]["id"] == other);
  CHECK(notifications["notifications"][1]["video"]["id"] == fresh);
  CHECK(notifications["notifications"][1]["type"] == "new_video");
  CHECK(notifications["notifications"][1]["actor"]["username"] == "uploader");
  CHECK(notifications["notifications"][1]["read"] == false);
  CHECK(GetJson(app, "/api/me/notifications", stranger.Bearer())["notifications"].empty());

  clock.Advance(1000);
  REQUIRE(SendJson(app, "PATCH", "/api/videos/" + secret, {{"visibility", "public"}}, creator.Bearer()).status == 200);
  CHECK(GetJson(app, "/api/me/notifications/unread-count", fan.Bearer())["unread_count"] == 3);
  // Private again and public again: no second notification.
  REQUIRE(SendJson(app, "PATCH", "/api/videos/" + secret, {{"visibility", "private"}}, creator.Bearer()).status == 200);
  json hidden_feed = GetJson(app, "/api/feed/subscriptions", fan.Bearer());
  for (const auto& v : hidden_feed["videos"]) CHECK(v["id"] != secret);
  REQUIRE(SendJson(app, "PATCH", "/api/videos/" + secret, {{"visibility", "public"}}, creator.Bearer()).status == 200);
  CHECK(GetJson(app, "/api/me/notifications/unread-count", fan.Bearer())["unread_count"] == 3);

  // The feed in pages of 2: newest first, every video once.
  std::vector<std::string> order;
  std::string cursor;
  for (int page = 0; page < 5; ++page) {
    json list = GetJson(app, "/api/feed/subscriptions?limit=2" + (cursor.empty() ? "" : "&cursor=" + cursor),
                        fan.Bearer());
    for (const auto& v : list["videos"]) order.push_back(v["id"]);
    if (list["next_cursor"].is_null()) break;
    cursor = list["next_cursor"];
  }
  CHECK(order == std::vector<std::string>{other, secret, fresh, old_video});

  // Mark one read, then all.
  notifications = GetJson(app, "/api/me/notifications", fan.Bearer());
  std::string first = notifications["notifications"][0]["id"];
  auto marked = SendJson(app, "POST", "/api/me/notifications/read", {{"ids", {first, "not-a-real-id"}}}, fan.Bearer());
  REQUIRE(marked.status == 200);
  CHECK(marked.Json()["unread_count"] == 2);
  CHECK(GetJson(app, "/api/me/notifications", fan.Bearer())["notifications"][0]["read"] == true);
  // Someone else's ids change nothing.
  CHECK(SendJson(app, "POST", "/api/me/notifications/read", {{"ids", {notifications["notifications"][1]["id"]}}},
                 stranger.Bearer())
            .Json()["unread_count"] == 0);
  CHECK(GetJson(app, "/api/me/notifications/unread-count", fan.Bearer())["unread_count"] == 2);
  RequireApiError(SendJson(app, "POST", "/api/me/notifications/read", json::object(), fan.Bearer()), 400, "missing_field");
  RequireApiError(SendJson(app, "POST", "/api/me/notifications/read", {{"ids", "all"}}, fan.Bearer()), 400, "invalid_type");
  CHECK(SendJson(app, "POST", "/api/me/notifications/read", {{"all", true}}, fan.Bearer()).Json()["unread_count"] == 0);

  // Unsubscribing takes the channel out of the feed; the subscriptions list follows.
  json subscriptions = GetJson(app, "/api/me/subscriptions", fan.Bearer());
  REQUIRE(subscriptions["subscriptions"].size() == 2);
  CHECK(subscriptions["subscriptions"][0]["channel"]["username"] == "otheruploader");
  CHECK(subscriptions["subscriptions"][1]["channel"]["subscriber_count"] == 1);
  REQUIRE(app.Send("DELETE", "/api/users/" + other_creator.id + "/subscribe", "", fan.Bearer()).status == 200);
  feed = GetJson(app, "/api/feed/subscriptions", fan.Bearer());
  for (const auto& v : feed["videos"]) CHECK(v["owner"]["username"] == "uploader");
  CHECK(GetJson(app, "/api/me/subscriptions", fan.Bearer())["subscriptions"].size() == 1);

  // A deleted video leaves the feed and the notifications.
  REQUIRE(app.Send("DELETE", "/api/videos/" + fresh, "", creator.Bearer()).status == 204);
  for (const auto& v : GetJson(app, "/api/feed/subscriptions", fan.Bearer())["videos"]) CHECK(v["id"] != fresh);
  for (const auto& n : GetJson(app, "/api/me/notifications", fan.Bearer())["notifications"])
    CHECK(n["video"]["id"] != fresh);
}

TEST_CASE("A feed over 2000 followed channels pages correctly", "[interactions]") {
  monotube::ManualClock clock;
  monotube::test::TestAppOptions options;
  options.clock = &clock;
  TestApp app(options);
  auto fan = MakeSessionAccount(app, "bigfan");
  std::int64_t fan_id = UserIdOf(app, fan);
  constexpr int kChannels = 2000;
  // Channels and their videos straight into the database; subscriptions through the repository.
  std::vector<std::string> expected;  // newest first
  auto& subscriptions = app.app().interactions().subscriptions();
  for (int i = 0; i < kChannels; ++i) {
    auto channel = MakeSessionAccount(app, "chan" + std::to_string(i), "creator");
    clock.Advance(10);
    if (i % 4 == 0) expected.push_back(MakeReadyVideo(app, channel, "video of channel " + std::to_string(i)));
    subscriptions.Subscribe(fan_id, UserIdOf(app, channel), clock.NowMs());
  }
  std::reverse(expected.begin(), expected.end());
  std::vector<std::string> seen;
  std::string cursor;
  for (int page = 0; page < 100; ++page) {
    json list = GetJson(app, "/api/feed/subscriptions?limit=100" + (cursor.empty() ? "" : "&cursor=" + cursor),
                        fan.Bearer());
    for (const auto& v : list["videos"]) seen.push_back(v["id"]);
    if (list["next_cursor"].is_null()) break;
    cursor = list["next_cursor"];
  }
  CHECK(seen == expected);
}

TEST_CASE("Views count once per viewer per 30 minutes, watch time adds up, accounts resume", "[interactions]") {
  monotube::ManualClock clock;
  monotube::test::TestAppOptions options;
  options.clock = &clock;
  TestApp app(options);
  auto owner = MakeAccount(app, "viewed");
  auto watcher = MakeSessionAccount(app, "watcher");
  std::string video = MakeReadyVideo(app, owner, "Watch me");  // 120 s long
  auto report = [&](const json& body, const Headers& headers) {
    auto result = SendJson(app, "POST", "/api/videos/" + video + "/views", body, headers);
    INFO(result.body);
    REQUIRE(result.status == 200);
    return result;
  };

  // An account: the start counts, heartbeats add watch time, a restart within 30 minutes does not count.
  CHECK(report(json::object(), watcher.Bearer()).Json() == json{{"counted", true}, {"views", 1}});
  clock.Advance(15'000);
  CHECK(report({{"watch_time_seconds", 15}, {"position_seconds", 15}}, watcher.Bearer()).Json()["counted"] == false);
  clock.Advance(15'000);
  report({{"watch_time_seconds", 14.5}, {"position_seconds", 29.5}}, watcher.Bearer());
  clock.Advance(60'000);
  CHECK(report(json::object(), watcher.Bearer()).Json() == json{{"counted", false}, {"views", 1}});
  CHECK(GetVideo(app, video, watcher.Bearer())["resume_position"] == 29.5);
  CHECK(GetVideo(app, video)["resume_position"].is_null());
  clock.Advance(30 * 60'000);
  CHECK(report(json::object(), watcher.Bearer()).Json() == json{{"counted", true}, {"views", 2}});

  // Anonymous visitors: the first answer sets a visitor cookie; with it they are one visitor.
  auto first = report(json::object(), {{"User-Agent", "browser A"}});
  CHECK(first.Json()["counted"] == true);
  std::string cookie = first.Header("Set-Cookie");
  REQUIRE(cookie.rfind("monotube_visitor=", 0) == 0);
  CHECK(cookie.find("HttpOnly") != std::string::npos);
  std::string visitor = cookie.substr(0, cookie.find(';'));
  CHECK(report(json::object(), {{"User-Agent", "browser A"}, {"Cookie", visitor}}).Json()["counted"] == false);
  // Without the cookie the same address and browser are still the same visitor…
  CHECK(report(json::object(), {{"User-Agent", "browser A"}}).Json()["counted"] == false);
  // …and another browser is another visitor.
  CHECK(report(json::object(), {{"User-Agent", "browser B"}}).Json() == json{{"counted", true}, {"views", 4}});
  CHECK(GetVideo(app, video)["views"] == 4);

  // Watch time: capped per heartbeat (60 s) and by the video's length; stored in the events too.
  report({{"watch_time_seconds", 5000}, {"position_seconds", 5000}}, watcher.Bearer());
  CHECK(CountRows(app, "SELECT SUM(watch_time_ms) FROM view_events") == 15'000 + 14'500 + 60'000);
  CHECK(CountRows(app, "SELECT watch_time_ms FROM videos") == 15'000 + 14'500 + 60'000);
  CHECK(GetVideo(app, video, watcher.Bearer())["resume_position"] == 120);
  CHECK(CountRows(app, "SELECT COUNT(*) FROM view_events WHERE counted = 1") == 4);

  // Nonsense is refused clearly.
  RequireApiError(SendJson(app, "POST", "/api/videos/" + video + "/views", {{"watch_time_seconds", -1}}), 400,
                  "invalid_number");
  RequireApiError(SendJson(app, "POST", "/api/videos/" + video + "/views", {{"position_seconds", "ten"}}), 400,
                  "invalid_number");
  RequireApiError(app.Send("POST", "/api/videos/" + video + "/views", "[1,2]", {{"Content-Type", "application/json"}}),
                  400, "invalid_body");
  RequireApiError(SendJson(app, "POST", "/api/videos/AAAAAAAAAAA/views", json::object()), 404, "video_not_found");
}

TEST_CASE("Deleting an account takes its comments, ratings and subscriptions out of every count", "[interactions]") {
  TestApp app;
  auto creator = MakeAccount(app, "staying");
  auto leaving = MakeAccount(app, "leaving", "viewer");
  auto friend_account = MakeSessionAccount(app, "friendly");
  std::string video = MakeReadyVideo(app, creator, "Counted");
  json thread = PostComment(app, leaving, video, "my thread");
  PostComment(app, friend_account, video, "a reply in it", thread["id"]);
  json other = PostComment(app, friend_account, video, "another thread");
  PostComment(app, leaving, video, "my reply", other["id"]);
  REQUIRE(app.Send("POST", "/api/videos/" + video + "/like", "", leaving.Bearer()).status == 200);
  REQUIRE(app.Send("POST", "/api/videos/" + video + "/dislike", "", friend_account.Bearer()).status == 200);
  REQUIRE(app.Send("POST", "/api/users/" + creator.id + "/subscribe", "", leaving.Bearer()).status == 200);
  REQUIRE(app.Send("POST", "/api/videos/" + video + "/views", "", leaving.Bearer()).status == 200);

  auto exported = app.Get("/api/me/export", leaving.Bearer());
  REQUIRE(exported.status == 200);
  json data = exported.Json();
  CHECK(data["comments"].size() == 2);
  CHECK(data["ratings"][0]["rating"] == "like");
  CHECK(data["subscriptions"][0]["channel"]["username"] == "staying");
  CHECK(data["watch_history"][0]["video_id"] == video);

  REQUIRE(SendJson(app, "DELETE", "/api/me", {{"password", monotube::test::kTestPassword}}, leaving.Bearer()).status == 204);
  json shown = GetVideo(app, video);
  CHECK(shown["comment_count"] == 1);  // "another thread" stays; its reply by the leaver went
  CHECK(shown["likes"] == 0);
  CHECK(shown["dislikes"] == 1);
  CHECK(shown["views"] == 1);  // views stay, anonymous
  CHECK(GetJson(app, "/api/users/" + creator.id)["user"]["subscriber_count"] == 0);
  CHECK(GetJson(app, "/api/comments/" + other["id"].get<std::string>())["comment"]["reply_count"] == 0);
}

TEST_CASE("A finished upload notifies subscribers and lands in their feed", "[interactions][videos]") {
  TestApp app;
  auto creator = MakeAccount(app, "realcreator");
  auto fan = MakeSessionAccount(app, "realfan");
  REQUIRE(app.Send("POST", "/api/users/" + creator.id + "/subscribe", "", fan.Bearer()).status == 200);
  std::ifstream in(kMedia / "bug_video_640.mp4", std::ios::binary);
  REQUIRE(in);
  std::string file((std::istreambuf_iterator<char>(in)), {});
  std::string boundary = "----interactionsBoundary";
  std::string body = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nReal one\r\n--" +
                     boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"clip.mp4\"\r\n\r\n" +
                     file + "\r\n--" + boundary + "--\r\n";
  auto uploaded = app.Send("POST", "/api/videos", body,
                           creator.Bearer({{"Content-Type", "multipart/form-data; boundary=" + boundary}}));
  REQUIRE(uploaded.status == 201);
  std::string id = uploaded.Json()["video"]["id"];
  // Nothing while it is processing.
  CHECK(GetJson(app, "/api/me/notifications/unread-count", fan.Bearer())["unread_count"] == 0);
  auto deadline = std::chrono::steady_clock::now() + 180s;
  while (GetVideo(app, id, creator.Bearer())["status"] != "ready") {
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::sleep_for(200ms);
  }
  json notifications = GetJson(app, "/api/me/notifications", fan.Bearer());
  REQUIRE(notifications["notifications"].size() == 1);
  CHECK(notifications["notifications"][0]["video"]["id"] == id);
  CHECK(notifications["notifications"][0]["video"]["thumbnail_url"].get<std::string>().find("/media/" + id) == 0);
  CHECK(GetJson(app, "/api/feed/subscriptions", fan.Bearer())["videos"][0]["id"] == id);
}
