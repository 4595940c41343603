// Videos over HTTP against the real server with real FFmpeg: multipart and tus uploads,
// probing and failures, the HLS ladder read by ffprobe, media access rules (signed
// links), metadata edits, deletion (also during a transcode), listings and limits.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <thread>

#include "monotube/process.hpp"
#include "support/accounts.hpp"
#include "support/temp_dir.hpp"
#include "support/test_app.hpp"

using namespace std::chrono_literals;
using monotube::test::Headers;
using monotube::test::HttpResult;
using monotube::test::MakeAccount;
using monotube::test::RequireApiError;
using monotube::test::SendJson;
using monotube::test::TestAccount;
using monotube::test::TestApp;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

const fs::path kMedia = fs::path(MONOTUBE_SOURCE_DIR) / ".." / "shared" / "media";

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

struct FormField {
  std::string name;
  std::string value;
  std::string filename;  // "" = a plain field
};

constexpr const char* kBoundary = "----monotubeTestBoundary7MA4YWxk";

std::string MultipartBody(const std::vector<FormField>& fields) {
  std::string body;
  for (const auto& field : fields) {
    body += std::string("--") + kBoundary + "\r\n";
    body += "Content-Disposition: form-data; name=\"" + field.name + "\"";
    if (!field.filename.empty()) body += "; filename=\"" + field.filename + "\"\r\nContent-Type: application/octet-stream";
    body += "\r\n\r\n" + field.value + "\r\n";
  }
  body += std::string("--") + kBoundary + "--\r\n";
  return body;
}

HttpResult UploadMultipart(TestApp& app, const TestAccount& account, const std::vector<FormField>& fields) {
  return app.Send("POST", "/api/videos", MultipartBody(fields),
                  account.Bearer({{"Content-Type", std::string("multipart/form-data; boundary=") + kBoundary}}));
}

json UploadFile(TestApp& app, const TestAccount& account, const std::string& file, const std::string& title = "",
                const std::string& visibility = "public") {
  std::vector<FormField> fields;
  if (!title.empty()) fields.push_back({"title", title, ""});
  fields.push_back({"visibility", visibility, ""});
  fields.push_back({"tags", "nature, test", ""});
  fields.push_back({"file", ReadFile(kMedia / file), file});
  auto result = UploadMultipart(app, account, fields);
  INFO(result.body);
  REQUIRE(result.status == 201);
  return result.Json()["video"];
}

// Polls the video until its status is final (ready or failed).
json WaitForVideo(TestApp& app, const TestAccount& account, const std::string& id,
                  std::chrono::seconds limit = 180s) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    auto result = app.Get("/api/videos/" + id, account.Bearer());
    REQUIRE(result.status == 200);
    json video = result.Json()["video"];
    std::string status = video["status"];
    if (status == "ready" || status == "failed") return video;
    if (std::chrono::steady_clock::now() > deadline) FAIL("video " << id << " still " << status);
    std::this_thread::sleep_for(200ms);
  }
}

std::vector<std::string> StoredKeys(TestApp& app, const std::string& prefix) {
  std::vector<std::string> keys;
  for (const auto& object : app.app().storage().List(prefix).objects) keys.push_back(object.key);
  return keys;
}

std::string BaseUrl(TestApp& app) { return "http://127.0.0.1:" + std::to_string(app.port()); }

monotube::ProcessResult Run(std::vector<std::string> argv, std::chrono::seconds timeout = 120s) {
  monotube::ProcessOptions options;
  options.argv = std::move(argv);
  options.timeout = timeout;
  options.max_stdout_bytes = 4 << 20;
  options.max_stderr_bytes = 1 << 20;
  return monotube::RunProcess(options);
}

// Every tus request carries this.
Headers Tus(const TestAccount& account, Headers extra = {}) {
  extra.emplace_back("Tus-Resumable", "1.0.0");
  return account.Bearer(std::move(extra));
}

std::string Base64(const std::string& text) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < text.size(); i += 3) {
    unsigned n = (static_cast<unsigned char>(text[i]) << 16) | (static_cast<unsigned char>(text[i + 1]) << 8) |
                 static_cast<unsigned char>(text[i + 2]);
    for (int shift : {18, 12, 6, 0}) out += kAlphabet[(n >> shift) & 63];
  }
  if (i < text.size()) {
    unsigned n = static_cast<unsigned char>(text[i]) << 16;
    if (i + 1 < text.size()) n |= static_cast<unsigned char>(text[i + 1]) << 8;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < text.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string TusCreate(TestApp& app, const TestAccount& account, std::size_t length, const std::string& metadata) {
  auto created = app.Send("POST", "/api/uploads", "",
                          Tus(account, {{"Upload-Length", std::to_string(length)}, {"Upload-Metadata", metadata}}));
  INFO(created.body);
  REQUIRE(created.status == 201);
  CHECK(created.Header("tus-resumable") == "1.0.0");
  std::string location = created.Header("location");
  REQUIRE(location.starts_with("/api/uploads/"));
  return location;
}

HttpResult TusPatch(TestApp& app, const TestAccount& account, const std::string& location, std::size_t offset,
                    const std::string& data) {
  return app.Send("PATCH", location, data,
                  Tus(account, {{"Upload-Offset", std::to_string(offset)},
                                {"Content-Type", "application/offset+octet-stream"}}));
}

}  // namespace

TEST_CASE("A multipart upload becomes an adaptive HLS ladder that ffprobe reads over HTTP", "[videos]") {
  TestApp app;
  auto creator = MakeAccount(app, "uploader");
  json video = UploadFile(app, creator, "flower.mp4", "Flowers in the wind");
  CHECK(video["title"] == "Flowers in the wind");
  CHECK(video["tags"] == json::array({"nature", "test"}));
  CHECK((video["status"] == "processing" || video["status"] == "ready"));
  CHECK(video["owner"]["id"] == creator.id);
  std::string id = video["id"];

  video = WaitForVideo(app, creator, id);
  INFO(video.dump());
  REQUIRE(video["status"] == "ready");
  CHECK(video["progress"] == 100);
  CHECK(video["duration"].get<double>() == Approx(5.1).margin(0.3));
  CHECK(video["width"] == 960);
  CHECK(video["height"] == 540);
  std::vector<std::string> names;
  for (const auto& r : video["renditions"]) names.push_back(r["name"]);
  CHECK(names == std::vector<std::string>{"240p", "360p", "480p"});
  CHECK(video["hls_url"] == "/media/" + id + "/master.m3u8");  // public: no signature

  // The master playlist names every rendition with BANDWIDTH, RESOLUTION and CODECS.
  auto master = app.Get("/media/" + id + "/master.m3u8");
  REQUIRE(master.status == 200);
  CHECK(master.Header("content-type") == "application/vnd.apple.mpegurl");
  CHECK(master.Header("cache-control") == "public, max-age=60");
  const std::regex variant("#EXT-X-STREAM-INF:([^\n]*)");
  int variants = 0;
  for (std::sregex_iterator it(master.body.begin(), master.body.end(), variant), end; it != end; ++it) {
    std::string attributes = (*it)[1];
    CHECK(attributes.find("BANDWIDTH=") != std::string::npos);
    CHECK(attributes.find("RESOLUTION=") != std::string::npos);
    CHECK(attributes.find("CODECS=\"avc1.") != std::string::npos);
    ++variants;
  }
  CHECK(variants == 3);

  // A variant playlist: fMP4 (EXT-X-MAP), ~4 s segments; segments are immutable and ranged.
  auto playlist = app.Get("/media/" + id + "/480p/index.m3u8");
  REQUIRE(playlist.status == 200);
  CHECK(playlist.body.find("#EXT-X-MAP:URI=\"init.mp4\"") != std::string::npos);
  CHECK(playlist.body.find("#EXT-X-TARGETDURATION:4") != std::string::npos);
  auto segment = app.Get("/media/" + id + "/480p/seg-00001.m4s");
  REQUIRE(segment.status == 200);
  CHECK(segment.Header("content-type") == "video/iso.segment");
  CHECK(segment.Header("cache-control") == "public, max-age=31536000, immutable");
  std::string etag = segment.Header("etag");
  REQUIRE(!etag.empty());
  auto again = app.Get("/media/" + id + "/480p/seg-00001.m4s", {{"If-None-Match", etag}});
  CHECK(again.status == 304);
  auto part = app.Get("/media/" + id + "/480p/seg-00001.m4s", {{"Range", "bytes=100-199"}});
  CHECK(part.status == 206);
  CHECK(part.body == segment.body.substr(100, 100));
  CHECK(part.Header("content-range") == "bytes 100-199/" + std::to_string(segment.body.size()));
  auto beyond = app.Get("/media/" + id + "/480p/seg-00001.m4s", {{"Range", "bytes=99999999-"}});
  CHECK(beyond.status == 416);
  CHECK(app.Get("/media/" + id + "/thumbnail.jpg").Header("content-type") == "image/jpeg");
  auto previews = app.Get("/media/" + id + "/previews.vtt");
  CHECK(previews.status == 200);
  CHECK(previews.body.starts_with("WEBVTT"));
  CHECK(app.Get("/media/" + id + "/original").status == 404);  // the original is never media
  CHECK(app.Get("/media/" + id + "/../x.m3u8").status == 404);
  CHECK(app.Get("/media/" + id + "/720p/index.m3u8").status == 404);

  // A real client: ffprobe over HTTP sees every rendition, and each one decodes.
  std::string url = BaseUrl(app) + "/media/" + id + "/master.m3u8";
  auto probe = Run({"ffprobe", "-v", "error", "-show_entries", "stream=codec_type,width,height", "-of", "json", url});
  REQUIRE(probe.ok());
  json streams = json::parse(probe.stdout_text)["streams"];
  std::set<int> heights;
  int audio = 0;
  for (const auto& stream : streams) {
    if (stream["codec_type"] == "video") heights.insert(stream["height"].get<int>());
    if (stream["codec_type"] == "audio") ++audio;
  }
  CHECK(heights == std::set<int>{240, 360, 480});
  CHECK(audio >= 1);
  for (const std::string rendition : {"240p", "360p", "480p"}) {
    auto decoded = Run({"ffmpeg", "-v", "error", "-nostdin", "-i",
                        BaseUrl(app) + "/media/" + id + "/" + rendition + "/index.m3u8", "-f", "null", "-"});
    INFO(rendition << ": " << decoded.stderr_text);
    CHECK(decoded.ok());
    CHECK(decoded.stderr_text.empty());
  }

  // Only the original and one published folder are stored; no scratch files remain.
  std::set<std::string> folders;
  for (const auto& key : StoredKeys(app, "videos/" + id + "/")) {
    std::string rest = key.substr(("videos/" + id + "/").size());
    folders.insert(rest.substr(0, rest.find('/')));
  }
  CHECK(folders.size() == 2);
  CHECK(folders.count("original") == 1);
  CHECK(fs::is_empty(app.data_dir() / "tmp" / "transcode"));
}

TEST_CASE("Every good clip of the shared media becomes ready and every broken one fails with a reason", "[videos]") {
  TestApp app;
  auto creator = MakeAccount(app, "collector");
  struct Expected {
    std::string file;
    bool good;
    bool audio;
  };
  std::vector<Expected> files = {{"flower.webm", true, true},      {"flower.avi", true, true},
                                 {"friday.mov", true, true},       {"bug_video_640.mp4", true, false},
                                 {"truncated.mp4", false, false}, {"not-a-video.mp4", false, false}};
  std::vector<std::string> ids;
  for (const auto& expected : files) ids.push_back(UploadFile(app, creator, expected.file)["id"]);
  for (std::size_t i = 0; i < files.size(); ++i) {
    json video = WaitForVideo(app, creator, ids[i]);
    INFO(files[i].file << ": " << video.dump());
    if (files[i].good) {
      REQUIRE(video["status"] == "ready");
      CHECK(!video["renditions"].empty());
      auto master = app.Get(video["hls_url"].get<std::string>());
      CHECK(master.status == 200);
      CHECK((master.body.find("mp4a.40.2") != std::string::npos) == files[i].audio);
    } else {
      CHECK(video["status"] == "failed");
      CHECK(video["failure_reason"].get<std::string>().size() > 10);
      CHECK(video["hls_url"].is_null());
      // Everything but the original is removed; the original stays for an admin's retry.
      CHECK(StoredKeys(app, "videos/" + ids[i] + "/") == std::vector<std::string>{"videos/" + ids[i] + "/original"});
    }
  }
  CHECK(fs::is_empty(app.data_dir() / "tmp" / "transcode"));
}

TEST_CASE("Upload requests that are not allowed or not valid are refused clearly and leave nothing", "[videos]") {
  TestApp app(monotube::test::Configured([](monotube::Config& config) {
    config.max_upload_bytes = 600 * 1024;
    config.user_quota_bytes = 800 * 1024;
  }));
  auto creator = MakeAccount(app, "creator1");
  auto viewer = MakeAccount(app, "viewer1", "viewer");
  std::string flower = ReadFile(kMedia / "friday.mp4");  // 515 kB
  std::vector<FormField> good = {{"title", "Friday", ""}, {"file", flower, "friday.mp4"}};
  std::string content_type = std::string("multipart/form-data; boundary=") + kBoundary;
  // S3 runs share one bucket across test cases: compare with what was there before.
  auto stored_before = StoredKeys(app, "videos/");

  RequireApiError(app.Send("POST", "/api/videos", MultipartBody(good), {{"Content-Type", content_type}}), 401,
                  "login_required");
  RequireApiError(UploadMultipart(app, viewer, good), 403, "forbidden");
  RequireApiError(app.Send("POST", "/api/videos", "{}", creator.Bearer({{"Content-Type", "application/json"}})), 415,
                  "unsupported_media_type");
  RequireApiError(app.Send("POST", "/api/videos", "garbage", creator.Bearer({{"Content-Type", content_type}})), 400,
                  "malformed_multipart");
  auto missing = UploadMultipart(app, creator, {{"title", "No file", ""}});
  RequireApiError(missing, 400, "missing_file");
  CHECK(missing.Json()["error"]["fields"].contains("file"));
  auto long_title = UploadMultipart(app, creator, {{"title", std::string(101, 'x'), ""}, {"file", flower, "a.mp4"}});
  RequireApiError(long_title, 400, "invalid_title");
  CHECK(long_title.Json()["error"]["fields"].contains("title"));
  auto bad_visibility = UploadMultipart(app, creator, {{"visibility", "secret", ""}, {"file", flower, "a.mp4"}});
  CHECK(bad_visibility.Json()["error"]["fields"].contains("visibility"));
  auto many_tags = UploadMultipart(
      app, creator, {{"tags", "a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p", ""}, {"file", flower, "a.mp4"}});
  CHECK(many_tags.Json()["error"]["fields"].contains("tags"));
  std::string big(700 * 1024, 'x');
  RequireApiError(UploadMultipart(app, creator, {{"file", big, "big.mp4"}}), 413, "file_too_large");
  // Nothing of the refused uploads stays: no rows, no objects.
  CHECK(app.Get("/api/me/videos", creator.Bearer()).Json()["videos"].empty());
  CHECK(StoredKeys(app, "videos/") == stored_before);

  // The quota: one 515 kB upload fits in 800 KiB, the second does not.
  REQUIRE(UploadMultipart(app, creator, good).status == 201);
  RequireApiError(UploadMultipart(app, creator, good), 413, "quota_exceeded");
  auto mine = app.Get("/api/me/videos", creator.Bearer()).Json();
  CHECK(mine["videos"].size() == 1);
  CHECK(mine["quota"]["limit_bytes"] == 800 * 1024);
  CHECK(mine["quota"]["used_bytes"].get<std::int64_t>() >= static_cast<std::int64_t>(flower.size()));
  // tus announces its size up front: refused before a byte is sent.
  RequireApiError(app.Send("POST", "/api/uploads", "", Tus(creator, {{"Upload-Length", "700000"}})), 413,
                  "file_too_large");
  RequireApiError(app.Send("POST", "/api/uploads", "", Tus(creator, {{"Upload-Length", "400000"}})), 413,
                  "quota_exceeded");
}

TEST_CASE("A tus upload arrives in pieces, survives a broken connection and becomes a ready video", "[videos][tus]") {
  TestApp app;
  auto creator = MakeAccount(app, "tusser");
  std::string file = ReadFile(kMedia / "friday.mov");

  auto options = app.Send("OPTIONS", "/api/uploads");
  CHECK(options.status == 204);
  CHECK(options.Header("tus-version") == "1.0.0");
  CHECK(options.Header("tus-extension") == "creation,termination,expiration");

  std::string location = TusCreate(app, creator, file.size(),
                                   "filename " + Base64("friday.mov") + ",title " + Base64("Friday by tus") +
                                       ",visibility " + Base64("unlisted") + ",tags " + Base64("tus, resumable"));
  std::string id = location.substr(location.rfind('/') + 1);
  auto head = app.Send("HEAD", location, "", Tus(creator));
  CHECK(head.status == 200);
  CHECK(head.Header("upload-offset") == "0");
  CHECK(head.Header("upload-length") == std::to_string(file.size()));
  CHECK(head.Header("cache-control") == "no-store");
  CHECK(!head.Header("upload-expires").empty());
  json video = app.Get("/api/videos/" + id, creator.Bearer()).Json()["video"];
  CHECK(video["status"] == "uploading");
  CHECK(video["title"] == "Friday by tus");
  CHECK(video["visibility"] == "unlisted");

  // First piece: 100 kB.
  auto first = TusPatch(app, creator, location, 0, file.substr(0, 100000));
  CHECK(first.status == 204);
  CHECK(first.Header("upload-offset") == "100000");

  // Second piece: the connection breaks after 50 kB of a promised 200 kB. What arrived is kept.
  {
    monotube::test::RawConnection raw(app.port());
    raw.Send("PATCH " + location + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + creator.token +
             "\r\nTus-Resumable: 1.0.0\r\nUpload-Offset: 100000\r\nContent-Type: application/offset+octet-stream\r\n"
             "Content-Length: 200000\r\n\r\n" +
             file.substr(100000, 50000));
    std::this_thread::sleep_for(300ms);
  }
  std::string offset;
  for (int i = 0; i < 50; ++i) {
    offset = app.Send("HEAD", location, "", Tus(creator)).Header("upload-offset");
    if (offset != "100000") break;
    std::this_thread::sleep_for(100ms);
  }
  CHECK(offset == "150000");

  // Conflicts and bad requests do not move the upload.
  RequireApiError(TusPatch(app, creator, location, 100000, "x"), 409, "offset_mismatch");
  auto wrong_type = app.Send("PATCH", location, "x",
                             Tus(creator, {{"Upload-Offset", "150000"}, {"Content-Type", "application/json"}}));
  CHECK(wrong_type.status == 415);
  auto old_version = app.Send("PATCH", location, "x",
                              creator.Bearer({{"Tus-Resumable", "0.2.2"}, {"Upload-Offset", "150000"},
                                              {"Content-Type", "application/offset+octet-stream"}}));
  CHECK(old_version.status == 412);
  CHECK(old_version.Header("tus-version") == "1.0.0");
  RequireApiError(TusPatch(app, creator, location, 150000, std::string(file.size(), 'x')), 400,
                  "beyond_upload_length");
  auto stranger = MakeAccount(app, "stranger");
  CHECK(TusPatch(app, stranger, location, 150000, "x").status == 404);  // not visible to others before it is ready
  CHECK(app.Send("HEAD", location, "", {{"Tus-Resumable", "1.0.0"}}).status == 401);

  // The rest, and the original is byte-identical (also while the pieces are being joined).
  auto last = TusPatch(app, creator, location, 150000, file.substr(150000));
  CHECK(last.status == 204);
  CHECK(last.Header("upload-offset") == std::to_string(file.size()));
  auto original = app.Get("/api/videos/" + id + "/original", creator.Bearer());
  REQUIRE(original.status == 200);
  CHECK(original.body == file);
  video = WaitForVideo(app, creator, id);
  REQUIRE(video["status"] == "ready");
  CHECK(app.Get("/api/videos/" + id + "/original", creator.Bearer()).body == file);
  CHECK(StoredKeys(app, "videos/" + id + "/upload/").empty());  // the pieces are gone once joined
  RequireApiError(TusPatch(app, creator, location, file.size(), "x"), 409, "upload_complete");
  CHECK(app.Get("/api/videos/" + id + "/original", stranger.Bearer()).status == 403);  // unlisted: visible, not theirs

  // Termination removes the upload and its pieces.
  std::string doomed = TusCreate(app, creator, 1000, "filename " + Base64("x.mp4"));
  CHECK(TusPatch(app, creator, doomed, 0, std::string(500, 'a')).status == 204);
  CHECK(app.Send("DELETE", doomed, "", Tus(creator)).status == 204);
  CHECK(app.Send("HEAD", doomed, "", Tus(creator)).status == 404);
  CHECK(StoredKeys(app, "videos/" + doomed.substr(doomed.rfind('/') + 1) + "/").empty());

  // Bad creation requests.
  RequireApiError(app.Send("POST", "/api/uploads", "", Tus(creator)), 400, "invalid_upload_length");
  RequireApiError(app.Send("POST", "/api/uploads", "", Tus(creator, {{"Upload-Length", "-5"}})), 400,
                  "invalid_upload_length");
  auto bad_title = app.Send("POST", "/api/uploads", "",
                            Tus(creator, {{"Upload-Length", "10"}, {"Upload-Metadata", "title " + Base64(std::string(200, 't'))}}));
  RequireApiError(bad_title, 400, "invalid_title");
  RequireApiError(app.Send("POST", "/api/uploads", "",
                           Tus(creator, {{"Upload-Length", "10"}, {"Upload-Metadata", "title %%%"}})),
                  400, "invalid_upload_metadata");
  auto viewer = MakeAccount(app, "onlyviewer", "viewer");
  CHECK(app.Send("POST", "/api/uploads", "", Tus(viewer, {{"Upload-Length", "10"}})).status == 403);
}

TEST_CASE("An empty upload and an abandoned one end cleanly", "[videos][tus]") {
  monotube::ManualClock clock(1'700'000'000'000);
  monotube::test::TestAppOptions options;
  options.clock = &clock;
  TestApp app(options);
  auto creator = MakeAccount(app, "abandoner");
  std::string empty = TusCreate(app, creator, 0, "filename " + Base64("empty.mp4"));
  std::string empty_id = empty.substr(empty.rfind('/') + 1);
  json video = WaitForVideo(app, creator, empty_id);
  CHECK(video["status"] == "failed");
  CHECK(video["failure_reason"] == "The file is empty.");

  std::string abandoned = TusCreate(app, creator, 5000, "filename " + Base64("a.mp4"));
  std::string abandoned_id = abandoned.substr(abandoned.rfind('/') + 1);
  REQUIRE(TusPatch(app, creator, abandoned, 0, std::string(1000, 'a')).status == 204);
  clock.Advance(25LL * 3600 * 1000);
  app.app().videos().PruneExpiredUploads();
  CHECK(app.Get("/api/videos/" + abandoned_id, creator.Bearer()).status == 404);
  CHECK(StoredKeys(app, "videos/" + abandoned_id + "/").empty());
}

TEST_CASE("Unlisted and private videos play only through signed links", "[videos]") {
  monotube::ManualClock clock(1'700'000'000'000);
  monotube::test::TestAppOptions options;
  options.clock = &clock;
  options.configure = [](monotube::Config& config) { config.media_url_ttl_seconds = 600; };
  TestApp app(options);
  auto owner = MakeAccount(app, "secretive");
  auto other = MakeAccount(app, "nosy", "viewer");
  auto admin = MakeAccount(app, "boss", "admin");
  std::string unlisted = UploadFile(app, owner, "bug_video_640.mp4", "Unlisted", "unlisted")["id"];
  std::string hidden = UploadFile(app, owner, "friday.mp4", "Private", "private")["id"];
  REQUIRE(WaitForVideo(app, owner, unlisted)["status"] == "ready");
  REQUIRE(WaitForVideo(app, owner, hidden)["status"] == "ready");

  // Unlisted: anyone with the link gets it, but it is never listed.
  auto anonymous = app.Get("/api/videos/" + unlisted);
  REQUIRE(anonymous.status == 200);
  std::string hls = anonymous.Json()["video"]["hls_url"];
  CHECK(hls.find("?expires=") != std::string::npos);
  CHECK(app.Get("/api/videos").Json()["videos"].empty());
  CHECK(app.Get("/api/users/" + owner.id + "/videos").Json()["videos"].empty());
  CHECK(app.Get("/api/users/" + owner.id + "/videos", owner.Bearer()).Json()["videos"].size() == 2);

  // The signature travels from the master playlist to everything it names.
  auto master = app.Get(hls);
  REQUIRE(master.status == 200);
  CHECK(master.Header("cache-control") == "private, max-age=60");
  std::string query = hls.substr(hls.find('?') + 1);
  CHECK(master.body.find("/index.m3u8?" + query) != std::string::npos);
  auto variant = app.Get("/media/" + unlisted + "/360p/index.m3u8?" + query);
  REQUIRE(variant.status == 200);
  CHECK(variant.body.find("init.mp4?" + query) != std::string::npos);
  CHECK(variant.body.find("seg-00001.m4s?" + query) != std::string::npos);
  CHECK(app.Get("/media/" + unlisted + "/360p/seg-00001.m4s?" + query).status == 200);
  RequireApiError(app.Get("/media/" + unlisted + "/master.m3u8"), 403, "media_link_invalid");
  std::string tampered = query;
  tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
  RequireApiError(app.Get("/media/" + unlisted + "/master.m3u8?" + tampered), 403, "media_link_invalid");
  // ffprobe follows the signed master over HTTP.
  auto probe = Run({"ffprobe", "-v", "error", "-show_entries", "stream=height", "-of", "csv=p=0", BaseUrl(app) + hls});
  CHECK(probe.ok());
  // Links expire (TTL + the video's length, rounded up).
  clock.Advance(30LL * 60 * 1000);
  RequireApiError(app.Get(hls), 403, "media_link_invalid");

  // Private: the owner and admins only; others get 404 (its existence is not revealed).
  CHECK(app.Get("/api/videos/" + hidden).status == 404);
  CHECK(app.Get("/api/videos/" + hidden, other.Bearer()).status == 404);
  CHECK(app.Get("/api/videos/" + hidden, admin.Bearer()).status == 200);
  auto mine = app.Get("/api/videos/" + hidden, owner.Bearer());
  REQUIRE(mine.status == 200);
  CHECK(app.Get(mine.Json()["video"]["hls_url"].get<std::string>()).status == 200);
  CHECK(app.Get("/media/" + hidden + "/thumbnail.jpg").status == 403);
}

TEST_CASE("Owners and admins edit and delete videos, others cannot, and deletion removes every object",
          "[videos]") {
  TestApp app;
  auto owner = MakeAccount(app, "editor");
  auto other = MakeAccount(app, "otheruser");
  auto moderator = MakeAccount(app, "moddy", "moderator");
  auto admin = MakeAccount(app, "adminuser", "admin");
  std::string id = UploadFile(app, owner, "bug_video_640.mp4", "Before")["id"];
  REQUIRE(WaitForVideo(app, owner, id)["status"] == "ready");

  auto edited = SendJson(app, "PATCH", "/api/videos/" + id,
                         {{"title", "After"}, {"description", "Line 1\nLine 2"}, {"tags", {"One", "two", "one", " "}}},
                         owner.Bearer());
  REQUIRE(edited.status == 200);
  CHECK(edited.Json()["video"]["title"] == "After");
  CHECK(edited.Json()["video"]["tags"] == json::array({"One", "two"}));
  auto invalid = SendJson(app, "PATCH", "/api/videos/" + id,
                          {{"title", ""}, {"description", std::string(5001, 'd')}, {"visibility", "nope"},
                           {"tags", json::array({std::string(31, 't')})}},
                          owner.Bearer());
  RequireApiError(invalid, 400, "invalid_title");
  for (const char* field : {"title", "description", "visibility", "tags"})
    CHECK(invalid.Json()["error"]["fields"].contains(field));
  RequireApiError(SendJson(app, "PATCH", "/api/videos/" + id, {{"title", 5}}, owner.Bearer()), 400, "invalid_type");
  CHECK(SendJson(app, "PATCH", "/api/videos/" + id, {{"title", "Mine now"}}, other.Bearer()).status == 403);
  CHECK(SendJson(app, "PATCH", "/api/videos/" + id, {{"title", "Mod"}}, moderator.Bearer()).status == 403);
  CHECK(SendJson(app, "PATCH", "/api/videos/" + id, {{"title", "Anon"}}).status == 401);
  auto replaced = SendJson(app, "PUT", "/api/videos/" + id,
                           {{"title", "By admin"}, {"visibility", "private"}, {"tags", "x, y"}}, admin.Bearer());
  REQUIRE(replaced.status == 200);
  CHECK(replaced.Json()["video"]["description"] == "");
  CHECK(replaced.Json()["video"]["tags"] == json::array({"x", "y"}));
  CHECK(SendJson(app, "PATCH", "/api/videos/" + id, {{"title", "x"}}, other.Bearer()).status == 404);  // private now
  // Cookie sessions need the CSRF token for writes.
  CHECK(app.Send("DELETE", "/api/videos/" + id, "", owner.CookieWithoutCsrf()).status == 403);
  CHECK(app.Send("DELETE", "/api/videos/" + id, "", other.Bearer()).status == 404);
  REQUIRE(!StoredKeys(app, "videos/" + id + "/").empty());
  CHECK(app.Send("DELETE", "/api/videos/" + id, "", owner.Cookie()).status == 204);
  CHECK(app.Get("/api/videos/" + id, owner.Bearer()).status == 404);
  CHECK(app.Get("/media/" + id + "/master.m3u8").status == 404);
  CHECK(StoredKeys(app, "videos/" + id + "/").empty());
  CHECK(app.Send("DELETE", "/api/videos/" + id, "", owner.Bearer()).status == 404);
  CHECK(app.Get("/api/videos/not-an-id").status == 404);
}

TEST_CASE("Deleting a video while it transcodes stops FFmpeg and leaves no files", "[videos]") {
  monotube::test::TempDir scratch;
  fs::path clip = scratch.path() / "long.mp4";
  // 40 s of 1080p: long enough to be caught mid-transcode on any machine.
  auto made = Run({"ffmpeg", "-v", "error", "-nostdin", "-f", "lavfi", "-i", "testsrc2=size=1920x1080:rate=30:duration=40",
                   "-f", "lavfi", "-i", "sine=frequency=440:duration=40", "-c:v", "libx264", "-preset", "ultrafast",
                   "-c:a", "aac", "-shortest", clip.string()});
  REQUIRE(made.ok());
  TestApp app;
  auto creator = MakeAccount(app, "deleter");
  auto uploaded = UploadMultipart(app, creator, {{"file", ReadFile(clip), "long.mp4"}});
  REQUIRE(uploaded.status == 201);
  std::string id = uploaded.Json()["video"]["id"];
  auto deadline = std::chrono::steady_clock::now() + 60s;
  for (;;) {
    json video = app.Get("/api/videos/" + id, creator.Bearer()).Json()["video"];
    REQUIRE(video["status"] == "processing");
    if (video["progress"].get<int>() > 0) break;
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::sleep_for(100ms);
  }
  CHECK(app.Send("DELETE", "/api/videos/" + id, "", creator.Bearer()).status == 204);
  // The job ends within a few seconds, and nothing of the video is left anywhere.
  deadline = std::chrono::steady_clock::now() + 30s;
  while (app.app().job_queue().CountByState()["running"] > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(100ms);
  CHECK(app.app().job_queue().CountByState()["running"] == 0);
  CHECK(StoredKeys(app, "videos/" + id + "/").empty());
  CHECK(fs::is_empty(app.data_dir() / "tmp" / "transcode"));
  auto ps = Run({"pgrep", "-f", clip.string()});
  CHECK(ps.stdout_text.empty());
}

TEST_CASE("Listings show public ready videos newest first, page by page, and exports include videos",
          "[videos]") {
  TestApp app;
  auto creator = MakeAccount(app, "lister");
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(UploadFile(app, creator, "bug_video_640.mp4", "Clip " + std::to_string(i))["id"]);
  for (const auto& id : ids) REQUIRE(WaitForVideo(app, creator, id)["status"] == "ready");
  auto first = app.Get("/api/videos?limit=2");
  REQUIRE(first.status == 200);
  auto page = first.Json();
  REQUIRE(page["videos"].size() == 2);
  REQUIRE(page["next_cursor"].is_string());
  auto second = app.Get("/api/videos?limit=2&cursor=" + page["next_cursor"].get<std::string>()).Json();
  REQUIRE(second["videos"].size() == 1);
  CHECK(second["next_cursor"].is_null());
  std::set<std::string> seen = {page["videos"][0]["id"], page["videos"][1]["id"], second["videos"][0]["id"]};
  CHECK(seen == std::set<std::string>(ids.begin(), ids.end()));
  CHECK(app.Get("/api/videos?sort=popular").status == 200);
  RequireApiError(app.Get("/api/videos?sort=random"), 400, "invalid_sort");
  RequireApiError(app.Get("/api/videos?limit=0"), 400, "invalid_limit");
  RequireApiError(app.Get("/api/videos?cursor=garbage"), 400, "invalid_cursor");
  CHECK(app.Get("/api/users/" + creator.id + "/videos").Json()["videos"].size() == 3);
  RequireApiError(app.Get("/api/users/nobody12345/videos"), 404, "user_not_found");

  auto exported = app.Get("/api/me/export", creator.Bearer()).Json();
  CHECK(exported["videos"].size() == 3);
  // Deleting the account deletes the videos and their objects.
  REQUIRE(SendJson(app, "DELETE", "/api/me", {{"password", monotube::test::kTestPassword}}, creator.Bearer()).status ==
          204);
  CHECK(app.Get("/api/videos").Json()["videos"].empty());
  for (const auto& id : ids) CHECK(StoredKeys(app, "videos/" + id + "/").empty());
}

TEST_CASE("Redirect delivery sends players to presigned storage URLs when the storage has them", "[videos]") {
  TestApp app(monotube::test::Configured([](monotube::Config& config) { config.media_delivery = "redirect"; }));
  auto creator = MakeAccount(app, "redirector");
  std::string id = UploadFile(app, creator, "bug_video_640.mp4", "Redirected")["id"];
  REQUIRE(WaitForVideo(app, creator, id)["status"] == "ready");
  auto video = app.app().videos().repository().FindByPublicId(id);
  REQUIRE(video);
  std::string stored = app.app().storage().GetString(video->media_prefix + "360p/seg-00001.m4s");
  // Playlists always come from the server (they may carry a signature to rewrite).
  CHECK(app.Get("/media/" + id + "/master.m3u8").status == 200);
  auto segment = app.Get("/media/" + id + "/360p/seg-00001.m4s");
  if (app.app().storage().PresignedGetUrl("videos/x", 60s)) {
    REQUIRE(segment.status == 302);
    std::string location = segment.Header("location");
    CHECK(location.find("X-Amz-Signature=") != std::string::npos);
    auto fetched = Run({"curl", "-fsS", location});
    REQUIRE(fetched.ok());
    CHECK(fetched.stdout_text == stored);
    // The page may load media from the storage's origin.
    std::string origin = location.substr(0, location.find('/', location.find("://") + 3));
    CHECK(app.Get("/").Header("content-security-policy").find("media-src 'self' blob: " + origin) !=
          std::string::npos);
  } else {
    // Local disk has no presigned URLs: the server streams the segment itself.
    CHECK(segment.status == 200);
    CHECK(segment.body == stored);
  }
}
