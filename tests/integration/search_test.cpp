// Search over HTTP against the real server: ranking, filters at their edges, what never
// appears, freshness within 2 s (also across two servers sharing one database, each with
// its own index), reindexing while serving, suggestions, and a query fuzz test.
#include <catch2/catch.hpp>

#include <atomic>
#include <filesystem>
#include <random>
#include <thread>

#include <soci/soci.h>

#include "modules/search/engine.hpp"
#include "monotube/ids.hpp"
#include "support/accounts.hpp"
#include "support/temp_dir.hpp"
#include "support/test_app.hpp"

using namespace std::chrono_literals;
using monotube::test::HttpRequest;
using monotube::test::HttpResult;
using monotube::test::MakeAccount;
using monotube::test::RequireApiError;
using monotube::test::SendJson;
using monotube::test::TestAccount;
using monotube::test::TestApp;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

constexpr std::int64_t kBase = 1'700'000'000'000;  // 2023-11-14

struct VideoSpec {
  std::string title;
  std::string description;
  std::vector<std::string> tags;
  std::string visibility = "public";
  std::string status = "ready";
  std::int64_t duration_ms = 60'000;
  std::int64_t published_ms = kBase;
  std::int64_t views = 0;

  VideoSpec& Description(std::string value) { return description = std::move(value), *this; }
  VideoSpec& Tags(std::vector<std::string> value) { return tags = std::move(value), *this; }
  VideoSpec& Visibility(std::string value) { return visibility = std::move(value), *this; }
  VideoSpec& Status(std::string value) { return status = std::move(value), *this; }
  VideoSpec& Duration(std::int64_t value) { return duration_ms = value, *this; }
  VideoSpec& Published(std::int64_t value) { return published_ms = value, *this; }
  VideoSpec& Views(std::int64_t value) { return views = value, *this; }
};

VideoSpec Video(std::string title) {
  VideoSpec spec;
  spec.title = std::move(title);
  return spec;
}

struct AddedVideo {
  std::int64_t id = 0;
  std::string public_id;
};

std::int64_t UserId(monotube::app::App& app, const TestAccount& account) {
  return app.auth().accounts().users().FindByPublicId(account.id)->id;
}

// A video row as if uploaded and processed (no media: searching needs none).
AddedVideo AddVideo(monotube::app::App& app, std::int64_t owner_id, const VideoSpec& spec) {
  AddedVideo added;
  added.public_id = monotube::NewPublicId();
  std::string tags = json(spec.tags).dump();
  long long owner = owner_id, duration = spec.duration_ms, views = spec.views, published = spec.published_ms, id = 0;
  app.database().InTransaction([&](soci::session& session) {
    session << "INSERT INTO videos (public_id, owner_id, title, description, tags, visibility, status, progress, "
               "media_prefix, duration_ms, views, created_at, updated_at, published_at) VALUES (:pid, :owner, "
               ":title, :description, :tags, :visibility, :status, 100, 'videos/x/', :duration, :views, :created, "
               ":updated, :published) RETURNING id",
        soci::use(added.public_id), soci::use(owner), soci::use(spec.title), soci::use(spec.description),
        soci::use(tags), soci::use(spec.visibility), soci::use(spec.status), soci::use(duration), soci::use(views),
        soci::use(published), soci::use(published), soci::use(published), soci::into(id);
  });
  added.id = id;
  return added;
}

void Sql(monotube::app::App& app, const std::string& sql) {
  app.database().WithSession([&](soci::session& session) { session << sql; });
}

std::string Encode(std::string_view text) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

HttpResult SearchOn(std::uint16_t port, const std::string& parameters) {
  return HttpRequest(port, "GET", "/api/search/videos?" + parameters);
}

std::vector<std::string> Titles(const json& answer) {
  std::vector<std::string> titles;
  for (const auto& video : answer["videos"]) titles.push_back(video["title"].get<std::string>());
  return titles;
}

// Polls until the search on this port answers 200 and check(answer) holds, or the deadline.
bool WaitForSearch(std::uint16_t port, const std::string& parameters, const std::function<bool(const json&)>& check,
                   std::chrono::milliseconds limit = 2000ms) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    auto result = SearchOn(port, parameters);
    if (result.status == 200 && check(result.Json())) return true;
    if (std::chrono::steady_clock::now() > deadline) {
      INFO(result.status << " " << result.body);
      return false;
    }
    std::this_thread::sleep_for(25ms);
  }
}

bool Contains(const json& answer, const std::string& title) {
  auto titles = Titles(answer);
  return std::find(titles.begin(), titles.end(), title) != titles.end();
}

// The index is built when the server starts: wait for it (and for a marker video).
void WaitUntilIndexed(TestApp& app, std::int64_t owner_id) {
  AddVideo(app.app(), owner_id, Video("Readiness marker"));
  REQUIRE(WaitForSearch(app.port(), "query=readiness", [](const json& a) { return Contains(a, "Readiness marker"); },
                        20000ms));
}

// Titles found for parameters, once the index holds everything added so far.
std::vector<std::string> Found(TestApp& app, const std::string& parameters) {
  auto result = app.Get("/api/search/videos?" + parameters);
  INFO(parameters << " -> " << result.body);
  REQUIRE(result.status == 200);
  auto titles = Titles(result.Json());
  std::sort(titles.begin(), titles.end());
  return titles;
}

}  // namespace

TEST_CASE("Search ranks a title match above a description-only match and highlights it", "[search]") {
  TestApp app;
  auto alice = MakeAccount(app, "alice");
  auto owner = UserId(app.app(), alice);
  AddVideo(app.app(), owner, Video("Holiday notes").Description("We talked about quantum physics all day."));
  AddVideo(app.app(), owner, Video("Quantum kittens").Description("Small cats, big ideas."));
  AddVideo(app.app(), owner, Video("Unrelated").Description("Nothing to see."));
  REQUIRE(WaitForSearch(app.port(), "query=quantum", [](const json& a) { return a["videos"].size() == 2; }, 20000ms));
  auto answer = app.Get("/api/search/videos?query=Quantum").Json();
  REQUIRE(answer["videos"].size() == 2);
  CHECK(answer["videos"][0]["title"] == "Quantum kittens");
  CHECK(answer["videos"][1]["title"] == "Holiday notes");
  CHECK(answer["total_estimate"] == 2);
  CHECK(answer["next_cursor"].is_null());
  // Highlights are segments, so the page never needs to parse markup.
  const auto& title = answer["videos"][0]["highlighted_title"];
  REQUIRE(title.size() == 2);
  CHECK(title[0] == json{{"text", "Quantum"}, {"highlight", true}});
  CHECK(title[1] == json{{"text", " kittens"}, {"highlight", false}});
  bool snippet_highlight = false;
  for (const auto& segment : answer["videos"][1]["snippet"])
    if (segment["highlight"] == true) snippet_highlight = segment["text"] == "quantum";
  CHECK(snippet_highlight);
  CHECK(answer["videos"][0]["owner"]["username"] == "alice");
  // Stemming: "kitten" finds "kittens"; phrases and exclusion work.
  CHECK(Found(app, "query=kitten") == std::vector<std::string>{"Quantum kittens"});
  CHECK(Found(app, "query=" + Encode("\"quantum kittens\"")) == std::vector<std::string>{"Quantum kittens"});
  CHECK(Found(app, "query=" + Encode("\"kittens quantum\"")).empty());
  CHECK(Found(app, "query=" + Encode("quantum -kittens")) == std::vector<std::string>{"Holiday notes"});
  // The channel name is searchable too.
  CHECK(Found(app, "query=alice").size() == 3);
}

TEST_CASE("Search filters by tag, upload date and duration exactly at their edges", "[search]") {
  TestApp app;
  auto owner = UserId(app.app(), MakeAccount(app, "filters"));
  const std::int64_t t = kBase + 86'400'000;
  AddVideo(app.app(), owner, Video("Edge short").Tags(std::vector<std::string>{"Cooking", "fast"}).Duration(239'999).Published(t - 1));
  AddVideo(app.app(), owner, Video("Edge medium low").Tags(std::vector<std::string>{"cooking"}).Duration(240'000).Published(t));
  AddVideo(app.app(), owner, Video("Edge medium high").Tags(std::vector<std::string>{"music video"}).Duration(1'200'000).Published(t + 1));
  AddVideo(app.app(), owner, Video("Edge long").Tags(std::vector<std::string>{"fast"}).Duration(1'200'001).Published(t + 2));
  REQUIRE(WaitForSearch(app.port(), "query=edge", [](const json& a) { return a["videos"].size() == 4; }, 20000ms));

  using V = std::vector<std::string>;
  CHECK(Found(app, "query=edge&duration=short") == V{"Edge short"});
  CHECK(Found(app, "query=edge&duration=medium") == V{"Edge medium high", "Edge medium low"});
  CHECK(Found(app, "query=edge&duration=long") == V{"Edge long"});
  CHECK(Found(app, "query=edge&min_duration=240&max_duration=1200") == V{"Edge medium high", "Edge medium low"});
  CHECK(Found(app, "query=edge&max_duration=239.999") == V{"Edge short"});
  CHECK(Found(app, "query=edge&min_duration=1200.001") == V{"Edge long"});
  CHECK(Found(app, "query=edge&filter=long") == V{"Edge long"});

  const std::string at = Encode(monotube::FormatIso8601(t));
  CHECK(Found(app, "query=edge&uploaded_after=" + at) == V{"Edge long", "Edge medium high"});
  CHECK(Found(app, "query=edge&uploaded_before=" + at) == V{"Edge short"});
  CHECK(Found(app, "query=edge&uploaded_after=" + Encode(monotube::FormatIso8601(t - 1)) +
                   "&uploaded_before=" + Encode(monotube::FormatIso8601(t + 1))) == V{"Edge medium low"});

  CHECK(Found(app, "query=edge&tags=cooking") == V{"Edge medium low", "Edge short"});
  CHECK(Found(app, "query=edge&tags=COOKING,fast") == V{"Edge short"});
  CHECK(Found(app, "query=edge&tags=" + Encode("music video")) == V{"Edge medium high"});
  CHECK(Found(app, "query=" + Encode("tag:Fast")) == V{"Edge long", "Edge short"});
  CHECK(Found(app, "query=" + Encode("edge tag:fast -short")) == V{"Edge long"});
  CHECK(Found(app, "tags=fast").size() == 2);  // filters alone browse

  // Sorts, and pages that say how to get the next one.
  auto by_date = app.Get("/api/search/videos?query=edge&sort=date&limit=3").Json();
  CHECK(Titles(by_date) == V{"Edge long", "Edge medium high", "Edge medium low"});
  CHECK(by_date["next_page"] == 2);
  REQUIRE(by_date["next_cursor"].is_string());
  auto rest = app.Get("/api/search/videos?query=edge&sort=date&limit=3&cursor=" +
                      by_date["next_cursor"].get<std::string>()).Json();
  CHECK(Titles(rest) == V{"Edge short"});
  CHECK(Titles(app.Get("/api/search/videos?query=edge&sort=date&limit=3&page=2").Json()) == V{"Edge short"});

  // Relative shorthands count back from now.
  auto recent = AddVideo(app.app(), owner, Video("Edge fresh").Published(monotube::SystemClock().NowMs() - 60'000));
  (void)recent;
  REQUIRE(WaitForSearch(app.port(), "query=edge&upload_date=last_hour",
                        [](const json& a) { return Titles(a) == V{"Edge fresh"}; }));
  CHECK(Found(app, "query=edge&filter=today,short") == V{"Edge fresh"});
}

TEST_CASE("Private, unlisted, unfinished, failed and deleted videos and suspended owners never appear",
          "[search]") {
  TestApp app;
  auto owner = UserId(app.app(), MakeAccount(app, "hider"));
  auto other = UserId(app.app(), MakeAccount(app, "suspendee"));
  AddVideo(app.app(), owner, Video("Hidden private").Visibility("private"));
  AddVideo(app.app(), owner, Video("Hidden unlisted").Visibility("unlisted"));
  AddVideo(app.app(), owner, Video("Hidden processing").Status("processing"));
  AddVideo(app.app(), owner, Video("Hidden uploading").Status("uploading"));
  AddVideo(app.app(), owner, Video("Hidden failed").Status("failed"));
  auto deleted = AddVideo(app.app(), owner, Video("Hidden deleted"));
  auto switching = AddVideo(app.app(), owner, Video("Hidden switching"));
  AddVideo(app.app(), other, Video("Hidden suspended"));
  AddVideo(app.app(), owner, Video("Hidden control"));
  REQUIRE(WaitForSearch(app.port(), "query=hidden",
                        [](const json& a) { return Contains(a, "Hidden control") && Contains(a, "Hidden suspended"); },
                        20000ms));
  CHECK(Found(app, "query=hidden") ==
        std::vector<std::string>{"Hidden control", "Hidden deleted", "Hidden suspended", "Hidden switching"});

  Sql(app.app(), "DELETE FROM videos WHERE id = " + std::to_string(deleted.id));
  Sql(app.app(), "UPDATE videos SET visibility = 'private' WHERE id = " + std::to_string(switching.id));
  Sql(app.app(), "UPDATE users SET suspended = 1 WHERE id = " + std::to_string(other));
  CHECK(WaitForSearch(app.port(), "query=hidden",
                      [](const json& a) { return Titles(a) == std::vector<std::string>{"Hidden control"}; }));
  CHECK(Found(app, "query=hidden&sort=views") == std::vector<std::string>{"Hidden control"});
  // Back in good standing: found again; a deleted owner takes their videos along.
  Sql(app.app(), "UPDATE users SET suspended = 0 WHERE id = " + std::to_string(other));
  CHECK(WaitForSearch(app.port(), "query=hidden", [](const json& a) { return Contains(a, "Hidden suspended"); }));
  Sql(app.app(), "DELETE FROM users WHERE id = " + std::to_string(other));
  CHECK(WaitForSearch(app.port(), "query=hidden", [](const json& a) { return !Contains(a, "Hidden suspended"); }));
}

TEST_CASE("An edit through the API is searchable within 2 seconds", "[search]") {
  TestApp app;
  auto account = MakeAccount(app, "editor");
  auto owner = UserId(app.app(), account);
  WaitUntilIndexed(app, owner);
  auto video = AddVideo(app.app(), owner, Video("Before the edit"));
  REQUIRE(WaitForSearch(app.port(), "query=before", [](const json& a) { return a["videos"].size() == 1; }));
  auto edited = SendJson(app, "PATCH", "/api/videos/" + video.public_id,
                         {{"title", "Zebra crossing"}, {"tags", {"stripes"}}}, account.Bearer());
  REQUIRE(edited.status == 200);
  CHECK(WaitForSearch(app.port(), "query=zebra", [](const json& a) { return Contains(a, "Zebra crossing"); }));
  CHECK(WaitForSearch(app.port(), "query=before", [](const json& a) { return a["videos"].empty(); }));
  CHECK(Found(app, "tags=stripes") == std::vector<std::string>{"Zebra crossing"});
}

TEST_CASE("Two servers sharing one database, each with its own index, see each other's edits within 2 seconds",
          "[search]") {
  TestApp first;
  auto account = MakeAccount(first, "replicated");
  auto owner = UserId(first.app(), account);
  monotube::test::TempDir second_index;
  auto config = first.config();
  config.search_dir = second_index.path();
  monotube::app::AppOptions options;
  options.handle_signals = false;
  monotube::app::App second(config, std::move(options));
  second.Start();
  WaitUntilIndexed(first, owner);
  REQUIRE(WaitForSearch(second.port(), "query=readiness", [](const json& a) { return a["videos"].size() == 1; },
                        20000ms));

  auto video = AddVideo(first.app(), owner, Video("Replica one"));
  REQUIRE(WaitForSearch(second.port(), "query=replica", [](const json& a) { return Contains(a, "Replica one"); }));
  auto edited = SendJson(first, "PATCH", "/api/videos/" + video.public_id, {{"title", "Walrus parade"}},
                         account.Bearer());
  REQUIRE(edited.status == 200);
  CHECK(WaitForSearch(second.port(), "query=walrus", [](const json& a) { return Contains(a, "Walrus parade"); }));
  // And the other way round: an edit through the second server, found on the first.
  auto again = HttpRequest(second.port(), "PATCH", "/api/videos/" + video.public_id,
                           json{{"title", "Penguin march"}}.dump(),
                           account.Bearer({{"Content-Type", "application/json"}}));
  REQUIRE(again.status == 200);
  CHECK(WaitForSearch(first.port(), "query=penguin", [](const json& a) { return Contains(a, "Penguin march"); }));
  CHECK(WaitForSearch(second.port(), "query=walrus", [](const json& a) { return a["videos"].empty(); }));
  CHECK(fs::exists(second_index.path() / "current"));
  second.Shutdown();
}

TEST_CASE("Reindexing while serving keeps answering, swaps the index, and keeps applying changes", "[search]") {
  TestApp app;
  auto owner = UserId(app.app(), MakeAccount(app, "rebuilder"));
  for (int i = 0; i < 50; ++i) AddVideo(app.app(), owner, Video("Rebuild item " + std::to_string(i)));
  REQUIRE(WaitForSearch(app.port(), "query=rebuild&limit=50", [](const json& a) { return a["videos"].size() == 50; },
                        20000ms));
  const auto before = monotube::search::CurrentIndexDir(app.data_dir() / "search");
  REQUIRE(!before.empty());

  std::atomic<bool> done{false};
  std::atomic<int> answered{0}, failed{0};
  std::thread reader([&] {
    while (!done) {
      auto result = SearchOn(app.port(), "query=rebuild&limit=50");
      if (result.status == 200 && result.Json()["videos"].size() == 50) ++answered;
      else ++failed;
    }
  });
  auto count = app.app().search().Rebuild();
  auto deadline = std::chrono::steady_clock::now() + 3s;
  while (monotube::search::CurrentIndexDir(app.data_dir() / "search") == before &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(20ms);
  std::this_thread::sleep_for(500ms);  // the indexer switches on its next poll
  done = true;
  reader.join();
  CHECK(count == 50);
  CHECK(failed == 0);
  CHECK(answered > 0);
  CHECK(monotube::search::CurrentIndexDir(app.data_dir() / "search") != before);
  CHECK(!fs::exists(before));  // the old index is removed once nothing uses it

  AddVideo(app.app(), owner, Video("After the rebuild"));
  CHECK(WaitForSearch(app.port(), "query=after", [](const json& a) { return Contains(a, "After the rebuild"); }));
}

TEST_CASE("Suggestions complete titles and tags, most popular first", "[search]") {
  TestApp app;
  auto owner = UserId(app.app(), MakeAccount(app, "suggester"));
  AddVideo(app.app(), owner, Video("Guitar lesson").Tags(std::vector<std::string>{"guitarist"}).Views(10));
  AddVideo(app.app(), owner, Video("Guitar solo").Views(1000));
  AddVideo(app.app(), owner, Video("Guitar secret").Visibility("private").Views(100000));
  AddVideo(app.app(), owner, Video("Drums").Tags(std::vector<std::string>{"guitar free"}).Views(1));
  auto suggest = [&](const std::string& text) {
    auto result = app.Get("/api/search/suggest?query=" + Encode(text));
    INFO(result.body);
    REQUIRE(result.status == 200);
    std::vector<std::string> texts;
    auto body = result.Json();
    for (const auto& s : body["suggestions"]) texts.push_back(s["text"].get<std::string>());
    return texts;
  };
  REQUIRE(WaitForSearch(app.port(), "query=guitar", [](const json& a) { return a["videos"].size() == 3; }, 20000ms));
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (suggest("gui").size() < 4 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(50ms);
  CHECK(suggest("gui") == std::vector<std::string>{"Guitar solo", "guitarist", "Guitar lesson", "guitar free"});
  CHECK(suggest("GUITAR  S") == std::vector<std::string>{"Guitar solo"});
  CHECK(suggest("zzz").empty());
  CHECK(suggest("").empty());
  auto one = app.Get("/api/search/suggest?query=gui&limit=1").Json();
  REQUIRE(one["suggestions"].size() == 1);
  CHECK(one["suggestions"][0] == json{{"text", "Guitar solo"}, {"type", "title"}});
  RequireApiError(app.Get("/api/search/suggest?query=gui&limit=0"), 400, "invalid_limit");
  RequireApiError(app.Get("/api/search/suggest?query=" + std::string(200, 'a')), 400, "query_too_long");
}

TEST_CASE("Search answers malformed parameters with a 400 that names them", "[search]") {
  TestApp app;
  auto owner = UserId(app.app(), MakeAccount(app, "strict"));
  WaitUntilIndexed(app, owner);
  RequireApiError(app.Get("/api/search/videos?query=" + std::string(300, 'a')), 400, "query_too_long");
  RequireApiError(app.Get("/api/search/videos?query=%FF%FE"), 400, "invalid_query");
  RequireApiError(app.Get("/api/search/videos?query=a%00b"), 400, "invalid_query");
  RequireApiError(app.Get("/api/search/videos?query=a&sort=best"), 400, "invalid_sort");
  RequireApiError(app.Get("/api/search/videos?query=a&limit=0"), 400, "invalid_limit");
  RequireApiError(app.Get("/api/search/videos?query=a&page=0"), 400, "invalid_page");
  RequireApiError(app.Get("/api/search/videos?query=a&page=500"), 400, "invalid_page");
  RequireApiError(app.Get("/api/search/videos?query=a&cursor=xyz"), 400, "invalid_cursor");
  RequireApiError(app.Get("/api/search/videos?query=a&uploaded_after=yesterday"), 400, "invalid_date");
  RequireApiError(app.Get("/api/search/videos?query=a&min_duration=-1"), 400, "invalid_duration");
  RequireApiError(app.Get("/api/search/videos?query=a&min_duration=20&max_duration=10"), 400, "invalid_duration");
  RequireApiError(app.Get("/api/search/videos?query=a&duration=tiny"), 400, "invalid_duration");
  RequireApiError(app.Get("/api/search/videos?query=a&upload_date=someday"), 400, "invalid_upload_date");
  RequireApiError(app.Get("/api/search/videos?query=a&filter=cheap"), 400, "invalid_filter");
  // Operators alone are taken as words, not errors.
  for (const char* odd : {"\"", "AND", "-", "*", "tag:", "((", "a OR", "\"unbalanced quote", "NOT NOT"}) {
    auto result = app.Get(std::string("/api/search/videos?query=") + Encode(odd));
    INFO(odd << " -> " << result.body);
    CHECK(result.status == 200);
  }
  // Spelling correction from indexed words.
  AddVideo(app.app(), owner, Video("Beautiful mountains"));
  REQUIRE(WaitForSearch(app.port(), "query=mountains", [](const json& a) { return a["videos"].size() == 1; }));
  auto corrected = app.Get("/api/search/videos?query=montains").Json();
  CHECK(corrected["did_you_mean"] == "mountains");
}

TEST_CASE("Query fuzz: thousands of random and hostile searches never get a 500", "[search]") {
  TestApp app;
  auto owner = UserId(app.app(), MakeAccount(app, "fuzzed"));
  for (int i = 0; i < 20; ++i)
    AddVideo(app.app(), owner, Video("Fuzz target " + std::to_string(i) + " \"quoted\" & <b>").Tags(std::vector<std::string>{"fuzz"}));
  WaitUntilIndexed(app, owner);
  std::mt19937 random(20261123);
  const std::vector<std::string> pieces = {
      "\"", "'", "-", "+", "*", "?", "~", "(", ")", "[", "]", "{", "}", ":", "tag:", "title:", "channel:", "AND",
      "OR", "NOT", "XOR", "NEAR", "NEAR/3", "ADJ", "and", "or", " ", "  ", "fuzz", "target", "quoted", "&", "<b>",
      "%", "\\", "/", "..", "*fuzz", "fuzz*", "é", "漢字", "😀", "\xff", "\xc3", "\xe2\x82", "\x01", "\x7f", "\t",
      "\n", "0", "-1", "1e999", "NaN", "tag:\"", "tag:fuzz", "\"fuzz target", "-fuzz", "--", "+-", "\"\"", "::"};
  const std::vector<std::string> names = {"query", "tags", "uploaded_after", "uploaded_before", "min_duration",
                                          "max_duration", "filter", "upload_date", "duration", "sort", "limit",
                                          "page", "cursor"};
  auto random_text = [&](std::size_t max_pieces) {
    std::string text;
    std::size_t count = std::uniform_int_distribution<std::size_t>(0, max_pieces)(random);
    for (std::size_t i = 0; i < count; ++i) {
      if (random() % 5 == 0) text += static_cast<char>(random() % 256);
      else text += pieces[random() % pieces.size()];
    }
    return text;
  };
  int statuses[600] = {};
  for (int i = 0; i < 2500; ++i) {
    std::string target;
    if (i % 10 == 9) {
      target = "/api/search/suggest?query=" + Encode(random_text(8));
      if (random() % 3 == 0) target += "&limit=" + Encode(random_text(2));
    } else {
      target = "/api/search/videos?query=" + Encode(random_text(i % 50 == 0 ? 200 : 12));
      for (int extra = static_cast<int>(random() % 3); extra > 0; --extra)
        target += "&" + names[random() % names.size()] + "=" + Encode(random_text(3));
    }
    auto result = app.Get(target);
    INFO(target << " -> " << result.status << " " << result.body);
    REQUIRE(result.status != 0);
    REQUIRE(result.status < 500);
    REQUIRE((result.status == 200 || result.status == 400));
    auto body = result.Json();
    if (result.status == 400) REQUIRE(body["error"]["code"].is_string());
    ++statuses[result.status];
  }
  CHECK(statuses[200] > 200);
  CHECK(statuses[400] > 100);
  // Huge input: refused, not searched.
  RequireApiError(app.Get("/api/search/videos?query=" + std::string(6000, 'x')), 400, "query_too_long");
}

// The index alone, without a server: filters made of bucket terms must select exactly what
// comparing values selects, and sorting bucket by bucket must give the same pages as
// reading every value, at the edges of months, years, length classes and view buckets.
TEST_CASE("Bucketed filters and sorts match the values exactly at edges and across pages", "[search]") {
  using monotube::search::IndexRow;
  using monotube::search::SearchQuery;
  using monotube::search::SearchTuning;
  using monotube::search::SortOrder;
  monotube::test::TempDir dir("monotube-buckets");
  std::mt19937_64 random(7);
  auto pick = [&](const std::vector<std::int64_t>& values) {
    return values[std::uniform_int_distribution<std::size_t>(0, values.size() - 1)(random)];
  };
  // Month and year starts of 2022-2025 (UTC) and a few odd times, each also ±1 ms.
  const std::vector<std::int64_t> starts = {1'640'995'200'000, 1'643'673'600'000, 1'672'531'200'000,
                                            1'675'209'600'000, 1'704'067'200'000, 1'706'745'600'000,
                                            1'709'251'200'000, 1'735'689'600'000, 1'700'000'000'000};
  std::vector<std::int64_t> dates;
  for (auto start : starts)
    for (std::int64_t delta : {-1, 0, 1, 86'400'000}) dates.push_back(start + delta);
  const std::vector<std::int64_t> durations = {0,       5'000,     59'999,    60'000,    239'999,
                                               240'000, 600'000,   1'200'000, 1'200'001, 3'599'999,
                                               3'600'000, 7'200'000, 9'000'000};
  const std::vector<std::int64_t> views = {0, 1, 2, 3, 4, 7, 8, 1000, 1023, 1024, 5'000'000};
  const std::vector<std::string> words = {"alpha", "beta", "gamma", "delta"};

  std::vector<IndexRow> rows;
  {
    Xapian::WritableDatabase index((dir / "index").string(), Xapian::DB_CREATE);
    Xapian::TermGenerator generator;
    generator.set_stemmer(Xapian::Stem("english"));
    generator.set_database(index);
    for (std::int64_t id = 1; id <= 1500; ++id) {
      IndexRow row;
      row.id = id;
      row.owner_id = 1;
      row.title = words[id % 4] + " " + words[(id / 4) % 4] + " clip";
      row.searchable = true;
      row.published_ms = pick(dates);
      row.duration_ms = pick(durations);
      row.views = pick(views);
      row.username = "owner";
      row.display_name = "Owner";
      index.replace_document(static_cast<Xapian::docid>(id), monotube::search::MakeDocument(row, generator));
      rows.push_back(row);
    }
    index.commit();
  }
  Xapian::Database index((dir / "index").string());
  const SearchTuning buckets{0}, scan{1'000'000};

  auto ids = [&](const SearchQuery& query, const SearchTuning& tuning) {
    std::vector<std::int64_t> found;
    for (const auto& hit : monotube::search::SearchIndex(index, query, tuning).hits) found.push_back(hit.video_id);
    return found;
  };

  SECTION("range filters select exactly the values in range") {
    std::vector<std::int64_t> date_edges = dates, duration_edges = durations;
    for (int round = 0; round < 150; ++round) {
      SearchQuery query;
      query.limit = 2000;
      const int kind = round % 3;
      if (kind != 1) {
        if (random() % 3 != 0) query.published_after_ms = pick(date_edges) + static_cast<std::int64_t>(random() % 3) - 1;
        if (random() % 3 != 0) query.published_before_ms = pick(date_edges) + static_cast<std::int64_t>(random() % 3) - 1;
      }
      if (kind != 0) {
        if (random() % 3 != 0) query.min_duration_ms = pick(duration_edges) + static_cast<std::int64_t>(random() % 3) - 1;
        if (random() % 3 != 0) query.max_duration_ms = pick(duration_edges) + static_cast<std::int64_t>(random() % 3) - 1;
      }
      std::vector<std::int64_t> expected;
      for (const auto& row : rows) {
        if (query.published_after_ms && row.published_ms <= *query.published_after_ms) continue;
        if (query.published_before_ms && row.published_ms >= *query.published_before_ms) continue;
        if (query.min_duration_ms && row.duration_ms < *query.min_duration_ms) continue;
        if (query.max_duration_ms && row.duration_ms > *query.max_duration_ms) continue;
        expected.push_back(row.id);
      }
      auto found = ids(query, scan);
      std::sort(found.begin(), found.end());
      INFO("after " << query.published_after_ms.value_or(-1) << " before " << query.published_before_ms.value_or(-1)
                    << " min " << query.min_duration_ms.value_or(-1) << " max " << query.max_duration_ms.value_or(-1));
      CHECK(found == expected);
    }
  }

  SECTION("sorting bucket by bucket gives the pages that reading every value gives") {
    for (auto sort : {SortOrder::kDate, SortOrder::kViews}) {
      for (const std::string text : {"", "alpha", "beta gamma", "clip -delta"}) {
        for (int offset : {0, 7, 20, 100, 390, 1490}) {
          SearchQuery query;
          query.text = text;
          query.sort = sort;
          query.offset = offset;
          query.limit = 20;
          if (offset == 100) query.min_duration_ms = 240'000;
          INFO("sort " << static_cast<int>(sort) << " text '" << text << "' offset " << offset);
          auto plain = ids(query, scan);
          CHECK(ids(query, buckets) == plain);
          if (offset == 0 && text.empty()) CHECK(plain.size() == 20);
        }
      }
    }
    // And the order itself is by the value, newest / most viewed first.
    SearchQuery query;
    query.sort = SortOrder::kViews;
    query.limit = 2000;
    std::int64_t previous = std::numeric_limits<std::int64_t>::max();
    for (auto id : ids(query, buckets)) {
      CHECK(rows[static_cast<std::size_t>(id - 1)].views <= previous);
      previous = rows[static_cast<std::size_t>(id - 1)].views;
    }
  }
}
