#include "modules/auth/avatar.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <fstream>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string_view>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "monotube/errors.hpp"
#include "monotube/process.hpp"

namespace monotube::auth {
namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kNotAnImage =
    "This file is not an image we can use. Please choose a JPEG, PNG, WebP, GIF or BMP picture.";
constexpr const char* kDamaged =
    "This image could not be read; it may be damaged. Please choose another picture.";
constexpr const char* kTooSlow =
    "This image took too long to process. Please choose a simpler or smaller picture.";
constexpr int kMaxJpegSegments = 4096;
constexpr std::size_t kMaxStderrBytes = 8 * 1024;

enum class ImageFormat { kJpeg, kPng, kGif, kWebp, kBmp };

struct FormatInfo {
  const char* demuxer;  // forced with -f, so FFmpeg never guesses from the file name
  const char* codec;    // what ffprobe must report
};

FormatInfo Info(ImageFormat format) {
  switch (format) {
    case ImageFormat::kJpeg:
      return {"jpeg_pipe", "mjpeg"};
    case ImageFormat::kPng:
      return {"png_pipe", "png"};
    case ImageFormat::kGif:
      return {"gif", "gif"};
    case ImageFormat::kWebp:
      return {"webp_pipe", "webp"};
    case ImageFormat::kBmp:
      return {"bmp_pipe", "bmp"};
  }
  throw std::logic_error("unknown image format");
}

struct ImageHeader {
  ImageFormat format = ImageFormat::kJpeg;
  std::uint64_t width = 0;
  std::uint64_t height = 0;
  bool animated_webp = false;
};

std::uint32_t Be16(const unsigned char* p) { return std::uint32_t(p[0]) << 8 | p[1]; }
std::uint32_t Be32(const unsigned char* p) { return Be16(p) << 16 | Be16(p + 2); }
std::uint32_t Le16(const unsigned char* p) { return std::uint32_t(p[1]) << 8 | p[0]; }
std::uint32_t Le24(const unsigned char* p) { return std::uint32_t(p[2]) << 16 | Le16(p); }
std::uint32_t Le32(const unsigned char* p) { return std::uint32_t(p[3]) << 24 | Le24(p); }

// Walks the JPEG segments up to the first frame header (SOFn).
std::optional<ImageHeader> ReadJpegHeader(std::istream& in) {
  ImageHeader header;
  header.format = ImageFormat::kJpeg;
  in.clear();
  in.seekg(2);
  for (int segment = 0; segment < kMaxJpegSegments; ++segment) {
    if (in.get() != 0xFF) return std::nullopt;
    int marker;
    do {
      marker = in.get();
    } while (marker == 0xFF);
    if (marker == EOF) return std::nullopt;
    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) continue;           // markers without a length
    if (marker == 0xD8 || marker == 0xD9 || marker == 0xDA) return std::nullopt;  // no frame before the scan
    unsigned char length_bytes[2];
    if (!in.read(reinterpret_cast<char*>(length_bytes), 2)) return std::nullopt;
    const std::uint32_t length = Be16(length_bytes);
    if (length < 2) return std::nullopt;
    const bool frame = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    if (frame) {
      unsigned char sof[5];  // precision, height, width
      if (length < 7 || !in.read(reinterpret_cast<char*>(sof), sizeof sof)) return std::nullopt;
      header.height = Be16(sof + 1);
      header.width = Be16(sof + 3);
      return header;
    }
    in.seekg(length - 2, std::ios::cur);
    if (!in) return std::nullopt;
  }
  return std::nullopt;
}

// The format and the dimensions the header declares, read without decoding anything:
// this is what stops a decompression bomb before FFmpeg allocates its frame.
std::optional<ImageHeader> SniffImage(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw std::filesystem::filesystem_error("cannot open the upload", path,
                                            std::make_error_code(std::errc::permission_denied));
  std::array<unsigned char, 32> b{};
  in.read(reinterpret_cast<char*>(b.data()), b.size());
  const auto n = static_cast<std::size_t>(in.gcount());
  auto starts = [&](std::string_view magic, std::size_t offset = 0) {
    return n >= offset + magic.size() && std::memcmp(b.data() + offset, magic.data(), magic.size()) == 0;
  };

  ImageHeader header;
  if (starts("\x89PNG\r\n\x1a\n") && starts("IHDR", 12) && n >= 24) {
    header.format = ImageFormat::kPng;
    header.width = Be32(&b[16]);
    header.height = Be32(&b[20]);
    return header;
  }
  if ((starts("GIF87a") || starts("GIF89a")) && n >= 10) {
    header.format = ImageFormat::kGif;
    header.width = Le16(&b[6]);
    header.height = Le16(&b[8]);
    return header;
  }
  if (starts("BM") && n >= 26) {
    header.format = ImageFormat::kBmp;
    const std::uint32_t dib = Le32(&b[14]);
    if (dib == 12) {  // OS/2 BITMAPCOREHEADER
      header.width = Le16(&b[18]);
      header.height = Le16(&b[20]);
    } else if (dib >= 40) {
      auto width = static_cast<std::int32_t>(Le32(&b[18]));
      auto height = static_cast<std::int32_t>(Le32(&b[22]));  // negative = stored top-down
      if (width <= 0 || height == std::numeric_limits<std::int32_t>::min()) return std::nullopt;
      header.width = static_cast<std::uint64_t>(width);
      header.height = static_cast<std::uint64_t>(height < 0 ? -height : height);
    } else {
      return std::nullopt;
    }
    return header;
  }
  if (starts("RIFF") && starts("WEBP", 8) && n >= 30) {
    header.format = ImageFormat::kWebp;
    if (starts("VP8 ", 12) && starts("\x9d\x01\x2a", 23)) {
      header.width = Le16(&b[26]) & 0x3fff;
      header.height = Le16(&b[28]) & 0x3fff;
    } else if (starts("VP8L", 12) && b[20] == 0x2f) {
      const std::uint32_t bits = Le32(&b[21]);
      header.width = (bits & 0x3fff) + 1;
      header.height = ((bits >> 14) & 0x3fff) + 1;
    } else if (starts("VP8X", 12)) {
      header.animated_webp = (b[20] & 0x02) != 0;
      header.width = Le24(&b[24]) + 1;
      header.height = Le24(&b[27]) + 1;
    } else {
      return std::nullopt;
    }
    return header;
  }
  if (starts("\xff\xd8\xff")) return ReadJpegHeader(in);
  return std::nullopt;
}

void CheckDimensions(std::uint64_t width, std::uint64_t height, const AvatarOptions& options) {
  if (width <= options.max_dimension && height <= options.max_dimension &&
      width * height <= options.max_pixels)
    return;
  throw PayloadTooLarge("image_too_large",
                        "This image is " + std::to_string(width) + "×" + std::to_string(height) +
                            " pixels; the largest accepted is " + std::to_string(options.max_dimension) +
                            "×" + std::to_string(options.max_dimension) + " and " +
                            std::to_string(options.max_pixels / 1'000'000) + " megapixels.");
}

std::string DescribeBytes(std::uint64_t bytes) {
  if (bytes >= 1024 * 1024) return std::to_string(bytes / (1024 * 1024)) + " MiB";
  if (bytes >= 1024) return std::to_string(bytes / 1024) + " KiB";
  return std::to_string(bytes) + " bytes";
}

std::string LastLine(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  auto newline = text.rfind('\n');
  return std::string(newline == std::string_view::npos ? text : text.substr(newline + 1));
}

class ToolRunner {
 public:
  explicit ToolRunner(const AvatarOptions& options)
      : options_(options), deadline_(Clock::now() + options.timeout) {}

  ProcessResult Run(std::vector<std::string> argv, std::size_t max_stdout_bytes) const {
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline_ - Clock::now());
    if (left <= std::chrono::milliseconds::zero()) throw UnsupportedMedia("invalid_image", kTooSlow);
    ProcessOptions process;
    process.argv = std::move(argv);
    process.timeout = left;
    process.max_stdout_bytes = max_stdout_bytes;
    process.max_stderr_bytes = kMaxStderrBytes;
    process.limits.address_space_bytes = options_.memory_limit_bytes;
    // The wall-clock timeout is the real limit; this one stops a spinning decoder even
    // if the caller's timeout is generous. Two threads may burn CPU twice as fast.
    process.limits.cpu_seconds = 2 * std::chrono::ceil<std::chrono::seconds>(options_.timeout).count() + 1;
    process.limits.file_size_bytes = 0;  // the tools write only to pipes, never to a file
    return RunProcess(process);
  }

 private:
  const AvatarOptions& options_;
  Clock::time_point deadline_;
};

[[noreturn]] void Refuse(const char* tool, const ProcessResult& result) {
  spdlog::info("avatar refused: {} {}: {}", tool, result.Describe(), LastLine(result.stderr_text));
  throw UnsupportedMedia("invalid_image", result.timed_out ? kTooSlow : kDamaged);
}

}  // namespace

std::string MakeAvatarJpeg(const std::filesystem::path& upload, const AvatarOptions& options) {
  if (options.size < 1 || options.size > 4096)
    throw std::invalid_argument("MakeAvatarJpeg: size must be 1 to 4096");
  const ToolRunner tools(options);
  const std::uint64_t bytes = std::filesystem::file_size(upload);
  if (bytes == 0)
    throw UnsupportedMedia("invalid_image",
                           "This file is empty. Please choose a JPEG, PNG, WebP, GIF or BMP picture.");
  if (bytes > options.max_file_bytes)
    throw PayloadTooLarge("image_too_large", "This image file is larger than " +
                                                 DescribeBytes(options.max_file_bytes) +
                                                 ". Please choose a smaller picture.");
  const auto header = SniffImage(upload);
  if (!header || header->width == 0 || header->height == 0)
    throw UnsupportedMedia("invalid_image", kNotAnImage);
  CheckDimensions(header->width, header->height, options);
  if (header->animated_webp)
    throw UnsupportedMedia("invalid_image",
                           "Animated WebP images cannot be used. Please choose a still picture.");

  const FormatInfo format = Info(header->format);
  // "file:" so that a name such as "concat:…" or "a:b" can never select another protocol.
  const std::string input = "file:" + std::filesystem::absolute(upload).string();
  const std::string max_pixels = std::to_string(options.max_pixels);

  auto probe = tools.Run({options.ffprobe, "-v", "error", "-hide_banner", "-protocol_whitelist", "file", "-f",
                          format.demuxer, "-max_pixels", max_pixels, "-show_entries",
                          "stream=codec_type,codec_name,width,height", "-of", "json", input},
                         64 * 1024);
  if (!probe.ok()) Refuse("ffprobe", probe);
  const auto report = nlohmann::json::parse(probe.stdout_text, nullptr, /*allow_exceptions=*/false);
  const auto streams =
      report.is_object() && report.contains("streams") ? report["streams"] : nlohmann::json();
  auto field = [&](const char* name) {
    const auto& stream = streams[0];
    return stream.contains(name) ? stream[name] : nlohmann::json();
  };
  if (!streams.is_array() || streams.size() != 1 || !streams[0].is_object() ||
      field("codec_type") != "video" || field("codec_name") != format.codec)
    throw UnsupportedMedia("invalid_image", kNotAnImage);
  const auto width = field("width").is_number_unsigned() ? field("width").get<std::uint64_t>() : 0;
  const auto height = field("height").is_number_unsigned() ? field("height").get<std::uint64_t>() : 0;
  if (width == 0 || height == 0) {
    spdlog::info("avatar refused: ffprobe found no picture size: {}", LastLine(probe.stderr_text));
    throw UnsupportedMedia("invalid_image", kDamaged);
  }
  CheckDimensions(width, height, options);

  // Cover the square (scale up to fill, crop the middle), over white for transparency.
  // ffmpeg turns a JPEG upright by its EXIF orientation itself (autorotate, on by default).
  const std::string size = std::to_string(options.size);
  const std::string graph = "color=c=white:s=" + size + "x" + size + "[bg];[0:v]scale=" + size + ":" + size +
                            ":force_original_aspect_ratio=increase:flags=lanczos,crop=" + size + ":" + size +
                            "[fg];[bg][fg]overlay=shortest=1:format=auto,format=yuvj420p[out]";
  // Few threads: each one reserves stack address space under RLIMIT_AS, and an avatar
  // is a single small frame.
  std::vector<std::string> argv = {options.ffmpeg, "-nostdin", "-hide_banner", "-v", "error"};
  argv.insert(argv.end(), {"-threads", "2", "-filter_threads", "1", "-protocol_whitelist", "file"});
  argv.insert(argv.end(), {"-f", format.demuxer, "-max_pixels", max_pixels, "-i", input});
  argv.insert(argv.end(), {"-filter_complex", graph, "-map", "[out]", "-frames:v", "1"});
  argv.insert(argv.end(), {"-map_metadata", "-1", "-fflags", "+bitexact", "-flags:v", "+bitexact"});
  argv.insert(argv.end(), {"-threads", "1", "-c:v", "mjpeg", "-q:v", "3", "-f", "mjpeg", "pipe:1"});
  auto convert = tools.Run(std::move(argv), 8 * 1024 * 1024);
  if (!convert.ok()) Refuse("ffmpeg", convert);
  const std::string& jpeg = convert.stdout_text;
  if (convert.stdout_truncated || jpeg.size() < 4 || !jpeg.starts_with("\xff\xd8") ||
      !jpeg.ends_with("\xff\xd9")) {
    spdlog::info("avatar refused: ffmpeg produced no complete JPEG ({} bytes): {}", jpeg.size(),
                 LastLine(convert.stderr_text));
    throw UnsupportedMedia("invalid_image", kDamaged);
  }
  return std::move(convert.stdout_text);
}

}  // namespace monotube::auth
