#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "monotube/errors.hpp"
#include "monotube/storage/local_storage.hpp"
#include "monotube/storage/storage.hpp"
#include "support/temp_dir.hpp"

namespace fs = std::filesystem;
using namespace monotube;
using namespace monotube::storage;

// What only local disk does: temporary files, folders, symlinks, permissions. What every
// backend does alike is in tests/storage/storage_contract_test.cpp.

namespace {

std::uint64_t Fnv1a(std::uint64_t hash, const char* data, std::size_t size) {
  for (std::size_t i = 0; i < size; ++i) {
    hash ^= static_cast<unsigned char>(data[i]);
    hash *= 1099511628211ULL;
  }
  return hash;
}
constexpr std::uint64_t kFnvSeed = 14695981039346656037ULL;

std::size_t CountFiles(const fs::path& dir) {
  std::size_t count = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    (void)entry;
    ++count;
  }
  return count;
}

}  // namespace

TEST_CASE("LocalStorage streams a large object in chunks and reads it back intact", "[storage]") {
  test::TempDir dir("monotube-storage-test");
  LocalStorage storage(dir.path() / "objects");
  constexpr std::size_t kChunk = 1 << 20;
  constexpr std::size_t kChunks = 64;

  std::string chunk(kChunk, '\0');
  std::uint64_t written_hash = kFnvSeed;
  auto writer = storage.OpenWriter("videos/big/original", {"video/mp4"});
  for (std::size_t i = 0; i < kChunks; ++i) {
    // Different bytes in every chunk, so a misplaced chunk changes the hash.
    std::uint64_t state = 0x9E3779B97F4A7C15ULL * (i + 1);
    for (std::size_t j = 0; j < kChunk; j += 8) {
      state ^= state << 13;
      state ^= state >> 7;
      state ^= state << 17;
      std::memcpy(chunk.data() + j, &state, 8);
    }
    writer->Write(chunk.data(), chunk.size());
    written_hash = Fnv1a(written_hash, chunk.data(), chunk.size());
  }
  CHECK(writer->bytes_written() == kChunk * kChunks);
  writer->Commit();

  auto info = storage.Stat("videos/big/original");
  REQUIRE(info);
  CHECK(info->size == kChunk * kChunks);
  CHECK(info->key == "videos/big/original");
  CHECK_FALSE(info->etag.empty());

  auto reader = storage.OpenReader("videos/big/original");
  CHECK(reader->size() == kChunk * kChunks);
  CHECK(reader->total_size() == kChunk * kChunks);
  std::uint64_t read_hash = kFnvSeed;
  std::vector<char> buffer(256 * 1024);
  std::uint64_t total = 0;
  while (std::size_t n = reader->Read(buffer.data(), buffer.size())) {
    read_hash = Fnv1a(read_hash, buffer.data(), n);
    total += n;
  }
  CHECK(total == kChunk * kChunks);
  CHECK(read_hash == written_hash);
  CHECK(CountFiles(dir.path() / "objects" / ".tmp") == 0);
}

TEST_CASE("LocalStorage: an aborted or dropped writer leaves no temporary file", "[storage]") {
  test::TempDir dir("monotube-storage-test");
  LocalStorage storage(dir.path());
  const fs::path temp = dir.path() / ".tmp";

  SECTION("explicit abort") {
    auto writer = storage.OpenWriter("videos/a/original");
    writer->Write("hello", 5);
    CHECK(CountFiles(temp) == 1);
    writer->Abort();
    CHECK(CountFiles(temp) == 0);
  }
  SECTION("in flight, then dropped") {
    {
      auto writer = storage.OpenWriter("videos/a/original");
      writer->Write("hello", 5);
      CHECK(CountFiles(temp) == 1);
      CHECK(storage.List("").objects.empty());  // .tmp is not listed
    }
    CHECK(CountFiles(temp) == 0);
  }
  SECTION("committed") {
    storage.Put("videos/a/original", "x");
    CHECK(CountFiles(temp) == 0);
  }
}

TEST_CASE("Resolve follows RFC 9110 byte-range rules", "[storage]") {
  auto r = Resolve(ByteRange::Between(5, 2), 10);
  CHECK_FALSE(r);
  r = Resolve(ByteRange::Between(9, 9), 10);
  REQUIRE(r);
  CHECK(r->offset == 9);
  CHECK(r->length == 1);
  CHECK_FALSE(Resolve(ByteRange::Suffix(1), 0));
}

TEST_CASE("LocalStorage removes the folders that deletes leave empty, never the root", "[storage]") {
  test::TempDir dir("monotube-storage-test");
  LocalStorage storage(dir.path());
  storage.Put("videos/abc/original", "o");
  storage.Put("videos/abc/hls/720p/seg-1.m4s", "12");
  storage.Put("videos/abcd/original", "keep");

  storage.Delete("videos/abc/original");
  CHECK(fs::is_directory(dir.path() / "videos" / "abc" / "hls"));
  CHECK(storage.DeletePrefix("videos/abc/") == 1);
  CHECK_FALSE(fs::exists(dir.path() / "videos" / "abc"));
  CHECK(fs::exists(dir.path() / "videos" / "abcd" / "original"));

  CHECK(storage.DeletePrefix("videos/") == 1);
  CHECK_FALSE(fs::exists(dir.path() / "videos"));
  CHECK(fs::is_directory(dir.path()));
  CHECK(fs::is_directory(dir.path() / ".tmp"));
}

TEST_CASE("LocalStorage gives the file of an object for programs that read it in place", "[storage]") {
  test::TempDir dir("monotube-storage-test");
  const fs::path root = dir.path() / "objects";
  const fs::path outside = dir.path() / "outside";
  fs::create_directories(outside);
  { std::ofstream(outside / "secret") << "top secret"; }
  LocalStorage storage(root);
  storage.Put("videos/x/original", "the original");

  std::optional<fs::path> path = storage.LocalPath("videos/x/original");
  REQUIRE(path);
  CHECK(*path == root / "videos" / "x" / "original");
  CHECK(fs::file_size(*path) == 12);
  CHECK_FALSE(storage.PresignedGetUrl("videos/x/original", std::chrono::seconds(60)));

  CHECK_THROWS_AS(storage.LocalPath("videos/x/missing"), NotFound);
  CHECK_THROWS_AS(storage.LocalPath("videos/x"), NotFound);  // a folder
  fs::create_symlink(outside / "secret", root / "link");
  fs::create_symlink(outside, root / "dir");
  CHECK_THROWS_AS(storage.LocalPath("link"), NotFound);
  CHECK_THROWS_AS(storage.LocalPath("dir/secret"), NotFound);
  CHECK_THROWS_AS(storage.LocalPath("../outside/secret"), InvalidInput);
}

TEST_CASE("LocalStorage never follows a symlink out of its root", "[storage]") {
  test::TempDir dir("monotube-storage-test");
  const fs::path root = dir.path() / "objects";
  const fs::path outside = dir.path() / "outside";
  fs::create_directories(outside);
  { std::ofstream(outside / "secret") << "top secret"; }
  LocalStorage storage(root);
  fs::create_symlink(outside / "secret", root / "link");
  fs::create_symlink(outside, root / "dir");
  fs::create_symlink("/etc/passwd", root / "passwd");

  CHECK_THROWS_AS(storage.OpenReader("link"), NotFound);
  CHECK_THROWS_AS(storage.OpenReader("passwd"), NotFound);
  CHECK_THROWS_AS(storage.OpenReader("dir/secret"), NotFound);
  CHECK_FALSE(storage.Stat("link"));
  CHECK_FALSE(storage.Stat("dir/secret"));
  CHECK(storage.List("").objects.empty());
  CHECK(storage.TotalSize() == 0);

  // Writing through the symlinked folder must not land outside either.
  CHECK_THROWS(storage.Put("dir/planted", "x"));
  CHECK_FALSE(fs::exists(outside / "planted"));
  CHECK(CountFiles(root / ".tmp") == 0);

  storage.Delete("dir/secret");
  CHECK(fs::exists(outside / "secret"));
  CHECK(storage.DeletePrefix("") == 0);
  CHECK(fs::exists(outside / "secret"));
}

TEST_CASE("LocalStorage health check writes, reads and deletes a probe", "[storage]") {
  test::TempDir dir("monotube-storage-test");
  const fs::path root = dir.path() / "objects";
  LocalStorage storage(root);
  CHECK_NOTHROW(storage.CheckHealth());
  CHECK(storage.List("").objects.empty());
  CHECK(CountFiles(root) == 1);  // only .tmp

  SECTION("root replaced by a regular file") {
    fs::remove_all(root);
    { std::ofstream(root) << "not a folder"; }
    try {
      storage.CheckHealth();
      FAIL("CheckHealth must fail");
    } catch (const Unavailable& error) {
      CHECK(error.code() == "storage_unavailable");
    }
  }
  SECTION("root removed") {
    fs::remove_all(root);
    CHECK_THROWS_AS(storage.CheckHealth(), Unavailable);
  }
  SECTION("root read-only") {
    if (::geteuid() == 0) return;  // root ignores permissions
    fs::permissions(root, fs::perms::owner_read | fs::perms::owner_exec);
    CHECK_THROWS_AS(storage.CheckHealth(), Unavailable);
    fs::permissions(root, fs::perms::owner_all);
  }
}

TEST_CASE("LocalStorage sweeps temporary files left by crashed writers", "[storage]") {
  test::TempDir dir("monotube-storage-test");
  { LocalStorage first(dir.path()); }
  const fs::path temp = dir.path() / ".tmp";
  { std::ofstream(temp / "old.part") << "left over"; }
  { std::ofstream(temp / "fresh.part") << "in progress"; }
  struct timespec times[2] = {{0, UTIME_OMIT}, {::time(nullptr) - 2 * 86400, 0}};
  REQUIRE(::utimensat(AT_FDCWD, (temp / "old.part").c_str(), times, 0) == 0);

  LocalStorage storage(dir.path());  // start-up sweeps
  CHECK_FALSE(fs::exists(temp / "old.part"));
  CHECK(fs::exists(temp / "fresh.part"));
  CHECK(storage.SweepTemporaryFiles(std::chrono::seconds(0)) == 1);
  CHECK(CountFiles(temp) == 0);
}

TEST_CASE("OpenStorage picks the backend from the storage URL", "[storage]") {
  test::TempDir dir("monotube-storage-test");
  auto local = OpenStorage({"", dir.path() / "data", "", ""});
  CHECK(local->Describe() == "local disk at " + (dir.path() / "data" / "objects").string());
  CHECK(fs::is_directory(dir.path() / "data" / "objects"));

  auto file = OpenStorage({"file://" + (dir.path() / "elsewhere").string(), dir.path(), "", ""});
  file->Put("k", "v");
  CHECK(fs::exists(dir.path() / "elsewhere" / "k"));

  auto message_of = [&](const std::string& url) {
    try {
      OpenStorage({url, dir.path(), "", ""});
    } catch (const ConfigError& error) {
      return std::string(error.what());
    }
    return std::string("no error");
  };
  // Without credentials (the S3 URL itself is tested in storage_s3_test.cpp).
  CHECK_THAT(message_of("s3://bucket?endpoint=http://localhost:9000"), Catch::StartsWith("storage_url"));
  auto s3 = OpenStorage({"s3://videos?endpoint=http://127.0.0.1:9000", dir.path(), "access", "secret"});
  CHECK(s3->Describe() == "S3 bucket videos at http://127.0.0.1:9000");
  CHECK_FALSE(s3->LocalPath("videos/x/original"));
  CHECK_THAT(message_of("ftp://user:secret@host/x"), Catch::StartsWith("storage_url"));
  CHECK_THAT(message_of("ftp://user:secret@host/x"), !Catch::Contains("secret"));
  CHECK_THAT(message_of("file://relative/path"), Catch::StartsWith("storage_url"));
  CHECK_THAT(message_of("/just/a/path"), Catch::StartsWith("storage_url"));
}
