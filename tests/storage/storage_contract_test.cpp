// What every ObjectStorage backend must do alike. Each case runs on local disk and, when
// MONOTUBE_TEST_STORAGE=s3, on an S3 server (see test_storage.hpp); cases only one
// backend has live in tests/unit/storage_local_test.cpp and storage_s3_test.cpp.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "monotube/errors.hpp"
#include "monotube/storage/storage.hpp"

#include "storage/test_storage.hpp"
#include "support/storage_helpers.hpp"
#include "support/temp_dir.hpp"

namespace fs = std::filesystem;
using namespace monotube;
using namespace monotube::storage;
using monotube::test::Keys;
using monotube::test::LongKey;
using monotube::test::PatternBytes;
using monotube::test::ReadAll;
using monotube::test::ReadRange;
using monotube::test::TestStorage;

TEST_CASE("Storage puts, gets, stats and overwrites objects, empty ones included", "[storage]") {
  TestStorage storage;
  storage->Put("videos/a/original", "hello world", {"video/mp4"});
  CHECK(storage->GetString("videos/a/original") == "hello world");

  auto info = storage->Stat("videos/a/original");
  REQUIRE(info);
  CHECK(info->key == "videos/a/original");
  CHECK(info->size == 11);
  CHECK(info->modified_ms > 0);
  CHECK_FALSE(info->etag.empty());

  storage->Put("videos/a/original", "second version, longer");
  CHECK(storage->GetString("videos/a/original") == "second version, longer");
  auto replaced = storage->Stat("videos/a/original");
  REQUIRE(replaced);
  CHECK(replaced->size == 22);
  CHECK(replaced->etag != info->etag);

  storage->Put("videos/a/empty", "");
  CHECK(storage->GetString("videos/a/empty").empty());
  REQUIRE(storage->Stat("videos/a/empty"));
  CHECK(storage->Stat("videos/a/empty")->size == 0);
  auto reader = storage->OpenReader("videos/a/empty");
  CHECK(reader->size() == 0);
  CHECK(reader->total_size() == 0);
  char byte;
  CHECK(reader->Read(&byte, 1) == 0);

  auto empty_writer = storage->OpenWriter("videos/a/never-written");
  empty_writer->Commit();
  CHECK(storage->Stat("videos/a/never-written")->size == 0);
}

TEST_CASE("Storage streams a 20 MiB object in and reads it back byte for byte, also by ranges", "[storage]") {
  TestStorage storage;
  // Over two 8 MiB parts on S3, so the object is a multipart upload of three parts.
  const std::string data = PatternBytes((20 << 20) + 12345);
  auto writer = storage->OpenWriter("videos/big/original", {"video/mp4"});
  // Odd write sizes, so part boundaries fall inside writes.
  std::size_t offset = 0;
  for (std::size_t step = (1 << 20) + 7; offset < data.size(); offset += step) {
    writer->Write(data.data() + offset, std::min(step, data.size() - offset));
  }
  CHECK(writer->bytes_written() == data.size());
  CHECK_FALSE(storage->Stat("videos/big/original"));  // nothing visible before Commit
  writer->Commit();

  REQUIRE(storage->Stat("videos/big/original"));
  CHECK(storage->Stat("videos/big/original")->size == data.size());

  auto reader = storage->OpenReader("videos/big/original");
  CHECK(reader->size() == data.size());
  CHECK(reader->total_size() == data.size());
  CHECK(reader->offset() == 0);
  CHECK(reader->info().size == data.size());
  CHECK(ReadAll(*reader, 256 * 1024) == data);

  // Ranges across part (8 MiB) and read-chunk (4 MiB) boundaries.
  const std::uint64_t part = 8 << 20;
  for (auto [first, last] : std::vector<std::pair<std::uint64_t, std::uint64_t>>{
           {part - 3, part + 3}, {2 * part - 1, 2 * part}, {(4 << 20) - 10, (12 << 20) + 10}, {0, 0}}) {
    INFO("range " << first << "-" << last);
    CHECK(ReadRange(*storage, "videos/big/original", ByteRange::Between(first, last), 64 * 1024) ==
          data.substr(first, last - first + 1));
  }
  auto tail = storage->OpenReader("videos/big/original", ByteRange::Suffix(100));
  CHECK(tail->offset() == data.size() - 100);
  CHECK(ReadAll(*tail) == data.substr(data.size() - 100));
  auto from = storage->OpenReader("videos/big/original", ByteRange::From(part + 1));
  CHECK(from->size() == data.size() - part - 1);
  CHECK(ReadAll(*from, 1 << 20) == data.substr(part + 1));
}

TEST_CASE("Storage serves every form of byte range and refuses unsatisfiable ones", "[storage]") {
  TestStorage storage;
  storage->Put("a/file.bin", "0123456789");

  CHECK(ReadRange(*storage, "a/file.bin", ByteRange::Between(0, 3)) == "0123");
  CHECK(ReadRange(*storage, "a/file.bin", ByteRange::Between(4, 6)) == "456");
  CHECK(ReadRange(*storage, "a/file.bin", ByteRange::Between(9, 9)) == "9");
  CHECK(ReadRange(*storage, "a/file.bin", ByteRange::Between(8, 100)) == "89");
  CHECK(ReadRange(*storage, "a/file.bin", ByteRange::From(0)) == "0123456789");
  CHECK(ReadRange(*storage, "a/file.bin", ByteRange::From(7)) == "789");
  CHECK(ReadRange(*storage, "a/file.bin", ByteRange::Suffix(3)) == "789");
  CHECK(ReadRange(*storage, "a/file.bin", ByteRange::Suffix(50)) == "0123456789");

  auto reader = storage->OpenReader("a/file.bin", ByteRange::Between(2, 5));
  CHECK(reader->offset() == 2);
  CHECK(reader->size() == 4);
  CHECK(reader->total_size() == 10);
  CHECK(reader->info().key == "a/file.bin");
  CHECK(reader->info().size == 10);

  try {
    storage->OpenReader("a/file.bin", ByteRange::From(10));
    FAIL("a range starting at the end must not be satisfiable");
  } catch (const RangeNotSatisfiable& error) {
    CHECK(error.total_size() == 10);
    CHECK(error.status() == 416);
  }
  CHECK_THROWS_AS(storage->OpenReader("a/file.bin", ByteRange::Between(20, 30)), RangeNotSatisfiable);
  CHECK_THROWS_AS(storage->OpenReader("a/file.bin", ByteRange::Between(5, 2)), RangeNotSatisfiable);
  CHECK_THROWS_AS(storage->OpenReader("a/file.bin", ByteRange::Suffix(0)), RangeNotSatisfiable);
  CHECK_THROWS_AS(storage->OpenReader("a/missing.bin", ByteRange::From(0)), NotFound);

  storage->Put("a/empty", "");
  try {
    storage->OpenReader("a/empty", ByteRange::From(0));
    FAIL("no range of an empty object is satisfiable");
  } catch (const RangeNotSatisfiable& error) {
    CHECK(error.total_size() == 0);
  }
}

TEST_CASE("Storage: an aborted or dropped writer leaves nothing visible", "[storage]") {
  TestStorage storage;

  SECTION("explicit abort") {
    auto writer = storage->OpenWriter("videos/a/original");
    writer->Write("hello", 5);
    writer->Abort();
    writer->Abort();  // harmless twice
    CHECK_FALSE(storage->Stat("videos/a/original"));
    CHECK_THROWS_AS(writer->Write("x", 1), std::logic_error);
    CHECK_THROWS_AS(writer->Commit(), std::logic_error);
  }
  SECTION("explicit abort of an object larger than a part (a multipart upload on S3)") {
    const std::string data = PatternBytes(9 << 20);
    auto writer = storage->OpenWriter("videos/a/original");
    writer->Write(data.data(), data.size());
    writer->Write("more", 4);
    writer->Abort();
    CHECK_FALSE(storage->Stat("videos/a/original"));
    CHECK(storage->List("").objects.empty());
  }
  SECTION("in flight, then dropped") {
    {
      auto writer = storage->OpenWriter("videos/a/original");
      writer->Write("hello", 5);
      CHECK_FALSE(storage->Stat("videos/a/original"));
      CHECK(storage->List("").objects.empty());
      CHECK_THROWS_AS(storage->OpenReader("videos/a/original"), NotFound);
      CHECK(storage->TotalSize() == 0);
    }
    CHECK_FALSE(storage->Stat("videos/a/original"));
    CHECK(storage->List("").objects.empty());
  }
  SECTION("commit replaces the previous object atomically") {
    storage->Put("videos/a/original", "first version");
    auto writer = storage->OpenWriter("videos/a/original");
    writer->Write("second", 6);
    CHECK(storage->GetString("videos/a/original") == "first version");
    writer->Commit();
    CHECK(storage->GetString("videos/a/original") == "second");
    writer->Abort();  // after commit: a no-op
    CHECK(storage->GetString("videos/a/original") == "second");
    CHECK_THROWS_AS(writer->Commit(), std::logic_error);
    CHECK_THROWS_AS(writer->Write("x", 1), std::logic_error);
  }
}

TEST_CASE("Storage deletes objects and prefixes and adds up sizes", "[storage]") {
  TestStorage storage;
  storage->Put("videos/abc/original", "o");
  storage->Put("videos/abc/hls/720p/seg-1.m4s", "12");
  storage->Put("videos/abc/hls/720p/seg-2.m4s", "345");
  storage->Put("videos/abcd/original", "keep");
  storage->Put("videos/abd/original", "keep");

  CHECK(storage->TotalSize("videos/abc/") == 6);
  CHECK(storage->TotalSize("videos/abc") == 10);
  CHECK(storage->TotalSize() == 14);

  storage->Delete("videos/abc/original");
  storage->Delete("videos/abc/original");  // missing: no error
  storage->Delete("nothing/here/at/all");
  CHECK_FALSE(storage->Stat("videos/abc/original"));

  CHECK(storage->DeletePrefix("videos/abc/") == 2);
  CHECK(storage->List("videos/abc/").objects.empty());
  CHECK(storage->GetString("videos/abcd/original") == "keep");
  CHECK(storage->GetString("videos/abd/original") == "keep");

  CHECK(storage->DeletePrefix("videos/") == 2);
  CHECK(storage->List("").objects.empty());
  CHECK(storage->DeletePrefix("videos/") == 0);
  CHECK(storage->TotalSize() == 0);
}

TEST_CASE("Storage lists keys in byte order, page by page", "[storage]") {
  TestStorage storage;
  // "a-c" < "a.d" < "a/b" < "a0": a backend keeping folders must sort them as "name/".
  std::vector<std::string> keys = {"a/b", "a-c", "a.d", "a0", "b/x/y", "b/x/z", "b/x-", "c"};
  for (const auto& key : keys) storage->Put(key, key);
  std::vector<std::string> sorted = keys;
  std::sort(sorted.begin(), sorted.end());

  CHECK(Keys(storage->List("")) == sorted);
  CHECK(storage->List("").continuation.empty());

  std::vector<std::string> paged;
  std::string continuation;
  int pages = 0;
  do {
    ListResult page = storage->List("", continuation, 3);
    CHECK(page.objects.size() <= 3);
    for (const auto& object : page.objects) paged.push_back(object.key);
    continuation = page.continuation;
    ++pages;
  } while (!continuation.empty() && pages < 10);
  CHECK(paged == sorted);
  CHECK(pages == 3);

  CHECK(Keys(storage->List("b/")) == std::vector<std::string>{"b/x-", "b/x/y", "b/x/z"});
  CHECK(Keys(storage->List("b/x/")) == std::vector<std::string>{"b/x/y", "b/x/z"});
  CHECK(Keys(storage->List("a")) == std::vector<std::string>{"a-c", "a.d", "a/b", "a0"});
  CHECK(Keys(storage->List("b/x/", "b/x/y")) == std::vector<std::string>{"b/x/z"});
  CHECK(Keys(storage->List("", "b/x/z")) == std::vector<std::string>{"c"});
  CHECK(storage->List("zzz/").objects.empty());
  CHECK(storage->List("c/").objects.empty());
  CHECK(storage->List("", "", 0).objects.empty());

  auto listed = storage->List("c");
  REQUIRE(listed.objects.size() == 1);
  CHECK(listed.objects[0].size == 1);
  CHECK(listed.objects[0].modified_ms > 0);
  CHECK_FALSE(listed.objects[0].etag.empty());
}

TEST_CASE("Storage pages through and deletes more objects than one listing page holds", "[storage]") {
  TestStorage storage;
  constexpr int kObjects = 1001;  // S3 answers at most 1000 keys per request
  std::vector<std::string> keys;
  for (int i = 0; i < kObjects; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "many/obj-%05d", i);
    keys.emplace_back(name);
  }
  for (const auto& key : keys) storage->Put(key, "x");
  storage->Put("manz", "outside");
  storage->Put("man/y", "outside");

  ListResult first = storage->List("many/");
  CHECK(first.objects.size() == 1000);
  CHECK(first.continuation == keys[999]);
  ListResult second = storage->List("many/", first.continuation);
  CHECK(Keys(second) == std::vector<std::string>{keys[1000]});
  CHECK(second.continuation.empty());

  ListResult all = storage->List("many/", "", 5000);  // more than one S3 request behind one call
  CHECK(Keys(all) == keys);
  CHECK(all.continuation.empty());
  ListResult middle = storage->List("many/", keys[499], 1000);
  CHECK(middle.objects.size() == 501);
  CHECK(middle.objects.front().key == keys[500]);

  CHECK(storage->TotalSize("many/") == kObjects);
  CHECK(storage->DeletePrefix("many/") == kObjects);
  CHECK(storage->List("many/").objects.empty());
  CHECK(Keys(storage->List("")) == std::vector<std::string>{"man/y", "manz"});
}

TEST_CASE("Storage keeps keys with unusual but valid characters", "[storage]") {
  TestStorage storage;
  std::vector<std::string> keys = {"a..b", "x/y.", "-leading-dash", "_underscore/_x", "UPPER/lower/MiXeD",
                                   "dots.in.the.middle/v1.2.3", "videos/AbC-12_x/hls/720p/seg-00001.m4s",
                                   // Long, but short enough for s3rver, whose file names add 15 bytes.
                                   "z/" + std::string(230, 'q'), LongKey(1024)};
  for (const auto& key : keys) {
    INFO("key: " << key.substr(0, 60));
    storage->Put(key, "value of " + key);
    CHECK(storage->GetString(key) == "value of " + key);
    REQUIRE(storage->Stat(key));
    CHECK(storage->Stat(key)->key == key);
  }
  std::vector<std::string> sorted = keys;
  std::sort(sorted.begin(), sorted.end());
  CHECK(Keys(storage->List("")) == sorted);
  for (const auto& key : keys) storage->Delete(key);
  CHECK(storage->List("").objects.empty());
}

TEST_CASE("Storage validates keys before anything reaches the backend", "[storage]") {
  TestStorage storage;
  for (const std::string& bad : std::vector<std::string>{"",           "/abs",
                                                         "a//b",       "a/",
                                                         "../x",       "a/../b",
                                                         "a/./b",      ".",
                                                         "..",         ".tmp/x",
                                                         "a/.hidden",  "a\\b",
                                                         "a b",        "a%2fb",
                                                         "a?b",        "a#b",
                                                         "a+b",        std::string("a\0b", 3),
                                                         "é",          std::string(256, 'a'),
                                                         LongKey(1025)}) {
    INFO("key: " << bad);
    CHECK_THROWS_AS(storage->Put(bad, "x"), InvalidInput);
    CHECK_THROWS_AS(storage->OpenReader(bad), InvalidInput);
    CHECK_THROWS_AS(storage->Stat(bad), InvalidInput);
    CHECK_THROWS_AS(storage->Delete(bad), InvalidInput);
    CHECK_THROWS_AS(storage->PresignedGetUrl(bad, std::chrono::seconds(60)), InvalidInput);
    CHECK_THROWS_AS(storage->LocalPath(bad), InvalidInput);
  }
  CHECK_THROWS_AS(storage->List("../"), InvalidInput);
  CHECK_THROWS_AS(storage->List("/"), InvalidInput);
  CHECK_THROWS_AS(storage->DeletePrefix("a//"), InvalidInput);
  CHECK_THROWS_AS(storage->TotalSize("a b"), InvalidInput);
  CHECK_NOTHROW(storage->List("videos/Ab"));
  CHECK(storage->List("").objects.empty());
}

TEST_CASE("Storage reports missing objects as not found", "[storage]") {
  TestStorage storage;
  CHECK_THROWS_AS(storage->OpenReader("videos/none/original"), NotFound);
  CHECK_THROWS_AS(storage->GetString("videos/none/original"), NotFound);
  CHECK_FALSE(storage->Stat("videos/none/original"));
  CHECK_NOTHROW(storage->Delete("videos/none/original"));
  CHECK(storage->DeletePrefix("videos/none/") == 0);
  CHECK(storage->List("videos/none/").objects.empty());
  CHECK(storage->TotalSize("videos/none/") == 0);

  storage->Put("videos/some/original", "x");
  CHECK_THROWS_AS(storage->OpenReader("videos/some"), NotFound);  // a "folder" is not an object
  CHECK_FALSE(storage->Stat("videos/some"));
}

TEST_CASE("Storage health check writes, reads and deletes a probe and leaves nothing", "[storage]") {
  TestStorage storage;
  CHECK_NOTHROW(storage->CheckHealth());
  CHECK(storage->List("").objects.empty());
  CHECK_FALSE(storage->Describe().empty());
}

TEST_CASE("Storage copies local files in with PutFile", "[storage]") {
  TestStorage storage;
  test::TempDir dir("monotube-storage-test");
  const fs::path source = dir.path() / "upload.bin";
  const std::string data = PatternBytes((3 << 20) + 3);
  { std::ofstream(source, std::ios::binary) << data; }
  storage->PutFile("videos/x/original", source);
  CHECK(storage->Stat("videos/x/original")->size == data.size());
  CHECK(storage->GetString("videos/x/original") == data);
  CHECK(fs::exists(source));
  CHECK_THROWS(storage->PutFile("videos/y/original", dir.path() / "missing"));
  CHECK_FALSE(storage->Stat("videos/y/original"));
}

TEST_CASE("Storage offers every object as a presigned URL or as a local file", "[storage]") {
  TestStorage storage;
  storage->Put("videos/x/original", "the original bytes", {"video/mp4"});
  std::optional<std::string> url = storage->PresignedGetUrl("videos/x/original", std::chrono::seconds(300));
  std::optional<fs::path> path = storage->LocalPath("videos/x/original");
  CHECK(url.has_value() != path.has_value());
  if (url) {
    test::FetchResult fetched = test::FetchUrl(*url);
    CHECK(fetched.status == 200);
    CHECK(fetched.body == "the original bytes");
  } else {
    REQUIRE(path);
    std::ifstream in(*path, std::ios::binary);
    std::stringstream content;
    content << in.rdbuf();
    CHECK(content.str() == "the original bytes");
    CHECK_THROWS_AS(storage->LocalPath("videos/x/missing"), NotFound);
  }
}

TEST_CASE("Storage stays consistent under concurrent writers and deleters", "[storage]") {
  TestStorage storage;
  const int iterations = storage.is_s3() ? 25 : 200;
  // Catch's assertions are not thread-safe: threads collect what went wrong, the test reports it.
  std::mutex mutex;
  std::vector<std::string> failures;
  auto report = [&](std::string what) {
    std::lock_guard lock(mutex);
    failures.push_back(std::move(what));
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      try {
        for (int i = 0; i < iterations; ++i) {
          std::string key = "shared/dir/" + std::to_string(t) + "-" + std::to_string(i);
          storage->Put(key, key);
          std::string read = storage->GetString(key);
          if (read != key) report(key + " read back as \"" + read + "\"");
          storage->Delete(key);
        }
      } catch (const std::exception& error) {
        report("thread " + std::to_string(t) + ": " + error.what());
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (const auto& failure : failures) UNSCOPED_INFO(failure);
  CHECK(failures.empty());
  CHECK(storage->List("").objects.empty());
}
