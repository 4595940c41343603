#include "modules/auth/avatar.hpp"

#include <array>
#include <fstream>
#include <numeric>
#include <sstream>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "monotube/errors.hpp"
#include "monotube/process.hpp"

#include "support/temp_dir.hpp"

using monotube::PayloadTooLarge;
using monotube::RunProcess;
using monotube::UnsupportedMedia;
using monotube::auth::AvatarOptions;
using monotube::auth::MakeAvatarJpeg;
using namespace std::chrono_literals;

namespace {

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

const fs::path kSharedMedia = fs::path(MONOTUBE_SOURCE_DIR) / ".." / "shared" / "media";

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void WriteFile(const fs::path& path, std::string_view bytes) {
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// Renders a lavfi source into an image file with the real ffmpeg.
fs::path MakeImage(const monotube::test::TempDir& dir, const std::string& name, const std::string& source,
                   std::vector<std::string> extra = {}, int frames = 1) {
  std::vector<std::string> argv = {"ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", source};
  argv.insert(argv.end(), extra.begin(), extra.end());
  for (const std::string& arg : {std::string("-frames:v"), std::to_string(frames), (dir / name).string()})
    argv.push_back(arg);
  monotube::ProcessOptions options;
  options.argv = argv;
  auto result = RunProcess(options);
  INFO(result.stderr_text);
  REQUIRE(result.ok());
  return dir / name;
}

struct Probed {
  std::string codec;
  int width = 0;
  int height = 0;
};

// What ffprobe makes of the avatar bytes.
Probed Probe(const monotube::test::TempDir& dir, const std::string& jpeg) {
  WriteFile(dir / "result.jpg", jpeg);
  monotube::ProcessOptions options;
  options.argv = {"ffprobe",
                  "-v",
                  "error",
                  "-show_entries",
                  "stream=codec_name,width,height",
                  "-of",
                  "json",
                  (dir / "result.jpg").string()};
  auto result = RunProcess(options);
  REQUIRE(result.ok());
  auto stream = nlohmann::json::parse(result.stdout_text).at("streams").at(0);
  return {stream.at("codec_name").get<std::string>(), stream.at("width").get<int>(),
          stream.at("height").get<int>()};
}

// The avatar as 256×256 grey levels, row by row.
std::string GreyPixels(const monotube::test::TempDir& dir, const std::string& jpeg) {
  WriteFile(dir / "grey.jpg", jpeg);
  monotube::ProcessOptions options;
  options.argv = {"ffmpeg", "-nostdin", "-v",       "error", "-i",    (dir / "grey.jpg").string(),
                  "-f",     "rawvideo", "-pix_fmt", "gray",  "pipe:1"};
  auto result = RunProcess(options);
  REQUIRE(result.ok());
  REQUIRE(result.stdout_text.size() == 256 * 256);
  return result.stdout_text;
}

double MeanGrey(const std::string& pixels, int x0, int y0, int x1, int y1) {
  double sum = 0;
  for (int y = y0; y < y1; ++y)
    for (int x = x0; x < x1; ++x) sum += static_cast<unsigned char>(pixels[y * 256 + x]);
  return sum / ((x1 - x0) * (y1 - y0));
}

void RequireAvatar(const monotube::test::TempDir& dir, const std::string& jpeg) {
  REQUIRE(jpeg.starts_with("\xff\xd8"));
  auto probed = Probe(dir, jpeg);
  CHECK(probed.codec == "mjpeg");
  CHECK(probed.width == 256);
  CHECK(probed.height == 256);
  // Re-encoded: no EXIF, no comment naming the encoder.
  CHECK(jpeg.find("Exif") == std::string::npos);
  CHECK(jpeg.find("Lavc") == std::string::npos);
}

std::uint32_t Crc32(std::string_view bytes) {
  std::uint32_t crc = 0xffffffff;
  for (unsigned char byte : bytes) {
    crc ^= byte;
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xedb88320 & (0 - (crc & 1)));
  }
  return ~crc;
}

std::string Be32(std::uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
          static_cast<char>(v)};
}

// A real PNG whose IHDR now claims width×height, with a correct CRC: a decompression bomb's header.
std::string PngClaiming(const std::string& png, std::uint32_t width, std::uint32_t height) {
  std::string out = png;
  out.replace(16, 4, Be32(width));
  out.replace(20, 4, Be32(height));
  out.replace(29, 4, Be32(Crc32(std::string_view(out).substr(12, 17))));
  return out;
}

template <class Error>
std::string CodeOf(const fs::path& file, const AvatarOptions& options = {}) {
  try {
    MakeAvatarJpeg(file, options);
  } catch (const Error& e) {
    return e.code();
  }
  return "no error";
}

}  // namespace

TEST_CASE("MakeAvatarJpeg converts PNG, JPEG, WebP, GIF and BMP to a 256x256 JPEG", "[avatar]") {
  monotube::test::TempDir dir;
  // Names without extensions: the content decides, never the name.
  std::vector<fs::path> images = {
      MakeImage(dir, "png", "testsrc2=s=640x480", {"-f", "image2", "-c:v", "png"}),
      MakeImage(dir, "jpeg", "testsrc2=s=640x480", {"-f", "image2", "-c:v", "mjpeg"}),
      MakeImage(dir, "webp", "testsrc2=s=640x480", {"-f", "webp", "-c:v", "libwebp"}),
      MakeImage(dir, "gif", "testsrc2=s=640x480:r=10", {"-f", "gif"}, 5),  // animated: the first frame
      MakeImage(dir, "bmp", "testsrc2=s=640x480", {"-f", "image2", "-c:v", "bmp"}),
      MakeImage(dir, "webp-lossless", "testsrc2=s=300x200",
                {"-f", "webp", "-c:v", "libwebp", "-lossless", "1"}),
  };
  for (const auto& image : images) {
    INFO(image.filename());
    RequireAvatar(dir, MakeAvatarJpeg(image));
  }
}

TEST_CASE("MakeAvatarJpeg handles tall, odd and tiny images", "[avatar]") {
  monotube::test::TempDir dir;
  // White top and bottom thirds, black middle: covering the square keeps only the middle.
  auto tall = MakeImage(dir, "tall.png", "color=c=black:s=100x900",
                        {"-vf", "drawbox=y=0:h=300:c=white:t=fill,drawbox=y=600:h=300:c=white:t=fill"});
  auto jpeg = MakeAvatarJpeg(tall);
  RequireAvatar(dir, jpeg);
  CHECK(MeanGrey(GreyPixels(dir, jpeg), 0, 0, 256, 256) < 40);

  RequireAvatar(dir, MakeAvatarJpeg(MakeImage(dir, "odd.png", "testsrc2=s=333x77")));
  RequireAvatar(dir, MakeAvatarJpeg(MakeImage(dir, "tiny.png", "color=c=red:s=2x2", {"-vf", "scale=1:1"})));
  RequireAvatar(dir, MakeAvatarJpeg(MakeImage(dir, "wide.jpg", "testsrc2=s=8000x40")));
}

TEST_CASE("MakeAvatarJpeg applies EXIF orientation and drops the metadata", "[avatar]") {
  monotube::test::TempDir dir;
  // Left half white, right half black; EXIF orientation 6 says "rotate 90° clockwise to
  // view", which puts the white half on top.
  auto plain = ReadFile(MakeImage(dir, "plain.jpg", "color=c=black:s=320x240",
                                  {"-vf", "drawbox=x=0:w=160:c=white:t=fill", "-q:v", "2"}));
  std::string tiff = std::string("II*\0", 4) + std::string("\x08\0\0\0", 4) + std::string("\x01\0", 2) +
                     std::string("\x12\x01\x03\0\x01\0\0\0\x06\0\0\0", 12) + std::string(4, '\0');
  std::string exif = std::string("Exif\0\0", 6) + tiff + "GPS 51.5N 0.1W secret location";
  std::string app1 =
      "\xff\xe1" +
      std::string{static_cast<char>((exif.size() + 2) >> 8), static_cast<char>((exif.size() + 2) & 0xff)} +
      exif;
  WriteFile(dir / "rotated.jpg", plain.substr(0, 2) + app1 + plain.substr(2));

  auto jpeg = MakeAvatarJpeg(dir / "rotated.jpg");
  RequireAvatar(dir, jpeg);
  CHECK(jpeg.find("secret location") == std::string::npos);
  auto pixels = GreyPixels(dir, jpeg);
  CHECK(MeanGrey(pixels, 0, 0, 256, 100) > 215);   // top: white
  CHECK(MeanGrey(pixels, 0, 156, 256, 256) < 40);  // bottom: black

  auto upright = GreyPixels(dir, MakeAvatarJpeg(dir / "plain.jpg"));
  CHECK(MeanGrey(upright, 0, 0, 100, 256) > 215);  // without the tag: left stays white
  CHECK(MeanGrey(upright, 156, 0, 256, 256) < 40);
}

TEST_CASE("MakeAvatarJpeg lays transparency over white", "[avatar]") {
  monotube::test::TempDir dir;
  auto clear = MakeImage(dir, "clear.png", "color=c=black@0.0:s=64x64,format=rgba");
  auto jpeg = MakeAvatarJpeg(clear);
  RequireAvatar(dir, jpeg);
  CHECK(MeanGrey(GreyPixels(dir, jpeg), 0, 0, 256, 256) > 245);
}

TEST_CASE("MakeAvatarJpeg refuses files that are not usable images", "[avatar]") {
  monotube::test::TempDir dir;
  WriteFile(dir / "text.png", "This is just some text, not a picture.\n");
  WriteFile(dir / "empty.png", "");
  auto png = ReadFile(MakeImage(dir, "real.png", "testsrc2=s=640x480"));
  WriteFile(dir / "truncated.png", png.substr(0, png.size() / 3));
  WriteFile(dir / "header-only.png", png.substr(0, 40));
  WriteFile(dir / "png-then-garbage.png", png.substr(0, 33) + std::string(5000, 'x'));
  auto jpeg = ReadFile(MakeImage(dir, "real.jpg", "testsrc2=s=640x480"));
  WriteFile(dir / "truncated.jpg", jpeg.substr(0, 200));
  WriteFile(dir / "soi-only.jpg", "\xff\xd8\xff\xd9");

  for (const char* name : {"text.png", "empty.png", "truncated.png", "header-only.png",
                           "png-then-garbage.png", "truncated.jpg", "soi-only.jpg"}) {
    INFO(name);
    auto start = Clock::now();
    CHECK(CodeOf<UnsupportedMedia>(dir / name) == "invalid_image");
    CHECK(Clock::now() - start < 5s);
  }
  // Videos from the shared test media, whatever their names say.
  for (const char* name : {"flower.mp4", "flower.webm", "friday.mov", "not-a-video.mp4", "truncated.mp4"}) {
    INFO(name);
    REQUIRE(fs::exists(kSharedMedia / name));
    CHECK(CodeOf<UnsupportedMedia>(kSharedMedia / name) == "invalid_image");
  }
  // A video renamed to look like an image is still a video.
  fs::copy_file(kSharedMedia / "flower.mp4", dir / "video.png");
  CHECK(CodeOf<UnsupportedMedia>(dir / "video.png") == "invalid_image");

  try {
    MakeAvatarJpeg(dir / "text.png");
  } catch (const UnsupportedMedia& e) {
    CHECK(e.status() == 415);
    CHECK_THAT(e.what(), Catch::Contains("JPEG, PNG, WebP, GIF or BMP"));
  }
  CHECK_THROWS_AS(MakeAvatarJpeg(dir / "missing.png"), fs::filesystem_error);
}

TEST_CASE("MakeAvatarJpeg refuses decompression bombs before decoding them", "[avatar]") {
  monotube::test::TempDir dir;
  auto png = ReadFile(MakeImage(dir, "real.png", "testsrc2=s=64x48"));
  // 30000² is beyond FFmpeg's own limit; 15000² (225 Mpx) is not: FFmpeg alone would
  // spend seconds and ~700 MB on it. 9000×10 is too wide; 7000² is 49 Mpx.
  const std::vector<std::pair<std::uint32_t, std::uint32_t>> sizes = {
      {30000, 30000}, {15000, 15000}, {9000, 10}, {10, 9000}, {7000, 7000}};
  // With no ffprobe or ffmpeg at all, the refusal can only come from the header check.
  AvatarOptions no_tools;
  no_tools.ffprobe = "monotube-no-such-ffprobe";
  no_tools.ffmpeg = "monotube-no-such-ffmpeg";
  for (auto [width, height] : sizes) {
    INFO(width << "x" << height);
    WriteFile(dir / "bomb.png", PngClaiming(png, width, height));
    auto start = Clock::now();
    CHECK(CodeOf<PayloadTooLarge>(dir / "bomb.png", no_tools) == "image_too_large");
    CHECK(CodeOf<PayloadTooLarge>(dir / "bomb.png") == "image_too_large");
    CHECK(Clock::now() - start < 1s);
  }
  // Just inside the limits, the header check lets it through to ffprobe/ffmpeg, which
  // find that the data holds no such picture.
  WriteFile(dir / "claims-8192x4096.png", PngClaiming(png, 8192, 4096));
  CHECK(CodeOf<UnsupportedMedia>(dir / "claims-8192x4096.png") == "invalid_image");

  // The same for JPEG (SOF0 patched) and GIF (logical screen patched).
  auto jpeg = ReadFile(MakeImage(dir, "real.jpg", "testsrc2=s=64x48"));
  auto sof = jpeg.find("\xff\xc0");
  REQUIRE(sof != std::string::npos);
  jpeg.replace(sof + 5, 4, std::string("\x75\x30\x75\x30", 4));  // 30000×30000
  WriteFile(dir / "bomb.jpg", jpeg);
  CHECK(CodeOf<PayloadTooLarge>(dir / "bomb.jpg", no_tools) == "image_too_large");
  auto gif = ReadFile(MakeImage(dir, "real.gif", "testsrc2=s=64x48", {"-f", "gif"}));
  gif.replace(6, 4, std::string("\xff\xff\xff\xff", 4));  // 65535×65535
  WriteFile(dir / "bomb.gif", gif);
  CHECK(CodeOf<PayloadTooLarge>(dir / "bomb.gif", no_tools) == "image_too_large");
}

TEST_CASE("MakeAvatarJpeg enforces the file size limit", "[avatar]") {
  monotube::test::TempDir dir;
  auto png = MakeImage(dir, "real.png", "testsrc2=s=640x480");
  AvatarOptions small;
  small.max_file_bytes = 1024;
  CHECK(CodeOf<PayloadTooLarge>(png, small) == "image_too_large");
  try {
    MakeAvatarJpeg(png, small);
  } catch (const PayloadTooLarge& e) {
    CHECK(e.status() == 413);
    CHECK_THAT(e.what(), Catch::Contains("1 KiB"));
  }
  small.max_file_bytes = fs::file_size(png);
  CHECK_NOTHROW(MakeAvatarJpeg(png, small));
}

TEST_CASE("MakeAvatarJpeg reports missing FFmpeg tools as Unavailable", "[avatar]") {
  monotube::test::TempDir dir;
  auto png = MakeImage(dir, "real.png", "testsrc2=s=64x48");
  AvatarOptions options;
  options.ffprobe = "monotube-no-such-ffprobe";
  CHECK_THROWS_AS(MakeAvatarJpeg(png, options), monotube::Unavailable);
  options = {};
  options.ffmpeg = "monotube-no-such-ffmpeg";
  CHECK_THROWS_AS(MakeAvatarJpeg(png, options), monotube::Unavailable);
}

TEST_CASE("MakeAvatarJpeg gives up on a conversion that outlives its timeout", "[avatar]") {
  monotube::test::TempDir dir;
  auto png = MakeImage(dir, "real.png", "testsrc2=s=64x48");
  // A fake ffprobe that hangs stands in for a decoder stuck on a hostile file.
  WriteFile(dir / "ffprobe", "#!/bin/sh\nexec sleep 30\n");
  fs::permissions(dir / "ffprobe", fs::perms::owner_all);
  AvatarOptions options;
  options.ffprobe = (dir / "ffprobe").string();
  options.timeout = 500ms;
  auto start = Clock::now();
  try {
    MakeAvatarJpeg(png, options);
    FAIL("expected a refusal");
  } catch (const UnsupportedMedia& e) {
    CHECK(e.code() == "invalid_image");
    CHECK_THAT(e.what(), Catch::Contains("too long"));
  }
  CHECK(Clock::now() - start < 3s);
}
