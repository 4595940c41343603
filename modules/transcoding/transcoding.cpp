#include "modules/transcoding/transcoding.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>
#include <string_view>
#include <system_error>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "monotube/process.hpp"

namespace monotube::transcoding {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using Json = nlohmann::json;

constexpr const char* kNotMedia = "The file is not a video we can read.";
constexpr const char* kServerProblem =
    "The video could not be processed because of a problem on the server. Please try again later.";

// The demuxers of real video containers, plus common audio-only ones so that a song is
// refused as "only sound" rather than "not a video". Everything else is refused before
// FFmpeg reads further: playlists (hls, dash), concat lists, image sequences and the like
// can make the demuxer open other local files, which an upload must never do.
constexpr const char* kAllowedDemuxers = "mov,matroska,avi,mpegts,mpeg,flv,asf,ogg,mxf,dv,mp3,wav,flac,aac";

// How much later than the data the container may say it ends before we call the file cut
// off: covers rounding of the last frame's duration and audio priming.
double TruncationTolerance(double declared) { return std::max(1.0, 0.005 * declared); }
// The tail that Probe reads to see that the data really goes on to the declared end.
constexpr double kTailSeconds = 10;

constexpr std::size_t kMaxStderrBytes = 16 * 1024;

std::string LastLine(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  auto newline = text.rfind('\n');
  return std::string(newline == std::string_view::npos ? text : text.substr(newline + 1));
}

// "1.3 s", "42 s", "5 min 3 s", "5 h 2 min"; round_up for lengths compared with a limit,
// so a video 10 s over a 4 h limit does not read "4 h".
std::string DescribeSeconds(double seconds, bool round_up = false) {
  if (seconds < 10) return fmt::format("{:.1f} s", round_up ? std::ceil(seconds * 10) / 10 : seconds);
  auto whole = static_cast<std::int64_t>(round_up ? std::ceil(seconds) : std::floor(seconds));
  if (whole < 60) return fmt::format("{} s", whole);
  if (whole < 3600) {
    auto minutes = whole / 60, rest = whole % 60;
    return rest == 0 ? fmt::format("{} min", minutes) : fmt::format("{} min {} s", minutes, rest);
  }
  if (round_up) whole = (whole + 59) / 60 * 60;
  auto hours = whole / 3600, minutes = whole % 3600 / 60;
  return minutes == 0 ? fmt::format("{} h", hours) : fmt::format("{} h {} min", hours, minutes);
}

std::optional<double> ParseDouble(const Json& value) {
  if (value.is_number()) return value.get<double>();
  if (!value.is_string()) return std::nullopt;
  const auto& text = value.get_ref<const std::string&>();
  double result = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), result);
  if (error != std::errc() || end != text.data() + text.size() || !std::isfinite(result)) return std::nullopt;
  return result;
}

std::optional<double> ParseDouble(std::string_view text) {
  double result = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), result);
  if (error != std::errc() || end != text.data() + text.size() || !std::isfinite(result)) return std::nullopt;
  return result;
}

// "30000/1001" or "4:3"; nullopt for "0/0", "N/A" and the like.
std::optional<double> ParseRatio(const Json& value, char separator) {
  if (!value.is_string()) return std::nullopt;
  std::string_view text = value.get_ref<const std::string&>();
  auto at = text.find(separator);
  if (at == std::string_view::npos) return std::nullopt;
  auto num = ParseDouble(text.substr(0, at));
  auto den = ParseDouble(text.substr(at + 1));
  if (!num || !den || *num <= 0 || *den <= 0) return std::nullopt;
  return *num / *den;
}

const Json& Field(const Json& object, const char* name) {
  static const Json kNull;
  if (!object.is_object()) return kNull;
  auto it = object.find(name);
  return it == object.end() ? kNull : *it;
}

std::string StringField(const Json& object, const char* name) {
  const Json& value = Field(object, name);
  return value.is_string() ? value.get<std::string>() : std::string();
}

int IntField(const Json& object, const char* name) {
  const Json& value = Field(object, name);
  return value.is_number_integer() ? value.get<int>() : 0;
}

// Runs ffprobe under one deadline shared by all of Probe's runs.
class ProbeRunner {
 public:
  ProbeRunner(fs::path file, std::chrono::seconds timeout, std::int64_t max_pixels)
      : file_(std::move(file)),
        timeout_(timeout),
        deadline_(Clock::now() + timeout),
        max_pixels_(max_pixels) {}

  ProcessResult Run(std::vector<std::string> args, ProcessLineCallback on_line = {}) const {
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline_ - Clock::now());
    if (left <= std::chrono::milliseconds::zero()) TooSlow();
    ProcessOptions process;
    // -max_pixels: the decoders that ffprobe opens to fill in stream details refuse a
    // picture above the limit before allocating it (a header can claim 30000x30000).
    process.argv = {"ffprobe",
                    "-v",
                    "error",
                    "-hide_banner",
                    "-protocol_whitelist",
                    "file",
                    "-format_whitelist",
                    kAllowedDemuxers,
                    "-max_pixels",
                    std::to_string(max_pixels_)};
    process.argv.insert(process.argv.end(), args.begin(), args.end());
    // "file:" so that a name such as "concat:…" or "a:b" can never select another protocol.
    process.argv.push_back("file:" + fs::absolute(file_).string());
    process.timeout = left;
    process.max_stdout_bytes = on_line ? 64 * 1024 : 4 * 1024 * 1024;
    process.max_stderr_bytes = kMaxStderrBytes;
    process.on_stdout_line = std::move(on_line);
    // The timeout is the real limit; this one stops a spinning demuxer whatever happens
    // to the wall clock. Decoder threads may burn CPU faster than one core.
    process.limits.cpu_seconds = 2 * static_cast<std::uint64_t>(timeout_.count()) + 1;
    process.limits.file_size_bytes = 0;  // ffprobe writes only to pipes
    auto result = RunProcess(process);
    if (result.timed_out) TooSlow();
    return result;
  }

 private:
  [[noreturn]] void TooSlow() const {
    spdlog::info("probe of {} timed out after {} s", file_.string(), timeout_.count());
    throw MediaRejected("damaged", "The file could not be read in time; it may be damaged.");
  }

  fs::path file_;
  std::chrono::seconds timeout_;
  Clock::time_point deadline_;
  std::int64_t max_pixels_;
};

struct StreamEnd {
  std::int64_t packets = 0;  // of the video stream
  double end = -1;           // latest pts + duration over the video and audio packets, seconds
};

// Reads packet timestamps (not the data's content) of the video and audio stream, from
// `from` seconds (a seek) or from the start, to the end of the file.
StreamEnd ScanPackets(const ProbeRunner& runner, const MediaInfo& info, std::optional<double> from) {
  StreamEnd found;
  auto on_line = [&](std::string_view line) {
    int stream = -1;
    std::optional<double> pts, dts, duration;
    while (!line.empty()) {
      auto bar = line.find('|');
      std::string_view item = line.substr(0, bar);
      line = bar == std::string_view::npos ? std::string_view() : line.substr(bar + 1);
      auto equals = item.find('=');
      if (equals == std::string_view::npos) continue;
      auto key = item.substr(0, equals), value = item.substr(equals + 1);
      if (key == "stream_index") {
        std::from_chars(value.data(), value.data() + value.size(), stream);
      } else if (key == "pts_time") {
        pts = ParseDouble(value);
      } else if (key == "dts_time") {
        dts = ParseDouble(value);
      } else if (key == "duration_time") {
        duration = ParseDouble(value);
      }
    }
    if (stream != info.video_stream && stream != info.audio_stream) return;
    if (stream == info.video_stream) ++found.packets;
    auto at = pts ? pts : dts;
    if (at) found.end = std::max(found.end, *at + std::max(0.0, duration.value_or(0)));
  };
  std::vector<std::string> args;
  if (from) args = {"-read_intervals", fmt::format("{:.3f}%", *from)};
  for (const char* arg :
       {"-show_entries", "packet=stream_index,pts_time,dts_time,duration_time", "-of", "compact=p=0"})
    args.push_back(arg);
  auto result = runner.Run(std::move(args), on_line);
  // A cut-off file makes ffprobe report the error it stopped at, and still exit 0 or 1;
  // what was read up to there is what counts.
  if (!result.ok())
    spdlog::debug("packet scan: ffprobe {}: {}", result.Describe(), LastLine(result.stderr_text));
  return found;
}

struct Level {
  int idc;
  std::int64_t max_macroblocks_per_second;
  std::int64_t max_frame_macroblocks;
  std::int64_t max_high_kbps;  // High profile: 1.25x the Main/Baseline cap (Table A-1)
};
constexpr std::array<Level, 12> kLevels = {{{13, 11880, 396, 960},
                                            {20, 11880, 396, 2500},
                                            {21, 19800, 792, 5000},
                                            {22, 20250, 1620, 5000},
                                            {30, 40500, 1620, 12500},
                                            {31, 108000, 3600, 17500},
                                            {32, 216000, 5120, 25000},
                                            {40, 245760, 8192, 25000},
                                            {41, 245760, 8192, 62500},
                                            {42, 522240, 8704, 62500},
                                            {50, 589824, 22080, 168750},
                                            {51, 983040, 36864, 300000}}};

// The lowest H.264 level that fits; x264 picks the same way. Only PlanLadder's estimate:
// Transcode reports what the encoder actually wrote.
int LevelFor(int width, int height, double fps, int kbps) {
  const std::int64_t frame = std::int64_t((width + 15) / 16) * ((height + 15) / 16);
  const auto per_second = static_cast<std::int64_t>(std::ceil(static_cast<double>(frame) * fps));
  for (const auto& level : kLevels)
    if (frame <= level.max_frame_macroblocks && per_second <= level.max_macroblocks_per_second &&
        kbps <= level.max_high_kbps)
      return level.idc;
  return 52;
}

int EvenRound(double value) { return std::max(2, 2 * static_cast<int>(std::lround(value / 2))); }

// Sources above 60 fps are halved when that lands at or below 60 (119.88 -> 59.94,
// 100 -> 50: every other frame, no judder), else capped at 60.
double OutputFrameRate(double source) {
  if (!(source > 0) || source > 1000) return 30;
  if (source <= 60) return std::max(source, 1.0);
  if (source / 2 <= 60) return source / 2;
  return 60;
}

// A rate for the fps filter: exact NTSC fractions, else milli-fps.
std::string FrameRateArg(double fps) {
  for (int base : {24, 30, 48, 60, 120})
    if (std::abs(fps - base * 1000.0 / 1001) < 0.005) return fmt::format("{}/1001", base * 1000);
  if (std::abs(fps - std::round(fps)) < 0.005) return std::to_string(std::lround(fps));
  return fmt::format("{}/1000", std::lround(fps * 1000));
}

std::string CodecsFor(int width, int height, double fps, int kbps, bool audio) {
  auto codecs = fmt::format("avc1.6400{:02x}", LevelFor(width, height, fps, kbps));
  if (audio) codecs += ",mp4a.40.2";  // AAC-LC
  return codecs;
}

struct RungSpec {
  int short_side;
  int kbps;  // 16:9 at up to 30 fps
};
constexpr std::array<RungSpec, 7> kRungs = {
    {{240, 400}, {360, 800}, {480, 1400}, {720, 2800}, {1080, 5000}, {1440, 9000}, {2160, 16000}}};
constexpr int kAudioKbps = 128;

Rendition MakeRendition(const MediaInfo& info, int short_side, int base_kbps, double fps) {
  const bool portrait = info.height > info.width;
  const int source_short = std::min(info.width, info.height);
  const int source_long = std::max(info.width, info.height);
  const int long_side = EvenRound(static_cast<double>(short_side) * source_long / source_short);
  Rendition r;
  r.name = std::to_string(short_side) + "p";
  r.width = portrait ? short_side : long_side;
  r.height = portrait ? long_side : short_side;
  // Bits follow the pixel count: a 4:3 rung needs fewer than the 16:9 one it is named after.
  const double nominal_pixels = static_cast<double>(short_side) * EvenRound(short_side * 16.0 / 9);
  const double pixel_ratio = std::clamp(static_cast<double>(r.width) * r.height / nominal_pixels, 0.5, 2.0);
  const double rate_factor = fps > 30.5 ? 1.5 : 1.0;
  r.video_kbps = static_cast<int>(std::lround(base_kbps * pixel_ratio * rate_factor / 10.0) * 10);
  r.audio_kbps = info.has_audio ? kAudioKbps : 0;
  // Nominal until measured: both caps plus ~10% for fMP4 and the audio's own overhead.
  r.bandwidth = static_cast<std::uint64_t>(r.video_kbps + r.audio_kbps) * 1100;
  r.codecs = CodecsFor(r.width, r.height, fps, r.video_kbps, info.has_audio);
  return r;
}

// ---- Transcode helpers ----

bool SafeRenditionName(const std::string& name) {
  return !name.empty() && name.size() <= 32 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

// FFmpeg treats % in segment and image names as a pattern.
std::string EscapePercent(const std::string& path) {
  std::string out;
  for (char c : path) {
    out += c;
    if (c == '%') out += '%';
  }
  return out;
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void WriteFileAtomically(const fs::path& path, const std::string& text) {
  fs::path temp = path;
  temp += ".tmp";
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) throw std::runtime_error("cannot write " + temp.string());
  }
  fs::rename(temp, path);
}

struct Segment {
  std::string uri;
  double duration = 0;
};

struct MediaPlaylist {
  std::string map_uri;
  std::vector<Segment> segments;
  bool ended = false;
};

MediaPlaylist ReadMediaPlaylist(const fs::path& path) {
  MediaPlaylist playlist;
  std::istringstream in(ReadFile(path));
  std::string line;
  double pending = 0;  // not an optional: GCC 12 warns (wrongly) that it may be uninitialised
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.starts_with("#EXTINF:")) {
      std::string_view value(line);
      value.remove_prefix(8);
      pending = ParseDouble(value.substr(0, value.find(','))).value_or(0);
    } else if (line.starts_with("#EXT-X-MAP:URI=\"")) {
      auto start = line.find('"') + 1;
      playlist.map_uri = line.substr(start, line.find('"', start) - start);
    } else if (line == "#EXT-X-ENDLIST") {
      playlist.ended = true;
    } else if (!line.empty() && line[0] != '#') {
      playlist.segments.push_back({line, pending});
      pending = 0;
    }
  }
  return playlist;
}

// "avc1.PPCCLL" from the avcC box of an init segment: profile, constraint flags, level as
// the encoder wrote them. nullopt when there is no avcC.
std::optional<std::string> ReadAvcCodec(const fs::path& init) {
  const std::string data = ReadFile(init);
  for (auto at = data.find("avcC"); at != std::string::npos; at = data.find("avcC", at + 1)) {
    if (at + 8 > data.size() || data[at + 4] != 1) continue;  // configurationVersion is 1
    auto byte = [&](std::size_t i) { return static_cast<unsigned char>(data[at + 4 + i]); };
    return fmt::format("avc1.{:02x}{:02x}{:02x}", byte(1), byte(2), byte(3));
  }
  return std::nullopt;
}

std::string VttTime(double seconds) {
  auto ms = static_cast<std::int64_t>(std::llround(seconds * 1000));
  return fmt::format("{:02}:{:02}:{:02}.{:03}", ms / 3600000, ms / 60000 % 60, ms / 1000 % 60, ms % 1000);
}

// The sprite sheets' geometry, shared by the filter graph and the WebVTT index.
struct SpritePlan {
  double interval = 1;  // seconds between thumbnails
  int tile_width = 160;
  int tile_height = 90;
  static constexpr int kColumns = 10;
  static constexpr int kRows = 10;
};

SpritePlan PlanSprites(const MediaInfo& info) {
  SpritePlan plan;
  // One thumbnail a second, at most ~100 in all; whole milliseconds so that the fps
  // filter and the cue times agree exactly.
  plan.interval = std::max(1.0, std::round(info.duration_seconds / 100 * 1000) / 1000);
  plan.tile_height = EvenRound(static_cast<double>(plan.tile_width) * info.height / info.width);
  return plan;
}

struct PosterPlan {
  double start = 0;
  int frames = 1;  // the thumbnail filter picks the most typical frame of these
  int width = 0;
  int height = 0;
};

PosterPlan PlanPoster(const MediaInfo& info, double fps) {
  PosterPlan plan;
  // ~10% in skips the black or title frames most videos open with; very short clips
  // start at 0 so the window cannot miss every frame.
  plan.start = info.duration_seconds >= 2 ? 0.1 * info.duration_seconds : 0;
  plan.frames = std::clamp(static_cast<int>(std::lround(fps)), 1, 30);
  plan.width = std::min(info.width - info.width % 2, 1280);
  plan.height = EvenRound(static_cast<double>(plan.width) * info.height / info.width);
  return plan;
}

std::chrono::seconds EffectiveTimeout(const MediaInfo& info, const TranscodeOptions& options) {
  if (options.timeout > std::chrono::seconds::zero()) return options.timeout;
  return std::chrono::seconds(600 + static_cast<std::int64_t>(std::ceil(20 * info.duration_seconds)));
}

void ValidateOptions(const MediaInfo& info, const TranscodeOptions& options) {
  if (info.video_stream < 0 || info.width <= 0 || info.height <= 0 || !(info.duration_seconds > 0))
    throw std::invalid_argument("Transcode: the MediaInfo does not come from Probe");
  if (options.ladder.empty()) throw std::invalid_argument("Transcode: the ladder is empty");
  if (!(options.segment_seconds >= 1 && options.segment_seconds <= 30))
    throw std::invalid_argument("Transcode: segment_seconds must be 1 to 30");
  std::vector<std::string> names;
  for (const auto& r : options.ladder) {
    if (!SafeRenditionName(r.name) || r.name == "master" || r.name.starts_with("previews"))
      throw std::invalid_argument("Transcode: bad rendition name '" + r.name + "'");
    if (r.width < 2 || r.height < 2 || r.width % 2 || r.height % 2 || r.width > 8192 || r.height > 8192)
      throw std::invalid_argument("Transcode: rendition " + r.name + " needs an even size up to 8192");
    if (r.video_kbps <= 0 || r.audio_kbps < 0)
      throw std::invalid_argument("Transcode: rendition " + r.name + " needs a video bitrate");
    names.push_back(r.name);
  }
  std::sort(names.begin(), names.end());
  if (std::adjacent_find(names.begin(), names.end()) != names.end())
    throw std::invalid_argument("Transcode: rendition names must be unique");
}

// Empties the output dir on the way out unless disarmed: a failed transcode leaves
// nothing half-written for the caller to mistake for a result.
class OutputGuard {
 public:
  explicit OutputGuard(fs::path dir) : dir_(std::move(dir)) {}
  ~OutputGuard() {
    if (armed_) Clear();
  }
  OutputGuard(const OutputGuard&) = delete;
  OutputGuard& operator=(const OutputGuard&) = delete;
  void Disarm() { armed_ = false; }

 private:
  void Clear() noexcept {
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(dir_, error)) fs::remove_all(entry.path(), error);
    if (error)
      spdlog::warn("could not empty {} after a failed transcode: {}", dir_.string(), error.message());
  }

  fs::path dir_;
  bool armed_ = true;
};

// FFmpeg failed because of the machine, not the file: the caller may retry later.
bool IsServerSideFailure(std::string_view stderr_text) {
  for (std::string_view marker : {"No space left on device", "Cannot allocate memory", "Permission denied",
                                  "File too large", "Read-only file system", "Too many open files"})
    if (stderr_text.find(marker) != std::string_view::npos) return true;
  return false;
}

}  // namespace

MediaInfo Probe(const fs::path& file, const ProbeLimits& limits, std::chrono::seconds timeout) {
  if (timeout <= std::chrono::seconds::zero())
    throw std::invalid_argument("Probe: the timeout must be positive");
  const auto status = fs::status(file);
  if (!fs::exists(status))
    throw fs::filesystem_error("cannot probe", file,
                               std::make_error_code(std::errc::no_such_file_or_directory));
  if (!fs::is_regular_file(status)) throw MediaRejected("not_media", kNotMedia);
  if (fs::file_size(file) == 0) throw MediaRejected("empty", "The file is empty.");

  // 4x the largest accepted picture: a file a little too large still probes, and gets
  // the "too large" answer; only absurd sizes fail in the decoder.
  const ProbeRunner runner(file, timeout, 4 * std::int64_t{limits.max_width} * limits.max_height);
  auto probe = runner.Run({"-show_format", "-show_streams", "-of", "json"});
  const auto report = Json::parse(probe.stdout_text, nullptr, /*allow_exceptions=*/false);
  if (!probe.ok() || probe.stdout_truncated || !report.is_object()) {
    spdlog::info("probe refused {}: ffprobe {}: {}", file.string(), probe.Describe(),
                 LastLine(probe.stderr_text));
    throw MediaRejected("not_media", kNotMedia);
  }
  const Json& format = Field(report, "format");
  const Json& streams = Field(report, "streams");
  if (!format.is_object() || !streams.is_array()) throw MediaRejected("not_media", kNotMedia);

  MediaInfo info;
  info.container = StringField(format, "format_name");
  const Json* video = nullptr;
  const Json* audio = nullptr;
  bool cover_art = false;
  for (const Json& stream : streams) {
    const std::string type = StringField(stream, "codec_type");
    const Json& disposition = Field(stream, "disposition");
    if (type == "video") {
      // An MP3's or M4A's album cover is a "video stream" of one picture.
      if (IntField(disposition, "attached_pic") == 1 || IntField(disposition, "timed_thumbnails") == 1) {
        cover_art = true;
      } else if (!video) {
        video = &stream;
      }
    } else if (type == "audio" && !audio && !StringField(stream, "codec_name").empty() &&
               IntField(stream, "channels") > 0) {
      audio = &stream;
    }
  }
  if (!video) {
    if (cover_art)
      throw MediaRejected("no_video",
                          "The file has only a still picture (such as an album cover), not a video.");
    if (audio) throw MediaRejected("no_video", "The file has only sound, no video track.");
    throw MediaRejected("no_video", "The file has no video track.");
  }
  info.video_stream = IntField(*video, "index");
  info.video_codec = StringField(*video, "codec_name");
  if (info.video_codec.empty() || info.video_codec == "none")
    throw MediaRejected("unsupported_codec", "The video is in a format we cannot decode.");
  if (audio) {
    info.has_audio = true;
    info.audio_stream = IntField(*audio, "index");
    info.audio_codec = StringField(*audio, "codec_name");
  }

  info.coded_width = IntField(*video, "width");
  info.coded_height = IntField(*video, "height");
  if (info.coded_width <= 0 || info.coded_height <= 0)
    throw MediaRejected("damaged", "The video's picture size cannot be read; the file may be damaged.");
  double display_width = info.coded_width;
  if (auto sar = ParseRatio(Field(*video, "sample_aspect_ratio"), ':'); sar && *sar > 0.01 && *sar < 100)
    display_width = info.coded_width * *sar;
  // ffprobe gives the display matrix's angle counterclockwise (what av_display_rotation_get
  // returns); players turn the picture by its opposite. Multiples of 90 only: FFmpeg's
  // autorotate handles nothing else either.
  double counterclockwise = 0;
  for (const Json& side :
       Field(*video, "side_data_list").is_array() ? Field(*video, "side_data_list") : Json::array())
    if (auto angle = ParseDouble(Field(side, "rotation"))) counterclockwise = *angle;
  if (counterclockwise == 0)
    if (auto tag = ParseDouble(Field(Field(*video, "tags"), "rotate"))) counterclockwise = -*tag;
  info.rotation = ((-static_cast<int>(std::lround(counterclockwise / 90)) * 90) % 360 + 360) % 360;
  const int upright_width = std::max(1, static_cast<int>(std::lround(display_width)));
  const bool turned = info.rotation == 90 || info.rotation == 270;
  info.width = turned ? info.coded_height : upright_width;
  info.height = turned ? upright_width : info.coded_height;

  const int long_side = std::max(info.width, info.height);
  const int short_side = std::min(info.width, info.height);
  if (long_side > limits.max_width || short_side > limits.max_height)
    throw MediaRejected("too_large",
                        fmt::format("The video is {}×{} pixels; the largest accepted is {}×{}.", info.width,
                                    info.height, limits.max_width, limits.max_height));

  info.frame_rate = ParseRatio(Field(*video, "avg_frame_rate"), '/')
                        .value_or(ParseRatio(Field(*video, "r_frame_rate"), '/').value_or(0));
  info.bit_rate =
      static_cast<std::uint64_t>(std::max(0.0, ParseDouble(Field(format, "bit_rate")).value_or(0)));

  // What the container says: the streams' own lengths, and for a video stream that
  // declares its frame count (MP4, AVI) that count over the rate. A cut-off AVI has lost
  // its index, and FFmpeg then estimates a short duration from the file size; the frame
  // count in its header still tells the real length.
  const double start = ParseDouble(Field(format, "start_time")).value_or(0);
  double declared = 0;
  for (const Json* stream : {video, audio})
    if (stream) declared = std::max(declared, ParseDouble(Field(*stream, "duration")).value_or(0));
  if (auto frames = ParseDouble(Field(*video, "nb_frames")); frames && info.frame_rate > 0)
    declared = std::max(declared, *frames / info.frame_rate);
  if (declared <= 0) declared = ParseDouble(Field(format, "duration")).value_or(0);
  info.duration_seconds = std::max(declared, ParseDouble(Field(format, "duration")).value_or(0));

  if (info.duration_seconds > limits.max_duration_seconds)
    throw MediaRejected("too_long", fmt::format("The video is {} long; the limit is {}.",
                                                DescribeSeconds(info.duration_seconds, true),
                                                DescribeSeconds(limits.max_duration_seconds)));

  // Does the data go on to the declared end? An upload cut off halfway still probes fine
  // (an MP4 whose index sits at the front describes every frame), so read the packet
  // timestamps of the last seconds. Cheap: a seek and ~10 s of packets, nothing decoded.
  // Only when that finds no video (the cut is before the tail, or the container declares
  // no length, as a browser's MediaRecorder WebM does) is the whole file scanned, to
  // learn where the data really ends.
  StreamEnd tail;
  if (declared > 0) {
    const double from = declared - kTailSeconds;
    tail = ScanPackets(runner, info, from > 5 ? std::optional(start + from) : std::nullopt);
    if (tail.packets == 0 && from > 5) tail = ScanPackets(runner, info, std::nullopt);
  } else {
    tail = ScanPackets(runner, info, std::nullopt);
  }
  if (tail.packets == 0 || tail.end <= start)
    throw MediaRejected("no_frames", "The video track contains no pictures.");
  const double covered = tail.end - start;
  if (declared > 0 && covered < declared - TruncationTolerance(declared))
    throw MediaRejected("truncated",
                        fmt::format("The file is cut off: it ends after {} of the {} it declares.",
                                    DescribeSeconds(covered), DescribeSeconds(declared)));
  if (declared <= 0) info.duration_seconds = covered;
  if (!(info.duration_seconds > 0)) throw MediaRejected("no_duration", "The video has no length.");
  if (info.duration_seconds > limits.max_duration_seconds)
    throw MediaRejected("too_long", fmt::format("The video is {} long; the limit is {}.",
                                                DescribeSeconds(info.duration_seconds, true),
                                                DescribeSeconds(limits.max_duration_seconds)));
  return info;
}

std::vector<Rendition> PlanLadder(const MediaInfo& info) {
  if (info.width <= 0 || info.height <= 0) throw std::invalid_argument("PlanLadder: the video has no size");
  const int source_short = std::min(info.width, info.height);
  const double fps = OutputFrameRate(info.frame_rate);
  std::vector<Rendition> ladder;
  for (const auto& rung : kRungs)
    if (rung.short_side <= source_short)
      ladder.push_back(MakeRendition(info, rung.short_side, rung.kbps, fps));
  if (ladder.empty()) {
    // Below 240p: one rung at the source's own size, never upscaled.
    const int short_side = std::max(2, source_short - source_short % 2);
    ladder.push_back(MakeRendition(info, short_side, kRungs[0].kbps, fps));
  }
  return ladder;
}

std::vector<std::string> BuildFfmpegCommand(const MediaInfo& info, const TranscodeOptions& options,
                                            bool with_images) {
  ValidateOptions(info, options);
  const double fps = OutputFrameRate(info.frame_rate);
  const auto out = fs::absolute(options.output_dir);
  const auto n = options.ladder.size();
  const std::string threads = std::to_string(options.threads);

  // Decode once, make the timing constant-rate once (fps: duplicates or drops frames of a
  // variable-rate phone video to the nominal rate, so every rung gets the very same
  // frames, GOPs are a fixed number of frames and segments line up), then one scaler per
  // rung. The outputs then use -fps_mode passthrough: nothing is duplicated or dropped a
  // second time.
  std::string graph =
      fmt::format("[0:{}]fps={},split={}", info.video_stream, FrameRateArg(fps), n + (with_images ? 2 : 0));
  for (std::size_t i = 0; i < n; ++i) graph += fmt::format("[s{}]", i);
  if (with_images) graph += "[poster_in][sprites_in]";
  for (std::size_t i = 0; i < n; ++i) {
    const auto& r = options.ladder[i];
    graph +=
        fmt::format(";[s{}]scale={}:{}:flags=bicubic,setsar=1,format=yuv420p[v{}]", i, r.width, r.height, i);
  }
  if (with_images) {
    const auto poster = PlanPoster(info, fps);
    const auto sprites = PlanSprites(info);
    // trim ends the branch after the window, so the split stops feeding it. thumbnail
    // picks the frame closest to the window's average, which is never a lone black one.
    //
    // Each image branch starts with a one-frame placeholder (concat): FFmpeg 5.1 reports
    // no progress at all until every output file has written its header, which an image
    // output does at its first frame: 10% in for the poster and, for the sprite sheets,
    // only when the first sheet is full, i.e. at the very end. The poster output keeps
    // its last frame (-update 1) and the placeholder sheet is previews-0.jpg, removed
    // after the run. Images get timestamps 0, 1, 2… in seconds (setpts=N, -r 1): the
    // shifted ones concat gives can collide once rounded to the encoder's time base.
    graph += fmt::format(
        ";[poster_in]trim=start={:.3f}:duration={:.3f},scale={}:{},setsar=1,thumbnail=n={}[poster_real]"
        ";color=c=black:s={}x{}:r=1:d=1,setsar=1[poster_placeholder]"
        ";[poster_placeholder][poster_real]concat=n=2:v=1:a=0,settb=1,setpts=N[poster]",
        poster.start, poster.frames / fps + 0.001, poster.width, poster.height, poster.frames, poster.width,
        poster.height);
    graph += fmt::format(
        ";[sprites_in]fps=1000/{},scale={}:{},setsar=1,tile={}x{}[sprites_real]"
        ";color=c=black:s={}x{}:r=1:d=1,setsar=1[sprites_placeholder]"
        ";[sprites_placeholder][sprites_real]concat=n=2:v=1:a=0,settb=1,setpts=N[sprites]",
        std::lround(sprites.interval * 1000), sprites.tile_width, sprites.tile_height, SpritePlan::kColumns,
        SpritePlan::kRows, sprites.tile_width * SpritePlan::kColumns,
        sprites.tile_height * SpritePlan::kRows);
  }
  if (info.has_audio) {
    // async=1 fills gaps and trims overlaps by the timestamps, so audio stays in sync with
    // the constant-rate video; every rung gets the same stereo AAC.
    graph += fmt::format(
        ";[0:{}]aresample=async=1,aformat=sample_fmts=fltp:sample_rates=48000|44100:channel_layouts=stereo,"
        "asplit={}",
        info.audio_stream, n);
    for (std::size_t i = 0; i < n; ++i) graph += fmt::format("[a{}]", i);
  }

  std::vector<std::string> argv = {options.ffmpeg, "-nostdin", "-hide_banner", "-nostats",
                                   "-v",           "error",    "-progress",    "pipe:1"};
  if (options.threads > 0) argv.insert(argv.end(), {"-threads", threads, "-filter_complex_threads", threads});
  argv.insert(argv.end(), {"-protocol_whitelist", "file", "-format_whitelist", kAllowedDemuxers, "-i",
                           "file:" + fs::absolute(options.input).string(), "-filter_complex", graph});

  const int gop = std::max(1, static_cast<int>(std::lround(fps * options.segment_seconds)));
  const std::string segment = fmt::format("{:g}", options.segment_seconds);
  for (std::size_t i = 0; i < n; ++i) {
    const auto& r = options.ladder[i];
    const auto dir = out / r.name;
    argv.insert(argv.end(), {"-map", fmt::format("[v{}]", i)});
    if (info.has_audio) argv.insert(argv.end(), {"-map", fmt::format("[a{}]", i)});
    // Capped VBR: CRF quality, but never above maxrate over a 2 s buffer. Keyframes every
    // segment_seconds by time on every rung (forced, scene cuts off, a fixed GOP as long
    // as a segment), so segment N starts at the same instant in every rendition.
    argv.insert(argv.end(), {"-c:v",
                             "libx264",
                             "-preset",
                             options.preset,
                             "-profile:v",
                             "high",
                             "-crf",
                             "23",
                             "-maxrate",
                             fmt::format("{}k", r.video_kbps),
                             "-bufsize",
                             fmt::format("{}k", 2 * r.video_kbps),
                             "-g",
                             std::to_string(gop),
                             "-keyint_min",
                             std::to_string(gop),
                             "-sc_threshold",
                             "0",
                             "-force_key_frames",
                             fmt::format("expr:gte(t,n_forced*{})", segment),
                             "-fps_mode",
                             "passthrough"});
    if (info.has_audio)
      argv.insert(argv.end(),
                  {"-c:a", "aac", "-b:a", fmt::format("{}k", r.audio_kbps > 0 ? r.audio_kbps : kAudioKbps)});
    if (options.threads > 0) argv.insert(argv.end(), {"-threads", threads});
    // The uploader's metadata (GPS position, device, names) does not go out with the video.
    argv.insert(argv.end(), {"-map_metadata", "-1", "-map_chapters", "-1"});
    // Absolute paths: a name that starts with "/" can never be read as another protocol.
    argv.insert(argv.end(), {"-f", "hls", "-hls_time", segment, "-hls_playlist_type", "vod",
                             "-hls_segment_type", "fmp4", "-hls_fmp4_init_filename", "init.mp4", "-hls_flags",
                             "independent_segments", "-start_number", "1", "-hls_segment_filename",
                             EscapePercent(dir.string()) + "/seg-%05d.m4s", (dir / "index.m3u8").string()});
  }
  if (with_images) {
    argv.insert(argv.end(), {"-map", "[poster]", "-frames:v", "2", "-r", "1", "-fps_mode", "passthrough",
                             "-c:v", "mjpeg", "-q:v", "3", "-map_metadata", "-1", "-f", "image2", "-update",
                             "1", (out / "thumbnail.jpg").string()});
    argv.insert(argv.end(), {"-map", "[sprites]", "-r", "1", "-fps_mode", "passthrough", "-c:v", "mjpeg",
                             "-q:v", "5", "-map_metadata", "-1", "-f", "image2", "-start_number", "0",
                             EscapePercent(out.string()) + "/previews-%d.jpg"});
  }
  return argv;
}

TranscodeResult Transcode(const MediaInfo& info, const TranscodeOptions& options) {
  ValidateOptions(info, options);
  if (!fs::is_directory(options.output_dir))
    throw std::invalid_argument("Transcode: the output dir does not exist: " + options.output_dir.string());
  if (!fs::is_empty(options.output_dir))
    throw std::invalid_argument("Transcode: the output dir is not empty: " + options.output_dir.string());
  if (options.cancelled && options.cancelled()) throw Cancelled();

  OutputGuard guard(options.output_dir);
  for (const auto& r : options.ladder) fs::create_directory(options.output_dir / r.name);

  const double fps = OutputFrameRate(info.frame_rate);
  const auto timeout = EffectiveTimeout(info, options);
  const double expected_frames = std::max(1.0, info.duration_seconds * fps);
  const auto start = Clock::now();

  ProcessOptions process;
  process.argv = BuildFfmpegCommand(info, options, /*with_images=*/true);
  process.timeout = timeout;
  process.max_stdout_bytes = 4 * 1024;  // progress arrives through the callback
  process.max_stderr_bytes = kMaxStderrBytes;
  process.cancelled = options.cancelled;
  // CPU time can only run ahead of the wall clock by the number of cores, so this never
  // binds before the timeout does; it stops an encoder that keeps spinning if the parent
  // and its wall-clock watch are gone. Files: segments are a few MB, sprites less.
  const unsigned cores = std::max(2u, std::thread::hardware_concurrency());
  process.limits.cpu_seconds = static_cast<std::uint64_t>(timeout.count()) * cores;
  process.limits.file_size_bytes = 4ull * 1024 * 1024 * 1024;

  // Progress: frames encoded by the first rung (it counts frames of the constant-rate
  // graph output) over the frames the duration promises; out_time is no use here because
  // the sprite output's timestamps jump a whole sheet at a time.
  double reported = -1;
  auto last_report = Clock::now();
  std::int64_t frames = 0;
  process.on_stdout_line = [&](std::string_view line) {
    if (line.starts_with("frame=")) {
      std::int64_t value = 0;
      line.remove_prefix(6);
      if (std::from_chars(line.data(), line.data() + line.size(), value).ec == std::errc()) frames = value;
    } else if (line.starts_with("progress=") && options.on_progress) {
      const double percent =
          std::min(99.9, std::floor(1000.0 * static_cast<double>(frames) / expected_frames) / 10);
      const auto now = Clock::now();
      if (percent > reported || now - last_report >= std::chrono::seconds(2)) {
        reported = std::max(reported, percent);
        last_report = now;
        options.on_progress(reported);
      }
    }
  };
  // A cut-off MP4 that slipped past Probe (it only reads timestamps) shows here.
  bool partial_file = false;
  process.on_stderr_line = [&](std::string_view line) {
    if (line.find("partial file") != std::string_view::npos) partial_file = true;
  };

  spdlog::info("transcode {}: {} rendition(s), {:.1f} s at {:.3g} fps", options.input.string(),
               options.ladder.size(), info.duration_seconds, fps);
  const ProcessResult result = RunProcess(process);
  if (result.cancelled) {
    spdlog::info("transcode {}: cancelled after {} ms", options.input.string(), result.elapsed.count());
    throw Cancelled();
  }
  if (!result.ok()) {
    spdlog::warn("transcode {}: ffmpeg {}: {}", options.input.string(), result.Describe(),
                 LastLine(result.stderr_text));
    if (result.exit_code > 0 && !IsServerSideFailure(result.stderr_text))
      throw MediaRejected("damaged", "The video could not be converted; the file may be damaged.");
    throw Unavailable("transcode_failed", kServerProblem);
  }

  TranscodeResult out;
  for (std::size_t i = 0; i < options.ladder.size(); ++i) {
    Rendition r = options.ladder[i];
    const auto dir = options.output_dir / r.name;
    const auto playlist = ReadMediaPlaylist(dir / "index.m3u8");
    if (!playlist.ended || playlist.segments.empty() || playlist.map_uri != "init.mp4")
      throw Unavailable("transcode_failed", kServerProblem);
    double total_seconds = 0;
    std::uint64_t total_bytes = 0;
    double peak = 0, peak_any = 0;
    for (const auto& segment : playlist.segments) {
      const auto bytes = fs::file_size(dir / segment.uri);
      total_seconds += segment.duration;
      total_bytes += bytes;
      if (segment.duration <= 0) continue;
      const double bits_per_second = 8.0 * static_cast<double>(bytes) / segment.duration;
      peak_any = std::max(peak_any, bits_per_second);
      // A short last segment (a keyframe and little else) would overstate the peak many
      // times over; players size their buffers on full segments.
      if (segment.duration >= 0.5 * options.segment_seconds) peak = std::max(peak, bits_per_second);
    }
    if (peak == 0) peak = peak_any;
    const double average = total_seconds > 0 ? 8.0 * static_cast<double>(total_bytes) / total_seconds : peak;
    peak = std::max(peak, average);
    r.bandwidth = static_cast<std::uint64_t>(std::ceil(peak));
    r.average_bandwidth = static_cast<std::uint64_t>(std::ceil(average));
    const auto avc = ReadAvcCodec(dir / "init.mp4");
    if (!avc) throw Unavailable("transcode_failed", kServerProblem);
    r.codecs = *avc + (info.has_audio ? ",mp4a.40.2" : "");
    if (i == 0) out.duration_seconds = total_seconds;
    out.renditions.push_back(std::move(r));
  }
  if (partial_file &&
      out.duration_seconds < info.duration_seconds - TruncationTolerance(info.duration_seconds))
    throw MediaRejected(
        "truncated",
        fmt::format("The file is cut off: it ends after {} of the {} it declares.",
                    DescribeSeconds(out.duration_seconds), DescribeSeconds(info.duration_seconds)));

  // FFmpeg 5.1's own master playlist lacks CODECS when it cannot tell them and states
  // nominal rates, so we write it from what the encoders produced.
  std::string master = "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n";
  for (const auto& r : out.renditions)
    master += fmt::format(
        "#EXT-X-STREAM-INF:BANDWIDTH={},AVERAGE-BANDWIDTH={},RESOLUTION={}x{},FRAME-RATE={:.3f},CODECS=\"{}"
        "\"\n{}/"
        "index.m3u8\n",
        r.bandwidth, r.average_bandwidth, r.width, r.height, fps, r.codecs, r.name);
  WriteFileAtomically(options.output_dir / "master.m3u8", master);

  if (!fs::exists(options.output_dir / "thumbnail.jpg") ||
      fs::file_size(options.output_dir / "thumbnail.jpg") == 0) {
    spdlog::warn("transcode {}: ffmpeg wrote no poster", options.input.string());
    throw Unavailable("transcode_failed", kServerProblem);
  }
  fs::remove(options.output_dir / "previews-0.jpg");  // the placeholder sheet
  // The seek-preview index: one cue per thumbnail, the last one stretched to the end. A
  // slot less than half an interval before the end may have no frame of its own, so it
  // is folded into the one before; a sheet FFmpeg did not write is not referenced.
  const auto sprites = PlanSprites(info);
  const int per_sheet = SpritePlan::kColumns * SpritePlan::kRows;
  std::string vtt = "WEBVTT\n";
  const auto count = std::max(1, static_cast<int>(std::lround(out.duration_seconds / sprites.interval)));
  for (int k = 0; k < count; ++k) {
    const int sheet = k / per_sheet + 1;
    const auto sheet_name = fmt::format("previews-{}.jpg", sheet);
    if (!fs::exists(options.output_dir / sheet_name)) break;
    const int cell = k % per_sheet;
    const double from = k * sprites.interval;
    const double to = k + 1 == count ? out.duration_seconds : (k + 1) * sprites.interval;
    vtt += fmt::format("\n{} --> {}\n{}#xywh={},{},{},{}\n", VttTime(from), VttTime(to), sheet_name,
                       cell % SpritePlan::kColumns * sprites.tile_width,
                       cell / SpritePlan::kColumns * sprites.tile_height, sprites.tile_width,
                       sprites.tile_height);
  }
  WriteFileAtomically(options.output_dir / "previews.vtt", vtt);

  for (const auto& entry : fs::recursive_directory_iterator(options.output_dir))
    if (entry.is_regular_file())
      out.files.push_back(entry.path().lexically_relative(options.output_dir).generic_string());
  std::sort(out.files.begin(), out.files.end());

  if (options.on_progress) options.on_progress(100);
  guard.Disarm();
  spdlog::info("transcode {}: done in {} ms, {} files", options.input.string(),
               std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count(),
               out.files.size());
  return out;
}

}  // namespace monotube::transcoding
