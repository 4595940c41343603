#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <string>
#include <utility>
#include <vector>

#include "monotube/errors.hpp"
#include "monotube/http/conditional.hpp"
#include "monotube/http/context.hpp"
#include "monotube/http/static_files.hpp"
#include "monotube/worker_pool.hpp"
#include "support/temp_dir.hpp"

namespace fs = std::filesystem;
using namespace monotube;
using namespace monotube::http;
using Headers = std::vector<std::pair<std::string, std::string>>;

namespace {

void WriteFile(const fs::path& path, const std::string& content) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << content;
}

struct Served {
  Response response;
  std::string body;  // the body, or what the stream yielded
  bool streamed = false;

  int status() const { return static_cast<int>(response.status); }
  std::string Header(std::string_view name) const {
    auto it = response.headers.find(name);
    return it == response.headers.end() ? std::string() : std::string(it->value());
  }
};

// A static folder with one of every kind of thing the rules talk about.
class Site {
 public:
  explicit Site(StaticFilesOptions options = {}) {
    root_ = dir_.path() / "static";
    WriteFile(root_ / "index.html", "<!doctype html><title>monotube</title><main id=\"main\"></main>");
    WriteFile(root_ / "css/app.css", "body{color:red}");
    WriteFile(root_ / "js/app.js", "export const answer = 42;\n");
    WriteFile(root_ / "js/mod.mjs", "export {};\n");
    WriteFile(root_ / "img/logo.svg", "<svg xmlns='http://www.w3.org/2000/svg'/>");
    WriteFile(root_ / "img/pic.PNG", "png");
    WriteFile(root_ / "img/photo.jpg", "jpg");
    WriteFile(root_ / "img/photo.webp", "webp");
    WriteFile(root_ / "favicon.ico", "ico");
    WriteFile(root_ / "fonts/ui.woff2", "woff2");
    WriteFile(root_ / "data.json", "{}");
    WriteFile(root_ / "notes.txt", "0123456789");
    WriteFile(root_ / "site.webmanifest", "{}");
    WriteFile(root_ / "js/app.js.map", "{}");
    WriteFile(root_ / "media/master.m3u8", "#EXTM3U\n");
    WriteFile(root_ / "file.unknownext", "??");
    WriteFile(root_ / "docs/index.html", "<p>docs</p>");
    fs::create_directories(root_ / "empty-dir");
    WriteFile(root_ / ".env", "SECRET=1");
    WriteFile(root_ / ".git/config", "[core]");
    WriteFile(root_ / "sub/.hidden.js", "hidden");
    WriteFile(dir_.path() / "outside/secret.txt", "outside secret");
    fs::create_symlink("/etc/passwd", root_ / "passwd");
    fs::create_symlink("/etc", root_ / "etc");
    fs::create_symlink("../outside/secret.txt", root_ / "leak.txt");
    fs::create_symlink("../outside", root_ / "outdir");
    fs::create_symlink("css/app.css", root_ / "alias.css");
    fs::create_symlink(".env", root_ / "env.txt");
    fs::create_directories(root_ / "linked-docs");
    fs::create_symlink("../outside/secret.txt", root_ / "linked-docs/index.html");

    // Larger than the cache limit: streamed from disk.
    big_.resize(3 * 1024 * 1024);
    for (std::size_t i = 0; i < big_.size(); ++i) big_[i] = static_cast<char>('a' + (i * 7) % 26);
    WriteFile(root_ / "video.mp4", big_);

    files_ = std::make_unique<StaticFiles>(root_, options);
  }

  Served Get(const std::string& target, const Headers& headers = {}, Verb method = Verb::get,
             WorkerPool* pool = nullptr, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    return Call(false, target, headers, method, pool, timeout);
  }
  // What a UI page route answers (StaticFiles::ServeShell).
  Served Shell(const std::string& target, const Headers& headers = {}, Verb method = Verb::get) {
    return Call(true, target, headers, method, nullptr, std::chrono::seconds(10));
  }

  const fs::path& root() const { return root_; }
  const std::string& big() const { return big_; }
  StaticFiles& files() { return *files_; }

 private:
  Served Call(bool shell, const std::string& target, const Headers& headers, Verb method, WorkerPool* pool,
              std::chrono::milliseconds timeout) {
    Request request;
    request.method = method;
    request.target = target;
    std::string raw_path = target.substr(0, target.find('?'));
    // As the server does: the handler sees the decoded path next to the raw target.
    std::optional<std::string> decoded = PercentDecode(raw_path, false);
    request.path = decoded ? *decoded : raw_path;
    for (const auto& [name, value] : headers) request.headers.set(name, value);
    RequestContext context(request, "test-request", pool ? *pool : workers_);

    boost::asio::io_context io;
    std::future<Response> future = boost::asio::co_spawn(
        io, shell ? files_->ServeShell(context) : files_->Serve(context), boost::asio::use_future);
    io.run_for(timeout);
    if (future.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
      throw std::runtime_error("Serve did not finish for " + target);
    }
    Served served{future.get(), {}, false};
    if (served.response.stream) {
      served.streamed = true;
      std::vector<char> buffer(64 * 1024);
      std::uint64_t remaining = served.response.stream_length;
      while (remaining > 0) {
        std::size_t n = served.response.stream->Read(buffer.data(), std::min<std::size_t>(buffer.size(), remaining));
        if (n == 0) break;
        served.body.append(buffer.data(), n);
        remaining -= n;
      }
    } else {
      served.body = served.response.body;
    }
    return served;
  }

  test::TempDir dir_{"monotube-static-test"};
  fs::path root_;
  std::string big_;
  WorkerPool workers_{2, 64};
  std::unique_ptr<StaticFiles> files_;
};

}  // namespace

TEST_CASE("StaticFiles sends the right content type for each extension", "[static]") {
  Site site;
  std::vector<std::pair<std::string, std::string>> cases = {
      {"/index.html", "text/html; charset=utf-8"},
      {"/css/app.css", "text/css; charset=utf-8"},
      {"/js/app.js", "text/javascript; charset=utf-8"},
      {"/js/mod.mjs", "text/javascript; charset=utf-8"},
      {"/img/logo.svg", "image/svg+xml"},
      {"/img/pic.PNG", "image/png"},
      {"/img/photo.jpg", "image/jpeg"},
      {"/img/photo.webp", "image/webp"},
      {"/favicon.ico", "image/x-icon"},
      {"/fonts/ui.woff2", "font/woff2"},
      {"/data.json", "application/json"},
      {"/notes.txt", "text/plain; charset=utf-8"},
      {"/site.webmanifest", "application/manifest+json"},
      {"/js/app.js.map", "application/json"},
      {"/media/master.m3u8", "application/vnd.apple.mpegurl"},
      {"/video.mp4", "video/mp4"},
      {"/file.unknownext", "application/octet-stream"},
  };
  for (const auto& [target, type] : cases) {
    INFO(target);
    Served served = site.Get(target);
    CHECK(served.status() == 200);
    CHECK(served.Header("Content-Type") == type);
    CHECK(served.Header("X-Content-Type-Options") == "nosniff");
    CHECK(served.Header("Accept-Ranges") == "bytes");
    CHECK(served.Header("Cache-Control") == (type.starts_with("text/html") ? "no-cache" : "public, max-age=3600"));
  }
  CHECK(site.Get("/css/app.css").body == "body{color:red}");
}

TEST_CASE("StaticFiles serves index.html for the root and for folders", "[static]") {
  Site site;
  Served home = site.Get("/");
  CHECK(home.status() == 200);
  CHECK(home.body == "<!doctype html><title>monotube</title><main id=\"main\"></main>");
  CHECK(home.Header("Content-Type") == "text/html; charset=utf-8");
  CHECK(home.Header("Cache-Control") == "no-cache");
  CHECK(site.Get("/?utm=1").body == home.body);
  CHECK(site.Get("/docs/").body == "<p>docs</p>");
  CHECK(site.Get("/docs").body == "<p>docs</p>");
  CHECK(site.Get("//docs//index.html").body == "<p>docs</p>");
  CHECK(site.Get("/empty-dir/").status() == 404);
  CHECK(site.Get("/index.html/").status() == 404);
  CHECK(site.Get("/missing.css").status() == 404);
}

TEST_CASE("StaticFiles answers 304 to a matching If-None-Match", "[static]") {
  Site site;
  Served first = site.Get("/css/app.css");
  std::string etag = first.Header("ETag");
  REQUIRE(etag.size() > 2);
  CHECK(etag.front() == '"');
  CHECK(etag.back() == '"');
  CHECK(site.Get("/css/app.css").Header("ETag") == etag);

  for (std::string header : {etag, std::string("*"), "\"other\", " + etag, "W/" + etag, "\"a\",\"b\" ,  " + etag}) {
    INFO(header);
    Served served = site.Get("/css/app.css", {{"If-None-Match", header}});
    CHECK(served.status() == 304);
    CHECK(served.body.empty());
    CHECK(served.Header("ETag") == etag);
    CHECK(served.Header("Cache-Control") == "public, max-age=3600");
  }
  CHECK(site.Get("/css/app.css", {{"If-None-Match", "\"nope\""}}).status() == 200);
  // If-None-Match takes precedence over If-Modified-Since.
  CHECK(site.Get("/css/app.css", {{"If-None-Match", "\"nope\""}, {"If-Modified-Since", first.Header("Last-Modified")}})
            .status() == 200);
}

TEST_CASE("StaticFiles answers 304 to If-Modified-Since at or after Last-Modified", "[static]") {
  Site site;
  Served first = site.Get("/notes.txt");
  std::string last_modified = first.Header("Last-Modified");
  REQUIRE(last_modified.ends_with(" GMT"));
  std::optional<std::int64_t> modified = ParseHttpDate(last_modified);
  REQUIRE(modified);

  CHECK(site.Get("/notes.txt", {{"If-Modified-Since", last_modified}}).status() == 304);
  CHECK(site.Get("/notes.txt", {{"If-Modified-Since", FormatHttpDate(*modified + 60)}}).status() == 304);
  CHECK(site.Get("/notes.txt", {{"If-Modified-Since", FormatHttpDate(*modified - 1)}}).status() == 200);
  CHECK(site.Get("/notes.txt", {{"If-Modified-Since", "not a date"}}).status() == 200);
}

TEST_CASE("StaticFiles serves single byte ranges", "[static]") {
  Site site;
  auto range = [&](const std::string& value, Headers extra = {}) {
    extra.emplace_back("Range", value);
    return site.Get("/notes.txt", extra);
  };
  Served start = range("bytes=0-3");
  CHECK(start.status() == 206);
  CHECK(start.body == "0123");
  CHECK(start.Header("Content-Range") == "bytes 0-3/10");
  CHECK(start.Header("Content-Type") == "text/plain; charset=utf-8");

  Served middle = range("bytes=4-6");
  CHECK(middle.body == "456");
  CHECK(middle.Header("Content-Range") == "bytes 4-6/10");

  Served open_ended = range("bytes=7-");
  CHECK(open_ended.body == "789");
  CHECK(open_ended.Header("Content-Range") == "bytes 7-9/10");

  Served suffix = range("bytes=-3");
  CHECK(suffix.status() == 206);
  CHECK(suffix.body == "789");
  CHECK(suffix.Header("Content-Range") == "bytes 7-9/10");

  Served clamped = range("bytes=8-1000");
  CHECK(clamped.body == "89");
  CHECK(clamped.Header("Content-Range") == "bytes 8-9/10");

  Served past_end = range("bytes=10-");
  CHECK(past_end.status() == 416);
  CHECK(past_end.Header("Content-Range") == "bytes */10");
  CHECK(range("bytes=-0").status() == 416);

  Served several = range("bytes=0-1,4-5");
  CHECK(several.status() == 200);
  CHECK(several.body == "0123456789");
  CHECK(several.Header("Content-Range").empty());

  CHECK(range("bytes=abc").status() == 200);
  CHECK(range("bytes=5-2").status() == 200);
  CHECK(range("items=0-1").status() == 200);

  std::string etag = site.Get("/notes.txt").Header("ETag");
  std::string last_modified = site.Get("/notes.txt").Header("Last-Modified");
  CHECK(range("bytes=0-1", {{"If-Range", etag}}).status() == 206);
  CHECK(range("bytes=0-1", {{"If-Range", last_modified}}).status() == 206);
  Served stale = range("bytes=0-1", {{"If-Range", "\"older-version\""}});
  CHECK(stale.status() == 200);
  CHECK(stale.body == "0123456789");
  CHECK(range("bytes=0-1", {{"If-Range", "W/" + etag}}).status() == 200);
  CHECK(range("bytes=0-1", {{"If-Range", "Sun, 06 Nov 1994 08:49:37 GMT"}}).status() == 200);
}

TEST_CASE("StaticFiles streams large files from disk, ranges included", "[static]") {
  Site site;
  Served whole = site.Get("/video.mp4");
  CHECK(whole.status() == 200);
  CHECK(whole.streamed);
  CHECK(whole.response.stream_length == site.big().size());
  CHECK(whole.body == site.big());

  Served part = site.Get("/video.mp4", {{"Range", "bytes=1000000-1000099"}});
  CHECK(part.status() == 206);
  CHECK(part.streamed);
  CHECK(part.response.stream_length == 100);
  CHECK(part.body == site.big().substr(1000000, 100));
  CHECK(part.Header("Content-Range") == "bytes 1000000-1000099/" + std::to_string(site.big().size()));
}

TEST_CASE("StaticFiles answers HEAD with the GET headers and no body", "[static]") {
  Site site;
  for (std::string target : {"/css/app.css", "/video.mp4", "/"}) {
    INFO(target);
    Served get = site.Get(target);
    Served head = site.Get(target, {}, Verb::head);
    CHECK(head.status() == 200);
    CHECK(head.response.body.empty());
    CHECK(head.body.empty());
    CHECK(head.response.stream_length == get.body.size());
    for (auto name : {"Content-Type", "ETag", "Last-Modified", "Cache-Control", "Accept-Ranges"}) {
      CHECK(head.Header(name) == get.Header(name));
    }
  }
  Served ranged = site.Get("/notes.txt", {{"Range", "bytes=2-4"}}, Verb::head);
  CHECK(ranged.status() == 206);
  CHECK(ranged.response.stream_length == 3);
  CHECK(ranged.body.empty());

  CHECK(site.Get("/css/app.css", {}, Verb::post).status() == 405);
}

TEST_CASE("StaticFiles refuses every way out of its folder", "[static]") {
  Site site;
  // Malformed: 400 invalid_path.
  for (std::string target :
       {"/../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/%2E%2E/etc/passwd", "/..%2fetc%2fpasswd", "/css%2fapp.css",
        "/css%2Fapp.css", "/a\\b", "/%5c..%5cetc%5cpasswd", "/index.html%00.css", "/%00", "/%0aindex.html",
        "/./index.html", "/css/../index.html", "/docs/..", "/%2e/index.html", "/ind\x01" "ex.html"}) {
    INFO(target);
    Served served = site.Get(target);
    CHECK(served.status() == 400);
    CHECK(served.Header("Content-Type") == "application/json");
    CHECK(served.body.find("\"invalid_path\"") != std::string::npos);
  }
  // Symlinks out of the folder and hidden files: as if they did not exist.
  for (std::string target : {"/passwd", "/etc/passwd", "/leak.txt", "/outdir/secret.txt", "/env.txt", "/.env",
                             "/.git/config", "/sub/.hidden.js", "/%2eenv", "/linked-docs/", "/linked-docs"}) {
    INFO(target);
    Served served = site.Get(target);
    CHECK(served.status() == 404);
    CHECK(served.body.find("root:") == std::string::npos);
    CHECK(served.body.find("secret") == std::string::npos);
  }
  // A symlink that stays inside the folder is fine.
  CHECK(site.Get("/alias.css").body == "body{color:red}");
}

TEST_CASE("StaticFiles answers 404 with the UI shell for browsers and JSON otherwise", "[static]") {
  Site site;
  Served browser = site.Get("/no-such-page", {{"Accept", "text/html,application/xhtml+xml,*/*;q=0.8"}});
  CHECK(browser.status() == 404);
  CHECK(browser.Header("Content-Type") == "text/html; charset=utf-8");
  CHECK(browser.body.find("<main id=\"main\">") != std::string::npos);
  CHECK(browser.Header("Vary") == "Accept");

  Served api = site.Get("/no-such-page", {{"Accept", "application/json"}});
  CHECK(api.status() == 404);
  CHECK(api.Header("Content-Type") == "application/json");
  CHECK(api.body.find("\"not_found\"") != std::string::npos);
  CHECK(site.Get("/no-such-page").Header("Content-Type") == "application/json");

  Served head = site.Get("/no-such-page", {{"Accept", "text/html"}}, Verb::head);
  CHECK(head.status() == 404);
  CHECK(head.body.empty());
  CHECK(head.response.stream_length == browser.body.size());

  Site without_shell;
  fs::remove(without_shell.root() / "index.html");
  Served fallback = without_shell.Get("/nope", {{"Accept", "text/html"}});
  CHECK(fallback.status() == 404);
  CHECK(fallback.Header("Content-Type") == "application/json");
}

TEST_CASE("StaticFiles serves the UI shell for page routes, with validators", "[static]") {
  Site site;
  Served page = site.Shell("/watch/abc123?t=10");
  CHECK(page.status() == 200);
  CHECK(page.Header("Content-Type") == "text/html; charset=utf-8");
  CHECK(page.body == site.Get("/").body);
  CHECK(page.Header("Cache-Control") == "no-cache");
  REQUIRE_FALSE(page.Header("ETag").empty());
  CHECK(site.Shell("/watch/abc123", {{"If-None-Match", page.Header("ETag")}}).status() == 304);
  Served head = site.Shell("/watch/abc123", {}, Verb::head);
  CHECK(head.status() == 200);
  CHECK(head.body.empty());

  Site without_shell;
  fs::remove(without_shell.root() / "index.html");
  Served missing = without_shell.Shell("/watch/abc123");
  CHECK(missing.status() == 500);
  CHECK(missing.body.find("ui_missing") != std::string::npos);
  CHECK(missing.body.find(without_shell.root().string()) == std::string::npos);
}

TEST_CASE("StaticFiles answers hot files from memory without a worker hop", "[static]") {
  Site site;
  CHECK(site.Get("/css/app.css").status() == 200);
  CHECK(site.files().cached_bytes() > 0);

  // A pool that runs nothing: a request that needed the disk would never finish.
  WorkerPool stopped(1, 8);
  stopped.Stop();
  Served hot = site.Get("/css/app.css", {}, Verb::get, &stopped, std::chrono::milliseconds(500));
  CHECK(hot.status() == 200);
  CHECK(hot.body == "body{color:red}");
}

TEST_CASE("StaticFiles notices changed files and keeps its cache bounded", "[static]") {
  StaticFilesOptions options;
  options.revalidate_after = std::chrono::milliseconds(0);
  options.cache_bytes = 2048;
  Site site(options);
  std::string before = site.Get("/css/app.css").Header("ETag");
  WriteFile(site.root() / "css/app.css", "body{color:blue;background:white}");
  Served after = site.Get("/css/app.css");
  CHECK(after.body == "body{color:blue;background:white}");
  CHECK(after.Header("ETag") != before);

  fs::remove(site.root() / "css/app.css");
  CHECK(site.Get("/css/app.css").status() == 404);

  WriteFile(site.root() / "css/big.css", std::string(1500, 'x'));
  for (std::string target : {"/css/big.css", "/js/app.js", "/notes.txt", "/index.html", "/data.json"}) {
    CHECK(site.Get(target).status() == 200);
    CHECK(site.files().cached_bytes() <= options.cache_bytes);
  }
}

TEST_CASE("StaticFiles needs an existing folder", "[static]") {
  CHECK_THROWS_AS(StaticFiles("/definitely/not/here"), ConfigError);
  CHECK_THROWS_WITH(StaticFiles("/etc/passwd"), Catch::Contains("static_dir"));
}

TEST_CASE("HTTP dates and Range headers parse as RFC 9110 describes", "[static]") {
  CHECK(FormatHttpDate(784111777) == "Sun, 06 Nov 1994 08:49:37 GMT");
  CHECK(ParseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT") == std::optional<std::int64_t>(784111777));
  CHECK(ParseHttpDate("Sunday, 06-Nov-94 08:49:37 GMT") == std::optional<std::int64_t>(784111777));
  CHECK(ParseHttpDate("Sun Nov  6 08:49:37 1994") == std::optional<std::int64_t>(784111777));
  CHECK_FALSE(ParseHttpDate("Sun, 06 Nov 1994 08:49:37 PST"));
  CHECK_FALSE(ParseHttpDate("yesterday"));
  CHECK_FALSE(ParseHttpDate(""));

  RangeHeader single = ParseRangeHeader("bytes=5-9");
  CHECK(single.kind == RangeHeader::Kind::kSingle);
  CHECK(single.range.first == 5);
  CHECK(single.range.last == std::optional<std::uint64_t>(9));
  CHECK(ParseRangeHeader("bytes=-20").range.suffix_length == std::optional<std::uint64_t>(20));
  CHECK(ParseRangeHeader("Bytes=1-").range.first == 1);
  CHECK(ParseRangeHeader("bytes=0-99999999999999999999999").kind == RangeHeader::Kind::kSingle);
  CHECK(ParseRangeHeader("bytes=1-2, 4-5").kind == RangeHeader::Kind::kMultiple);
  CHECK(ParseRangeHeader("bytes=").kind == RangeHeader::Kind::kNone);
  CHECK(ParseRangeHeader("bytes=1").kind == RangeHeader::Kind::kNone);
  CHECK(ParseRangeHeader("bytes=-").kind == RangeHeader::Kind::kNone);
  CHECK(ParseRangeHeader("bytes=x-1").kind == RangeHeader::Kind::kNone);
  CHECK(ParseRangeHeader("lines=1-2").kind == RangeHeader::Kind::kNone);

  CHECK(IfNoneMatchHits("\"a\", W/\"b\"", "\"b\""));
  CHECK_FALSE(IfNoneMatchHits("\"a\"", "\"b\""));
  CHECK(IfRangeAllows("\"b\"", "\"b\"", 0));
  CHECK_FALSE(IfRangeAllows("W/\"b\"", "\"b\"", 0));
}
