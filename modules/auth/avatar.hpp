#pragma once
// Avatar images: an uploaded picture becomes a square JPEG, centre-cropped to cover the
// square, re-encoded by FFmpeg (so metadata such as EXIF and GPS is gone), with EXIF
// orientation applied and transparency laid over white.
//
// The upload is judged by its content, never its name: its first bytes must be a JPEG,
// PNG, WebP, GIF or BMP header, whose dimensions are checked before anything decodes
// it (decompression bombs), and ffprobe must then agree that it is that format with
// one video stream. ffprobe and ffmpeg run through RunProcess: no shell, only the
// `file` protocol, a time limit, an address-space limit and no file writes; the
// decoders also refuse frames above max_pixels before allocating them.
//
// Thread-safe (no shared state). Blocks for up to `timeout` (typically ~0.3 s), so call
// it on a worker thread.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>

namespace monotube::auth {

struct AvatarOptions {
  int size = 256;  // edge of the square result, pixels
  std::uint64_t max_file_bytes = 10 * 1024 * 1024;
  std::uint64_t max_dimension = 8192;  // per side
  std::uint64_t max_pixels = 40'000'000;
  std::chrono::milliseconds timeout = std::chrono::seconds(15);  // ffprobe and ffmpeg together
  std::uint64_t memory_limit_bytes = 1024ull * 1024 * 1024;      // RLIMIT_AS of each
  std::string ffprobe = "ffprobe";                               // looked up in PATH
  std::string ffmpeg = "ffmpeg";
};

// The bytes of a size×size baseline JPEG made from the image at `upload` (for a GIF,
// its first frame). Throws:
//  - UnsupportedMedia("invalid_image") when the file is empty, not one of the accepted
//    image formats, damaged, or cannot be converted in time;
//  - PayloadTooLarge("image_too_large") when the file exceeds max_file_bytes or its
//    header declares more than max_dimension per side or max_pixels in all;
//  - Unavailable (ProgramNotFound) when ffprobe or ffmpeg is not installed;
//  - std::filesystem::filesystem_error when `upload` cannot be read at all.
std::string MakeAvatarJpeg(const std::filesystem::path& upload, const AvatarOptions& options = {});

}  // namespace monotube::auth
