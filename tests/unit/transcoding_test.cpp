#include "modules/transcoding/transcoding.hpp"

#include <dirent.h>

#include <atomic>
#include <cmath>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "monotube/process.hpp"

#include "support/temp_dir.hpp"

using monotube::RunProcess;
using monotube::transcoding::Cancelled;
using monotube::transcoding::MediaInfo;
using monotube::transcoding::MediaRejected;
using monotube::transcoding::PlanLadder;
using monotube::transcoding::Probe;
using monotube::transcoding::ProbeLimits;
using monotube::transcoding::Rendition;
using monotube::transcoding::Transcode;
using monotube::transcoding::TranscodeOptions;
using monotube::transcoding::TranscodeResult;
using namespace std::chrono_literals;

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

const fs::path kSharedMedia = fs::path(MONOTUBE_SOURCE_DIR) / ".." / "shared" / "media";

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

monotube::ProcessResult Run(std::vector<std::string> argv) {
  monotube::ProcessOptions options;
  options.argv = std::move(argv);
  options.timeout = 60s;
  options.max_stdout_bytes = 8 * 1024 * 1024;
  return RunProcess(options);
}

// Runs ffmpeg with these arguments after the usual ones; the test fails if it does.
fs::path Ffmpeg(const fs::path& output, std::vector<std::string> args) {
  std::vector<std::string> argv = {"ffmpeg", "-nostdin", "-v", "error", "-y"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back(output.string());
  auto result = Run(argv);
  INFO(result.stderr_text);
  REQUIRE(result.ok());
  return output;
}

// A short test clip: lavfi video (and a sine tone unless `audio` is false).
fs::path MakeClip(const fs::path& output, const std::string& video, std::vector<std::string> extra = {},
                  bool audio = true) {
  std::vector<std::string> args = {"-f", "lavfi", "-i", video};
  if (audio) args.insert(args.end(), {"-f", "lavfi", "-i", "sine=f=440:d=1", "-c:a", "aac", "-shortest"});
  args.insert(args.end(), extra.begin(), extra.end());
  return Ffmpeg(output, args);
}

nlohmann::json FfprobeJson(std::vector<std::string> args, const fs::path& file) {
  std::vector<std::string> argv = {"ffprobe", "-v", "error", "-of", "json"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back(file.string());
  auto result = Run(argv);
  INFO(result.stderr_text);
  REQUIRE(result.ok());
  return nlohmann::json::parse(result.stdout_text);
}

std::string RejectionCode(const fs::path& file, const ProbeLimits& limits = {},
                          std::string* message = nullptr) {
  try {
    Probe(file, limits);
  } catch (const MediaRejected& e) {
    if (message) *message = e.what();
    return e.code();
  }
  return "accepted";
}

MediaInfo Info(int width, int height, double fps = 30, bool audio = true) {
  MediaInfo info;
  info.width = width;
  info.height = height;
  info.coded_width = width;
  info.coded_height = height;
  info.frame_rate = fps;
  info.duration_seconds = 10;
  info.has_audio = audio;
  info.video_stream = 0;
  info.audio_stream = audio ? 1 : -1;
  return info;
}

std::vector<std::string> Summary(const std::vector<Rendition>& ladder) {
  std::vector<std::string> out;
  for (const auto& r : ladder)
    out.push_back(r.name + " " + std::to_string(r.width) + "x" + std::to_string(r.height));
  return out;
}

TranscodeOptions FastOptions(const fs::path& input, const fs::path& output_dir, const MediaInfo& info) {
  TranscodeOptions options;
  options.input = input;
  options.output_dir = output_dir;
  options.ladder = PlanLadder(info);
  options.preset = "ultrafast";
  options.timeout = 120s;
  return options;
}

// Attributes of one #EXT-X-STREAM-INF line, and the URI under it.
struct Variant {
  std::map<std::string, std::string> attributes;
  std::string uri;
};

std::vector<Variant> ReadMaster(const fs::path& master) {
  std::vector<Variant> variants;
  std::istringstream in(ReadFile(master));
  std::string line;
  const std::regex attribute(R"(([A-Z-]+)=("[^"]*"|[^,]*))");
  while (std::getline(in, line)) {
    if (line.starts_with("#EXT-X-STREAM-INF:")) {
      Variant v;
      for (std::sregex_iterator it(line.begin() + 18, line.end(), attribute), end; it != end; ++it) {
        std::string value = (*it)[2];
        if (value.size() >= 2 && value.front() == '"') value = value.substr(1, value.size() - 2);
        v.attributes[(*it)[1]] = value;
      }
      std::getline(in, v.uri);
      variants.push_back(v);
    }
  }
  return variants;
}

std::vector<std::pair<std::string, double>> ReadSegments(const fs::path& playlist) {
  std::vector<std::pair<std::string, double>> segments;
  std::istringstream in(ReadFile(playlist));
  std::string line;
  double duration = 0;
  while (std::getline(in, line)) {
    if (line.starts_with("#EXTINF:"))
      duration = std::stod(line.substr(8));
    else if (!line.empty() && line[0] != '#')
      segments.emplace_back(line, duration);
  }
  return segments;
}

// The first video packet of a segment (init + segment make a playable file): its time
// and whether it is a keyframe.
std::pair<double, bool> FirstVideoPacket(const monotube::test::TempDir& dir, const fs::path& rendition,
                                         const std::string& segment) {
  const auto joined = dir / "joined.mp4";
  std::ofstream(joined, std::ios::binary)
      << ReadFile(rendition / "init.mp4") << ReadFile(rendition / segment);
  auto packets = FfprobeJson({"-select_streams", "v:0", "-read_intervals", "%+#1", "-show_entries",
                              "packet=pts_time,flags"},
                             joined)
                     .at("packets");
  REQUIRE(!packets.empty());
  return {std::stod(packets[0].at("pts_time").get<std::string>()),
          packets[0].at("flags").get<std::string>().find('K') != std::string::npos};
}

// Whether any process's command line mentions `needle` (an output path unique to a test).
bool ProcessMentions(const std::string& needle) {
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const auto name = entry.path().filename().string();
    if (name.empty() || !std::isdigit(static_cast<unsigned char>(name[0]))) continue;
    std::string cmdline = ReadFile(entry.path() / "cmdline");
    std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
    if (cmdline.find(needle) != std::string::npos) return true;
  }
  return false;
}

// The mean grey level of the top and bottom halves of a video's first frame, as a player shows it.
std::pair<double, double> TopAndBottomGrey(const fs::path& video) {
  auto result = Run({"ffmpeg", "-nostdin", "-v", "error", "-i", video.string(), "-frames:v", "1", "-vf",
                     "scale=64:64", "-f", "rawvideo", "-pix_fmt", "gray", "pipe:1"});
  REQUIRE(result.ok());
  REQUIRE(result.stdout_text.size() == 64 * 64);
  double top = 0, bottom = 0;
  for (int i = 0; i < 64 * 64; ++i)
    (i < 32 * 64 ? top : bottom) += static_cast<unsigned char>(result.stdout_text[i]);
  return {top / (32 * 64), bottom / (32 * 64)};
}

}  // namespace

TEST_CASE("Probe reads the size, length and audio of every good test clip", "[transcoding]") {
  struct Expected {
    const char* file;
    int width, height;
    double duration;
    bool audio;
    const char* codec;
  };
  for (const auto& e : {Expected{"flower.mp4", 960, 540, 5.06, true, "h264"},
                        Expected{"flower.webm", 960, 540, 5.06, true, "vp8"},
                        Expected{"flower.avi", 960, 540, 5.09, true, "mpeg4"},
                        Expected{"friday.mp4", 640, 480, 6.17, true, "h264"},
                        Expected{"friday.mov", 640, 480, 6.17, true, "h264"},
                        Expected{"bug_video_640.mp4", 640, 360, 6.77, false, "h264"}}) {
    INFO(e.file);
    const auto info = Probe(kSharedMedia / e.file);
    CHECK(info.width == e.width);
    CHECK(info.height == e.height);
    CHECK(info.coded_width == e.width);
    CHECK(info.rotation == 0);
    CHECK(std::abs(info.duration_seconds - e.duration) < 0.05);
    CHECK(info.has_audio == e.audio);
    CHECK(info.audio_codec.empty() == !e.audio);
    CHECK(info.video_codec == e.codec);
    CHECK(info.frame_rate > 29);
    CHECK(info.frame_rate < 31);
    CHECK(info.bit_rate > 0);
    CHECK(!info.container.empty());
  }
}

TEST_CASE("Probe rejects the cut-off upload and the text file with a clear reason", "[transcoding]") {
  std::string message;
  CHECK(RejectionCode(kSharedMedia / "truncated.mp4", {}, &message) == "truncated");
  CHECK(message == "The file is cut off: it ends after 0.7 s of the 5.1 s it declares.");
  CHECK(RejectionCode(kSharedMedia / "not-a-video.mp4", {}, &message) == "not_media");
  CHECK(message == "The file is not a video we can read.");
}

TEST_CASE("Probe finds cut-off WebM and AVI files too", "[transcoding]") {
  monotube::test::TempDir dir;
  // Matroska keeps its index at the end and AVI loses its index entirely: both still
  // declare the full length (WebM in its header, AVI as a frame count).
  for (const char* name : {"flower.webm", "flower.avi"}) {
    INFO(name);
    const auto whole = ReadFile(kSharedMedia / name);
    std::ofstream(dir / name, std::ios::binary) << whole.substr(0, whole.size() / 2);
    std::string message;
    CHECK(RejectionCode(dir / name, {}, &message) == "truncated");
    CHECK(message.starts_with("The file is cut off: it ends after "));
    CHECK(std::regex_search(message, std::regex(R"( s of the 5\.[01] s it declares\.$)")));
  }
}

TEST_CASE("Probe turns rotated phone video upright and applies non-square pixels", "[transcoding]") {
  monotube::test::TempDir dir;
  MakeClip(dir / "landscape.mp4", "testsrc2=s=320x240:r=30:d=1", {"-c:v", "libx264", "-preset", "ultrafast"});
  // FFmpeg 5.1 has no -display_rotation yet; a rotate tag on a stream copy becomes the
  // display matrix that phones write.
  Ffmpeg(dir / "rotated.mp4",
         {"-i", (dir / "landscape.mp4").string(), "-c", "copy", "-metadata:s:v:0", "rotate=90"});
  auto info = Probe(dir / "rotated.mp4");
  CHECK(info.coded_width == 320);
  CHECK(info.coded_height == 240);
  CHECK((info.rotation == 90 || info.rotation == 270));
  CHECK(info.width == 240);
  CHECK(info.height == 320);
  // Portrait limits apply by the short side: 240x320 fits 320x240 limits, 330 wide does not.
  ProbeLimits small;
  small.max_width = 320;
  small.max_height = 240;
  CHECK(RejectionCode(dir / "rotated.mp4", small) == "accepted");
  small.max_width = 319;
  CHECK(RejectionCode(dir / "rotated.mp4", small) == "too_large");

  // DVD-style anamorphic: 720x480 stored, 32:27 pixels, shown 853x480.
  MakeClip(dir / "anamorphic.mp4", "testsrc2=s=720x480:r=30:d=1",
           {"-vf", "setsar=32/27", "-c:v", "libx264", "-preset", "ultrafast"});
  info = Probe(dir / "anamorphic.mp4");
  CHECK(info.coded_width == 720);
  CHECK(info.width == 853);
  CHECK(info.height == 480);
}

TEST_CASE("Probe rejects audio only, cover art, empty, oversized and overlong files", "[transcoding]") {
  monotube::test::TempDir dir;
  std::string message;
  Ffmpeg(dir / "song.m4a", {"-f", "lavfi", "-i", "sine=d=1", "-c:a", "aac"});
  CHECK(RejectionCode(dir / "song.m4a", {}, &message) == "no_video");
  CHECK(message == "The file has only sound, no video track.");

  Ffmpeg(dir / "cover.png", {"-f", "lavfi", "-i", "testsrc2=s=300x300", "-frames:v", "1"});
  Ffmpeg(dir / "song.mp3",
         {"-f", "lavfi", "-i", "sine=d=1", "-i", (dir / "cover.png").string(), "-map", "0:a", "-map", "1:v",
          "-c:a", "libmp3lame", "-c:v", "png", "-disposition:v", "attached_pic"});
  CHECK(RejectionCode(dir / "song.mp3", {}, &message) == "no_video");
  CHECK(message == "The file has only a still picture (such as an album cover), not a video.");

  std::ofstream(dir / "empty.mp4").close();
  CHECK(RejectionCode(dir / "empty.mp4") == "empty");

  // One pixel wider than 8K (FFV1 takes odd sizes), one frame.
  Ffmpeg(dir / "8k-plus-1.mkv",
         {"-f", "lavfi", "-i", "color=s=7682x8:d=0.04", "-vf", "scale=7681:8,setsar=1", "-c:v", "ffv1"});
  CHECK(RejectionCode(dir / "8k-plus-1.mkv", {}, &message) == "too_large");
  CHECK(message == "The video is 7681×8 pixels; the largest accepted is 7680×4320.");

  ProbeLimits short_limit;
  short_limit.max_duration_seconds = 2;
  CHECK(RejectionCode(kSharedMedia / "flower.mp4", short_limit, &message) == "too_long");
  CHECK(message == "The video is 5.1 s long; the limit is 2.0 s.");
  short_limit.max_duration_seconds = 4 * 3600;
  CHECK(RejectionCode(kSharedMedia / "flower.mp4", short_limit) == "accepted");
}

TEST_CASE("PlanLadder keeps the rungs up to the source, by the short side", "[transcoding]") {
  using V = std::vector<std::string>;
  CHECK(Summary(PlanLadder(Info(640, 360))) == V{"240p 426x240", "360p 640x360"});
  CHECK(Summary(PlanLadder(Info(960, 540))) == V{"240p 426x240", "360p 640x360", "480p 854x480"});
  CHECK(Summary(PlanLadder(Info(640, 480))) == V{"240p 320x240", "360p 480x360", "480p 640x480"});
  CHECK(Summary(PlanLadder(Info(853, 479))) == V{"240p 428x240", "360p 642x360"});
  CHECK(Summary(PlanLadder(Info(1920, 1080))) ==
        V{"240p 426x240", "360p 640x360", "480p 854x480", "720p 1280x720", "1080p 1920x1080"});
  // Portrait phone video: named by the short side, as YouTube does.
  CHECK(Summary(PlanLadder(Info(1080, 1920))) ==
        V{"240p 240x426", "360p 360x640", "480p 480x854", "720p 720x1280", "1080p 1080x1920"});
  CHECK(PlanLadder(Info(3840, 2160)).size() == 7);
  CHECK(PlanLadder(Info(3840, 2160)).back().name == "2160p");
  // Smaller than the lowest rung: one rendition at the source's size, never upscaled.
  CHECK(Summary(PlanLadder(Info(320, 180))) == V{"180p 320x180"});
  CHECK(Summary(PlanLadder(Info(99, 57))) == V{"56p 98x56"});
}

TEST_CASE("PlanLadder sets bitrates, frame-rate bonus and codecs", "[transcoding]") {
  const auto ladder = PlanLadder(Info(1920, 1080));
  for (std::size_t i = 1; i < ladder.size(); ++i) CHECK(ladder[i].video_kbps > ladder[i - 1].video_kbps);
  CHECK(ladder[4].video_kbps == 5000);
  CHECK(ladder[4].audio_kbps == 128);
  CHECK(ladder[4].codecs == "avc1.640028,mp4a.40.2");  // High, level 4.0
  CHECK(ladder[0].codecs == "avc1.640015,mp4a.40.2");  // level 2.1
  CHECK(ladder[4].bandwidth > 5128000);

  const auto fast = PlanLadder(Info(1920, 1080, 59.94));
  CHECK(fast[4].video_kbps == 7500);
  CHECK(fast[4].codecs == "avc1.64002a,mp4a.40.2");  // level 4.2 for 1080p60

  const auto silent = PlanLadder(Info(1280, 720, 30, false));
  CHECK(silent.back().audio_kbps == 0);
  CHECK(silent.back().codecs == "avc1.64001f");  // level 3.1
  // 4:3 has fewer pixels than the 16:9 rung it is named after.
  CHECK(PlanLadder(Info(640, 480)).back().video_kbps < PlanLadder(Info(854, 480)).back().video_kbps);
}

TEST_CASE("Transcode turns flower.mp4 into an aligned HLS ladder with poster and previews", "[transcoding]") {
  monotube::test::TempDir dir;
  const auto input = kSharedMedia / "flower.mp4";
  const auto info = Probe(input);
  fs::create_directory(dir / "out");
  auto options = FastOptions(input, dir / "out", info);
  std::vector<double> progress;
  options.on_progress = [&](double percent) { progress.push_back(percent); };
  const TranscodeResult result = Transcode(info, options);
  const auto out = dir / "out";

  // Progress: non-decreasing, ends at exactly 100.
  REQUIRE(!progress.empty());
  CHECK(std::is_sorted(progress.begin(), progress.end()));
  CHECK(progress.back() == 100);
  CHECK(std::abs(result.duration_seconds - 5.0) < 0.2);

  // The master lists every rung with the attributes players choose by.
  const auto variants = ReadMaster(out / "master.m3u8");
  REQUIRE(variants.size() == 3);
  const std::vector<std::string> names = {"240p", "360p", "480p"};
  const std::vector<std::string> sizes = {"426x240", "640x360", "854x480"};
  for (std::size_t i = 0; i < 3; ++i) {
    INFO(names[i]);
    const auto& v = variants[i];
    CHECK(v.uri == names[i] + "/index.m3u8");
    CHECK(v.attributes.at("RESOLUTION") == sizes[i]);
    CHECK(std::stoull(v.attributes.at("BANDWIDTH")) >= std::stoull(v.attributes.at("AVERAGE-BANDWIDTH")));
    CHECK(std::stoull(v.attributes.at("AVERAGE-BANDWIDTH")) > 100000);
    CHECK(v.attributes.at("FRAME-RATE") == "29.970");
    // ultrafast uses no High-profile tool, so x264 writes Constrained Baseline (42c0xx);
    // the default preset gives High (64). Either way CODECS says what init.mp4 holds.
    CHECK(std::regex_match(v.attributes.at("CODECS"), std::regex(R"(avc1\.[0-9a-f]{6},mp4a\.40\.2)")));
    CHECK(v.attributes.at("CODECS") == result.renditions[i].codecs);
    CHECK(result.renditions[i].name == names[i]);
  }

  // Each variant decodes, at its size, with audio; segments are ~4 s, the last shorter.
  std::vector<std::vector<std::pair<std::string, double>>> segments;
  for (const auto& name : names) {
    INFO(name);
    auto probe =
        FfprobeJson({"-count_frames", "-show_entries", "stream=codec_type,width,height,nb_read_frames"},
                    out / name / "index.m3u8");
    std::set<std::string> types;
    for (const auto& s : probe.at("streams")) {
      types.insert(s.at("codec_type").get<std::string>());
      if (s.at("codec_type") == "video") CHECK(std::stoi(s.at("nb_read_frames").get<std::string>()) >= 145);
    }
    CHECK(types == std::set<std::string>{"audio", "video"});
    segments.push_back(ReadSegments(out / name / "index.m3u8"));
    REQUIRE(segments.back().size() == 2);
    CHECK(segments.back()[0].first == "seg-00001.m4s");
    CHECK(std::abs(segments.back()[0].second - 4.0) < 0.1);
    CHECK(segments.back()[1].second < 1.5);
  }
  // Keyframes aligned: every segment starts with a keyframe at the same time in every rung.
  for (std::size_t k = 0; k < segments[0].size(); ++k) {
    std::optional<double> first;
    for (const auto& name : names) {
      auto [pts, key] = FirstVideoPacket(dir, out / name, segments[0][k].first);
      CHECK(key);
      if (!first) first = pts;
      CHECK(std::abs(pts - *first) < 0.001);
    }
  }

  // Poster and seek previews.
  auto poster = FfprobeJson({"-show_entries", "stream=codec_name,width,height"}, out / "thumbnail.jpg")
                    .at("streams")[0];
  CHECK(poster.at("codec_name") == "mjpeg");
  CHECK(poster.at("width") == 960);
  auto sheet = FfprobeJson({"-show_entries", "stream=width,height"}, out / "previews-1.jpg").at("streams")[0];
  const int sheet_width = sheet.at("width"), sheet_height = sheet.at("height");
  CHECK(sheet_width == 1600);
  const std::string vtt = ReadFile(out / "previews.vtt");
  CHECK(vtt.starts_with("WEBVTT\n"));
  const std::regex cue(
      R"((\d\d:\d\d:\d\d\.\d{3}) --> (\d\d:\d\d:\d\d\.\d{3})\n(previews-\d+\.jpg)#xywh=(\d+),(\d+),(\d+),(\d+))");
  int cues = 0;
  for (std::sregex_iterator it(vtt.begin(), vtt.end(), cue), end; it != end; ++it, ++cues) {
    CHECK(fs::exists(out / (*it)[3].str()));
    CHECK(std::stoi((*it)[4]) + std::stoi((*it)[6]) <= sheet_width);
    CHECK(std::stoi((*it)[5]) + std::stoi((*it)[7]) <= sheet_height);
  }
  CHECK(cues == 5);
  CHECK(vtt.find("00:00:04.000 --> 00:00:05.0") != std::string::npos);

  // The file list is exactly what is on disk.
  std::vector<std::string> on_disk;
  for (const auto& entry : fs::recursive_directory_iterator(out))
    if (entry.is_regular_file()) on_disk.push_back(entry.path().lexically_relative(out).string());
  std::sort(on_disk.begin(), on_disk.end());
  CHECK(result.files == on_disk);
  for (const char* file : {"master.m3u8", "thumbnail.jpg", "previews.vtt", "previews-1.jpg", "240p/init.mp4",
                           "480p/seg-00002.m4s"})
    CHECK(std::find(result.files.begin(), result.files.end(), file) != result.files.end());
}

TEST_CASE("Transcode keeps a silent video silent and handles odd sizes", "[transcoding]") {
  monotube::test::TempDir dir;
  SECTION("bug_video_640.mp4 has no audio track") {
    const auto input = kSharedMedia / "bug_video_640.mp4";
    const auto info = Probe(input);
    fs::create_directory(dir / "out");
    const auto result = Transcode(info, FastOptions(input, dir / "out", info));
    REQUIRE(result.renditions.size() == 2);
    for (const auto& r : result.renditions) {
      CHECK(r.codecs.find("mp4a") == std::string::npos);
      auto streams = FfprobeJson({"-show_entries", "stream=codec_type"}, dir / "out" / r.name / "index.m3u8")
                         .at("streams");
      REQUIRE(streams.size() == 1);
      CHECK(streams[0].at("codec_type") == "video");
    }
  }
  SECTION("853x479 at a variable frame rate") {
    // Odd size (testsrc2 itself rounds to even), 4:4:4 chroma, and frames at uneven times
    // as phones record them.
    MakeClip(dir / "odd.mp4", "testsrc2=s=854x480:r=30:d=2",
             {"-vf", "scale=853:479,setsar=1,setpts='PTS+if(mod(N,3),0.004/TB,0)'", "-c:v", "libx264",
              "-preset", "ultrafast", "-pix_fmt", "yuv444p", "-fps_mode", "vfr"});
    const auto info = Probe(dir / "odd.mp4");
    CHECK(info.width == 853);
    CHECK(info.height == 479);
    fs::create_directory(dir / "out");
    const auto result = Transcode(info, FastOptions(dir / "odd.mp4", dir / "out", info));
    REQUIRE(result.renditions.size() == 2);
    auto stream =
        FfprobeJson({"-show_entries", "stream=width,height,pix_fmt"}, dir / "out" / "360p" / "index.m3u8")
            .at("streams")[0];
    CHECK(stream.at("width") == 642);
    CHECK(stream.at("height") == 360);
    CHECK(stream.at("pix_fmt") == "yuv420p");
  }
}

TEST_CASE("Transcode output of a rotated video is upright and sized by its display", "[transcoding]") {
  monotube::test::TempDir dir;
  // Left half white, right half black; once turned, white is on top or at the bottom.
  MakeClip(dir / "plain.mp4", "color=c=black:s=320x240:r=30:d=1",
           {"-vf", "drawbox=x=0:w=160:c=white:t=fill", "-c:v", "libx264", "-preset", "ultrafast"});
  Ffmpeg(dir / "rotated.mp4",
         {"-i", (dir / "plain.mp4").string(), "-c", "copy", "-metadata:s:v:0", "rotate=90"});
  const auto info = Probe(dir / "rotated.mp4");
  fs::create_directory(dir / "out");
  const auto result = Transcode(info, FastOptions(dir / "rotated.mp4", dir / "out", info));
  REQUIRE(result.renditions.size() == 1);
  CHECK(result.renditions[0].name == "240p");
  const auto playlist = dir / "out" / "240p" / "index.m3u8";
  auto stream = FfprobeJson({"-show_streams", "-select_streams", "v:0"}, playlist).at("streams")[0];
  CHECK(stream.at("width") == 240);
  CHECK(stream.at("height") == 320);
  CHECK(!stream.contains("side_data_list"));  // no display matrix: players must not turn it again
  // What a player shows of the source (FFmpeg applies the matrix) is what we encoded.
  const auto [source_top, source_bottom] = TopAndBottomGrey(dir / "rotated.mp4");
  const auto [top, bottom] = TopAndBottomGrey(playlist);
  CHECK(std::abs(source_top - source_bottom) > 150);
  CHECK(std::abs(top - source_top) < 20);
  CHECK(std::abs(bottom - source_bottom) < 20);
}

TEST_CASE("Transcode stops FFmpeg quickly when cancelled and leaves nothing behind", "[transcoding]") {
  monotube::test::TempDir dir;
  // Long enough that it cannot finish before the cancel lands.
  MakeClip(dir / "long.mp4", "testsrc2=s=640x360:r=30:d=20", {"-c:v", "libx264", "-preset", "ultrafast"},
           false);
  const auto info = Probe(dir / "long.mp4");
  fs::create_directory(dir / "out");
  auto options = FastOptions(dir / "long.mp4", dir / "out", info);
  options.preset = "medium";
  std::atomic<bool> cancel{false};
  Clock::time_point cancelled_at;
  options.on_progress = [&](double) {
    if (!cancel.exchange(true)) cancelled_at = Clock::now();
  };
  options.cancelled = [&] { return cancel.load(); };
  CHECK_THROWS_AS(Transcode(info, options), Cancelled);
  CHECK(Clock::now() - cancelled_at < 2s);
  CHECK(fs::is_empty(dir / "out"));
  CHECK(!ProcessMentions((dir / "out").string()));
}

TEST_CASE("Transcode refuses bad options before starting FFmpeg", "[transcoding]") {
  monotube::test::TempDir dir;
  const auto input = kSharedMedia / "flower.mp4";
  const auto info = Probe(input);
  fs::create_directory(dir / "out");
  auto options = FastOptions(input, dir / "out", info);
  options.ladder[0].name = "../escape";
  CHECK_THROWS_AS(Transcode(info, options), std::invalid_argument);
  options = FastOptions(input, dir / "missing", info);
  CHECK_THROWS_AS(Transcode(info, options), std::invalid_argument);
  std::ofstream(dir / "out" / "stray").close();
  options = FastOptions(input, dir / "out", info);
  CHECK_THROWS_AS(Transcode(info, options), std::invalid_argument);
  CHECK(fs::exists(dir / "out" / "stray"));  // a refused call touches nothing
}
