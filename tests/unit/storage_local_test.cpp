#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "monotube/errors.hpp"
#include "monotube/storage/local_storage.hpp"
#include "monotube/storage/storage.hpp"
#include "support/temp_dir.hpp"

namespace fs = std::filesystem;
using namespace monotube;
using namespace monotube::storage;

namespace {

std::uint64_t Fnv1a(std::uint64_t hash, const char* data, std::size_t size) {
  for (std::size_t i = 0; i < size; ++i) {
    hash ^= static_cast<unsigned char>(data[i]);
    hash *= 1099511628211ULL;
  }
  return hash;
}
constexpr std::uint64_t kFnvSeed = 14695981039346656037ULL;

std::string ReadAll(ObjectReader& reader, std::size_t chunk = 7) {
  std::string out;
  std::string buffer(chunk, '\0');
  while (std::size_t n = reader.Read(buffer.data(), buffer.size())) out.append(buffer.data(), n);
  return out;
}

std::string ReadRange(ObjectStorage& storage, const std::string& key, ByteRange range) {
  auto reader = storage.OpenReader(key, range);
  std::string data = ReadAll(*reader);
  CHECK(data.size() == reader->size());
  return data;
}

// A valid-looking key of exactly `bytes` bytes, made of short segments.
std::string LongKey(std::size_t bytes) {
  std::string key;
  while (bytes - key.size() > 101) key += std::string(100, 'k') + "/";
  return key + std::string(bytes - key.size(), 'k');
}

std::vector<std::string> Keys(const ListResult& result) {
  std::vector<std::string> keys;
  for (const auto& object : result.objects) keys.push_back(object.key);
  return keys;
}

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

TEST_CASE("LocalStorage: an aborted or uncommitted writer leaves nothing visible", "[storage]") {
  test::TempDir dir("monotube-storage-test");
  LocalStorage storage(dir.path());
  const fs::path temp = dir.path() / ".tmp";

  SECTION("explicit abort") {
    auto writer = storage.OpenWriter("videos/a/original");
    writer->Write("hello", 5);
    writer->Abort();
    writer->Abort();  // harmless twice
    CHECK_FALSE(storage.Stat("videos/a/original"));
    CHECK(CountFiles(temp) == 0);
    CHECK_THROWS_AS(writer->Write("x", 1), std::logic_error);
  }
  SECTION("in flight, then dropped") {
    {
      auto writer = storage.OpenWriter("videos/a/original");
      writer->Write("hello", 5);
      CHECK_FALSE(storage.Stat("videos/a/original"));
      CHECK(storage.List("").objects.empty());
      CHECK_THROWS_AS(storage.OpenReader("videos/a/original"), NotFound);
      CHECK(storage.TotalSize() == 0);
      CHECK(CountFiles(temp) == 1);
    }
    CHECK(CountFiles(temp) == 0);
    CHECK_FALSE(storage.Stat("videos/a/original"));
  }
  SECTION("commit replaces the previous object atomically") {
    storage.Put("videos/a/original", "first version");
    auto writer = storage.OpenWriter("videos/a/original");
    writer->Write("second", 6);
    CHECK(storage.GetString("videos/a/original") == "first version");
    writer->Commit();
    CHECK(storage.GetString("videos/a/original") == "second");
    writer->Abort();  // after commit: a no-op
    CHECK(storage.GetString("videos/a/original") == "second");
    CHECK_THROWS_AS(writer->Commit(), std::logic_error);
  }
}

TEST_CASE("LocalStorage serves byte ranges", "[storage]") {
  test::TempDir dir("monotube-storage-test");
  LocalStorage storage(dir.path());
  storage.Put("a/file.bin", "0123456789");

  CHECK(ReadRange(storage, "a/file.bin", ByteRange::Between(0, 3)) == "0123");
  CHECK(ReadRange(storage, "a/file.bin", ByteRange::Between(4, 6)) == "456");
  CHECK(ReadRange(storage, "a/file.bin", ByteRange::Between(8, 100)) == "89");
  CHECK(ReadRange(storage, "a/file.bin", ByteRange::From(7)) == "789");
  CHECK(ReadRange(storage, "a/file.bin", ByteRange::Suffix(3)) == "789");
  CHECK(ReadRange(storage, "a/file.bin", ByteRange::Suffix(50)) == "0123456789");

  auto reader = storage.OpenReader("a/file.bin", ByteRange::Between(2, 5));
  CHECK(reader->offset() == 2);
  CHECK(reader->size() == 4);
  CHECK(reader->total_size() == 10);

  try {
    storage.OpenReader("a/file.bin", ByteRange::From(10));
    FAIL("a range starting at the end must not be satisfiable");
  } catch (const RangeNotSatisfiable& error) {
    CHECK(error.total_size() == 10);
    CHECK(error.status() == 416);
  }
  CHECK_THROWS_AS(storage.OpenReader("a/file.bin", ByteRange::Suffix(0)), RangeNotSatisfiable);
  CHECK_THROWS_AS(storage.OpenReader("a/missing.bin", ByteRange::From(0)), NotFound);

  storage.Put("a/empty", "");
  CHECK(storage.GetString("a/empty").empty());
  CHECK_THROWS_AS(storage.OpenReader("a/empty", ByteRange::From(0)), RangeNotSatisfiable);
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

TEST_CASE("LocalStorage deletes objects, prefixes and the folders they leave empty", "[storage]") {
  test::TempDir dir("monotube-storage-test");
  LocalStorage storage(dir.path());
  storage.Put("videos/abc/original", "o");
  storage.Put("videos/abc/hls/720p/seg-1.m4s", "12");
  storage.Put("videos/abc/hls/720p/seg-2.m4s", "345");
  storage.Put("videos/abcd/original", "keep");
  storage.Put("videos/abd/original", "keep");

  CHECK(storage.TotalSize("videos/abc/") == 6);
  CHECK(storage.TotalSize() == 14);

  storage.Delete("videos/abc/original");
  storage.Delete("videos/abc/original");  // missing: no error
  storage.Delete("nothing/here/at/all");
  CHECK_FALSE(storage.Stat("videos/abc/original"));

  CHECK(storage.DeletePrefix("videos/abc/") == 2);
  CHECK_FALSE(fs::exists(dir.path() / "videos" / "abc"));
  CHECK(storage.GetString("videos/abcd/original") == "keep");
  CHECK(storage.GetString("videos/abd/original") == "keep");

  CHECK(storage.DeletePrefix("videos/") == 2);
  CHECK_FALSE(fs::exists(dir.path() / "videos"));
  CHECK(fs::is_directory(dir.path()));
  CHECK(storage.DeletePrefix("videos/") == 0);
}

TEST_CASE("LocalStorage lists keys in byte order, page by page", "[storage]") {
  test::TempDir dir("monotube-storage-test");
  LocalStorage storage(dir.path());
  // "a-c" < "a.d" < "a/b" < "a0": directories must sort as "name/".
  std::vector<std::string> keys = {"a/b", "a-c", "a.d", "a0", "b/x/y", "b/x/z", "b/x-", "c"};
  for (const auto& key : keys) storage.Put(key, key);
  std::vector<std::string> sorted = keys;
  std::sort(sorted.begin(), sorted.end());

  CHECK(Keys(storage.List("")) == sorted);

  std::vector<std::string> paged;
  std::string continuation;
  int pages = 0;
  do {
    ListResult page = storage.List("", continuation, 3);
    CHECK(page.objects.size() <= 3);
    for (const auto& object : page.objects) paged.push_back(object.key);
    continuation = page.continuation;
    ++pages;
  } while (!continuation.empty());
  CHECK(paged == sorted);
  CHECK(pages == 3);

  CHECK(Keys(storage.List("b/")) == std::vector<std::string>{"b/x-", "b/x/y", "b/x/z"});
  CHECK(Keys(storage.List("b/x/")) == std::vector<std::string>{"b/x/y", "b/x/z"});
  CHECK(Keys(storage.List("a")) == std::vector<std::string>{"a-c", "a.d", "a/b", "a0"});
  CHECK(Keys(storage.List("b/x/", "b/x/y")) == std::vector<std::string>{"b/x/z"});
  CHECK(storage.List("zzz/").objects.empty());
  CHECK(storage.List("c/").objects.empty());

  auto listed = storage.List("c");
  REQUIRE(listed.objects.size() == 1);
  CHECK(listed.objects[0].size == 1);
  CHECK(listed.objects[0].modified_ms > 0);
}

TEST_CASE("Storage keys are validated before anything touches the disk", "[storage]") {
  test::TempDir dir("monotube-storage-test");
  LocalStorage storage(dir.path());
  for (const std::string& bad :
       std::vector<std::string>{"", "/abs", "a//b", "a/", "../x", "a/../b", "a/./b", ".", "..", ".tmp/x", "a/.hidden",
                                "a\\b", "a b", "a%2fb", std::string("a\0b", 3), "é", std::string(256, 'a'),
                                LongKey(1025)}) {
    INFO("key: " << bad);
    CHECK_THROWS_AS(storage.Put(bad, "x"), InvalidInput);
    CHECK_THROWS_AS(storage.OpenReader(bad), InvalidInput);
    CHECK_THROWS_AS(storage.Stat(bad), InvalidInput);
    CHECK_THROWS_AS(storage.Delete(bad), InvalidInput);
  }
  for (const std::string& good :
       std::vector<std::string>{"a", "videos/AbC-12_x/hls/720p/seg.m4s", "a..b", "x/y.", std::string(255, 'a'),
                                LongKey(1024)}) {
    INFO("key: " << good);
    CHECK_NOTHROW(storage.Put(good, "x"));
  }
  CHECK_THROWS_AS(storage.List("../"), InvalidInput);
  CHECK_THROWS_AS(storage.List("/"), InvalidInput);
  CHECK_THROWS_AS(storage.DeletePrefix("a//"), InvalidInput);
  CHECK_NOTHROW(storage.List("videos/Ab"));
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

TEST_CASE("LocalStorage copies local files in with PutFile", "[storage]") {
  test::TempDir dir("monotube-storage-test");
  LocalStorage storage(dir.path() / "objects");
  const fs::path source = dir.path() / "upload.bin";
  { std::ofstream(source, std::ios::binary) << std::string(3 << 20, 'z') << "end"; }
  storage.PutFile("videos/x/original", source);
  CHECK(storage.Stat("videos/x/original")->size == (3u << 20) + 3);
  CHECK(fs::exists(source));
  CHECK_THROWS(storage.PutFile("videos/y/original", dir.path() / "missing"));
}

TEST_CASE("LocalStorage stays consistent under concurrent writers and deleters", "[storage]") {
  test::TempDir dir("monotube-storage-test");
  LocalStorage storage(dir.path());
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      try {
        for (int i = 0; i < 200; ++i) {
          std::string key = "shared/dir/" + std::to_string(t) + "-" + std::to_string(i);
          storage.Put(key, key);
          if (storage.GetString(key) != key) ++failures;
          storage.Delete(key);
        }
      } catch (const std::exception& error) {
        UNSCOPED_INFO(error.what());
        ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(failures == 0);
  CHECK(storage.List("").objects.empty());
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
  CHECK_THAT(message_of("s3://bucket?endpoint=http://localhost:9000"), Catch::StartsWith("storage_url"));
  CHECK_THAT(message_of("ftp://user:secret@host/x"), Catch::StartsWith("storage_url"));
  CHECK_THAT(message_of("ftp://user:secret@host/x"), !Catch::Contains("secret"));
  CHECK_THAT(message_of("file://relative/path"), Catch::StartsWith("storage_url"));
  CHECK_THAT(message_of("/just/a/path"), Catch::StartsWith("storage_url"));
}
