#pragma once
// The video pipeline on local files: Probe judges an upload by its content, PlanLadder
// picks the renditions, Transcode turns the source into an HLS ladder (CMAF/fMP4
// segments, keyframes aligned across renditions, our own master playlist) plus a
// poster and seek-preview sprites, in ONE FFmpeg run that decodes the source once.
//
// ffprobe and ffmpeg run through RunProcess: no shell, a time limit, rlimits, their own
// process group (killed whole on timeout or cancellation), only the `file` protocol,
// and only the demuxers of real video containers (no playlists, concat lists or image
// patterns that could make FFmpeg read other files).
//
// No database or storage here: the caller gives paths and stores what comes out.
// Thread-safe (no shared state). Probe and Transcode block (Probe: 2-3 ffprobe runs, well
// under a second; Transcode: ~1.5x the video's length for a 1080p source on two cores),
// so call them on the transcoding pool.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "monotube/errors.hpp"

namespace monotube::transcoding {

struct ProbeLimits {
  double max_duration_seconds = 4 * 3600;
  int max_width = 7680;   // the long side of the displayed picture
  int max_height = 4320;  // the short side, so a portrait 4320x7680 is allowed too
};

struct MediaInfo {
  double duration_seconds = 0;
  int width = 0;  // DISPLAY size: rotation applied and sample aspect ratio applied
  int height = 0;
  int coded_width = 0;  // as stored, before rotation and sample aspect ratio
  int coded_height = 0;
  int rotation = 0;         // clockwise degrees to turn the stored picture: 0, 90, 180 or 270
  double frame_rate = 0;    // of the source (average), before any cap
  std::string video_codec;  // FFmpeg's names: "h264", "vp8", …
  bool has_audio = false;
  std::string audio_codec;     // "" without audio
  std::string container;       // FFmpeg's demuxer name: "mov,mp4,m4a,3gp,3g2,mj2", "matroska,webm", …
  std::uint64_t bit_rate = 0;  // of the whole file, bits/s; 0 when unknown
  // FFmpeg's stream indices, so that Transcode maps exactly the streams Probe judged
  // (never an MP3's cover art or a second camera angle).
  int video_stream = -1;
  int audio_stream = -1;  // -1 without audio
};

// A file we refuse, with a reason a person understands ("The file has no video track.").
// code() is short snake_case: not_media, empty, no_video, unsupported_codec, no_duration,
// no_frames, too_long, too_large, truncated, damaged. An UnsupportedMedia (415), so an
// HTTP handler maps it without help.
class MediaRejected : public UnsupportedMedia {
 public:
  MediaRejected(std::string code, const std::string& message) : UnsupportedMedia(std::move(code), message) {}
};

// Transcode stopped because options.cancelled() turned true; FFmpeg is gone and the
// output directory emptied.
class Cancelled : public std::runtime_error {
 public:
  Cancelled() : std::runtime_error("the transcode was cancelled") {}
};

// Reads the file's streams and checks, by content, that it is a complete video we can
// transcode: a known container and video codec, a real video track (not cover art),
// a length, a size within the limits, and data up to the end it declares (an upload
// cut off halfway is refused here, see Probe in transcoding.cpp).
// Throws MediaRejected for content we refuse (a failing or timed-out ffprobe counts as
// the file's fault: not_media / damaged); Unavailable (ProgramNotFound) when ffprobe is
// missing; std::filesystem::filesystem_error when the file does not exist.
MediaInfo Probe(const std::filesystem::path& file, const ProbeLimits& limits = {},
                std::chrono::seconds timeout = std::chrono::seconds(60));

struct Rendition {
  std::string name;    // "720p": also its directory under the output dir
  int width = 0;       // even
  int height = 0;      // even
  int video_kbps = 0;  // the VBV cap (maxrate); the average is lower on easy content
  int audio_kbps = 0;  // 0 without audio
  // Bits/s for the master playlist. PlanLadder: the nominal peak (caps + muxing overhead);
  // in TranscodeResult: the peak measured over the segments (HLS BANDWIDTH).
  std::uint64_t bandwidth = 0;
  std::uint64_t average_bandwidth = 0;  // measured (AVERAGE-BANDWIDTH); 0 in PlanLadder
  std::string codecs;                   // "avc1.64001f,mp4a.40.2"; in TranscodeResult read back from init.mp4
};

// The rungs 240p 360p 480p 720p 1080p 1440p 2160p not above the source, named and sized
// by the SHORT side (as YouTube does), so a portrait 1080x1920 gets 720p = 720x1280. A
// source whose short side is below 240 gets one rung at its own size (named by its
// short side, e.g. "180p"). Widths keep the display aspect ratio; all sizes are even.
// Bitrate caps scale with the pixel count relative to 16:9 and by 1.5 above 30 fps.
std::vector<Rendition> PlanLadder(const MediaInfo& info);

struct TranscodeOptions {
  std::filesystem::path input;
  std::filesystem::path output_dir;  // must exist and be empty
  std::vector<Rendition> ladder;     // usually PlanLadder(info)
  double segment_seconds = 4;
  // 0 = derived from the duration: 10 min + 20x the duration.
  std::chrono::seconds timeout{0};
  // Polled about every 100 ms; true kills FFmpeg (its whole process group), empties the
  // output dir and throws Cancelled.
  std::function<bool()> cancelled;
  // 0..100, non-decreasing, at least every 2 s while FFmpeg runs, 100 once at the end.
  // Called on the calling thread.
  std::function<void(double percent)> on_progress;
  unsigned threads = 0;             // 0 = let FFmpeg decide
  std::string preset = "veryfast";  // libx264 preset; tests use "ultrafast"
  std::string ffmpeg = "ffmpeg";    // looked up in PATH
};

struct TranscodeResult {
  std::vector<Rendition> renditions;  // with measured bandwidth and read-back codecs
  double duration_seconds = 0;        // of the HLS output (sum of the segment durations)
  std::vector<std::string> files;     // every file written, relative to output_dir, sorted
};

// Writes under output_dir, in one FFmpeg run:
//   master.m3u8, <rendition>/index.m3u8, <rendition>/init.mp4, <rendition>/seg-00001.m4s …,
//   thumbnail.jpg (poster, ~10% in, at most 1280 wide), previews.vtt + previews-N.jpg
//   (seek-preview sprites: 160 px wide tiles, 10x10 per sheet).
// Throws MediaRejected when the content turns out to be bad (damaged, cut off);
// Cancelled when cancelled; Unavailable for failures that are not the file's (timeout,
// crash, disk full, ffmpeg missing); std::invalid_argument for bad options. On any
// exception the output dir is left empty.
TranscodeResult Transcode(const MediaInfo& info, const TranscodeOptions& options);

// The ffmpeg argv Transcode runs (with_images = false leaves out the poster and sprite
// branches), for the benchmark and for debugging. Writes nothing.
std::vector<std::string> BuildFfmpegCommand(const MediaInfo& info, const TranscodeOptions& options,
                                            bool with_images = true);

}  // namespace monotube::transcoding
