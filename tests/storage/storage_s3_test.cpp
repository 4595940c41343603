// What only the S3 backend has: presigned URLs, credentials, addressing styles, and
// agreement with another S3 client (awscli). Tagged [s3]: they run in the
// "s3: storage contract" CTest entry, against the server of MONOTUBE_TEST_S3_URL.
#include <chrono>
#include <functional>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "monotube/clock.hpp"
#include "monotube/errors.hpp"
#include "monotube/process.hpp"
#include "monotube/storage/s3_storage.hpp"

#include "storage/test_storage.hpp"
#include "support/storage_helpers.hpp"
#include "support/temp_dir.hpp"

namespace fs = std::filesystem;
using namespace monotube;
using namespace monotube::storage;
using monotube::test::FetchUrl;
using monotube::test::PatternBytes;
using monotube::test::ReadAll;
using monotube::test::TestStorage;

namespace {

std::string MessageOf(const std::function<void()>& action) {
  try {
    action();
  } catch (const Unavailable& error) {
    CHECK(error.code() == "storage_unavailable");
    return error.what();
  }
  FAIL("expected Unavailable");
  return {};
}

// Replaces the value of query parameter `name` in url.
std::string WithParameter(const std::string& url, const std::string& name, const std::string& value) {
  std::size_t start = url.find(name + "=");
  REQUIRE(start != std::string::npos);
  start += name.size() + 1;
  std::size_t end = url.find('&', start);
  return url.substr(0, start) + value + (end == std::string::npos ? "" : url.substr(end));
}

struct AwsCli {
  const S3Options& options;
  std::string endpoint;

  ProcessResult Run(std::vector<std::string> arguments) const {
    // No configuration files, no instance metadata, and no flexible checksums (newer
    // botocore sends aws-chunked bodies by default, which s3rver would store verbatim).
    std::vector<std::string> argv = {"env",
                                     "AWS_ACCESS_KEY_ID=" + options.access_key,
                                     "AWS_SECRET_ACCESS_KEY=" + options.secret_key,
                                     "AWS_DEFAULT_REGION=" + options.region,
                                     "AWS_CONFIG_FILE=/dev/null",
                                     "AWS_SHARED_CREDENTIALS_FILE=/dev/null",
                                     "AWS_EC2_METADATA_DISABLED=true",
                                     "AWS_REQUEST_CHECKSUM_CALCULATION=when_required",
                                     "AWS_RESPONSE_CHECKSUM_VALIDATION=when_required",
                                     "AWS_PAGER=",
                                     "aws",
                                     "--endpoint-url",
                                     endpoint};
    argv.insert(argv.end(), arguments.begin(), arguments.end());
    ProcessOptions process;
    process.argv = std::move(argv);
    process.timeout = std::chrono::seconds(120);
    ProcessResult result = RunProcess(process);
    INFO("aws " << arguments[0] << " " << (arguments.size() > 1 ? arguments[1] : "") << ": "
                << result.Describe() << "\n"
                << result.stderr_text);
    REQUIRE(result.ok());
    return result;
  }
};

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

}  // namespace

TEST_CASE("S3: a presigned URL gives the object; expired or tampered ones get 403", "[s3]") {
  TestStorage storage;
  REQUIRE(storage.is_s3());
  storage->Put("videos/p/original", "presigned bytes", {"video/mp4"});
  storage->Put("videos/p/other", "other bytes");

  std::string url = storage->PresignedGetUrl("videos/p/original", std::chrono::seconds(300)).value();
  CHECK(url.find("X-Amz-Expires=300") != std::string::npos);
  if (storage.s3_options().secret_key != storage.s3_options().access_key) {  // s3rver's are both S3RVER
    CHECK(url.find(storage.s3_options().secret_key) == std::string::npos);
  }
  test::FetchResult fetched = FetchUrl(url);
  CHECK(fetched.status == 200);
  CHECK(fetched.body == "presigned bytes");
  CHECK(fetched.content_type == "video/mp4");

  std::string typed =
      storage
          ->PresignedGetUrl("videos/p/original", std::chrono::seconds(300), "application/vnd.apple.mpegurl")
          .value();
  test::FetchResult as_playlist = FetchUrl(typed);
  CHECK(as_playlist.status == 200);
  CHECK(as_playlist.content_type == "application/vnd.apple.mpegurl");

  SECTION("tampered") {
    std::string signature = url.substr(url.find("X-Amz-Signature=") + 16);
    std::string flipped = signature;
    flipped.back() = flipped.back() == '0' ? '1' : '0';
    CHECK(FetchUrl(WithParameter(url, "X-Amz-Signature", flipped)).status == 403);
    CHECK(FetchUrl(WithParameter(url, "X-Amz-Expires", "600")).status == 403);
    std::string other_key = url;
    other_key.replace(other_key.find("/original?"), 10, "/other?");
    CHECK(FetchUrl(other_key).status == 403);
    CHECK(FetchUrl(WithParameter(typed, "response-content-type", "text%2Fhtml")).status == 403);
  }
  SECTION("expired") {
    // Signed two hours ago for one minute.
    ManualClock past(SystemClock().NowMs() - 2 * 3600 * 1000);
    S3Options options = storage.s3_options();
    options.clock = &past;
    S3Storage signer(options);
    std::string old = signer.PresignedGetUrl("videos/p/original", std::chrono::seconds(60)).value();
    test::FetchResult expired = FetchUrl(old);
    CHECK(expired.status == 403);
    CHECK(expired.body.find("expired") != std::string::npos);
  }
  SECTION("expiry limits") {
    CHECK_THROWS_AS(storage->PresignedGetUrl("videos/p/original", std::chrono::seconds(0)),
                    std::invalid_argument);
    CHECK_THROWS_AS(storage->PresignedGetUrl("videos/p/original", std::chrono::hours(24 * 7 + 1)),
                    std::invalid_argument);
    CHECK(
        FetchUrl(storage->PresignedGetUrl("videos/p/original", std::chrono::hours(24 * 7)).value()).status ==
        200);
  }
}

TEST_CASE("S3: the content type given to the writer is stored, for one PUT and for multipart", "[s3]") {
  TestStorage storage;
  storage->Put("small", "tiny", {"image/jpeg"});
  const std::string big = PatternBytes((8 << 20) + 1);
  storage->Put("big", big, {"video/mp4"});
  storage->Put("untyped", "bytes");
  auto type_of = [&](const std::string& key) {
    return FetchUrl(storage->PresignedGetUrl(key, std::chrono::seconds(60)).value()).content_type;
  };
  CHECK(type_of("small") == "image/jpeg");
  CHECK(type_of("big") == "video/mp4");
  CHECK(type_of("untyped") != "application/x-www-form-urlencoded");
}

TEST_CASE("S3: wrong credentials or a missing bucket give a clear error, not a crash", "[s3]") {
  TestStorage storage;
  storage->Put("k", "v");

  S3Options wrong_secret = storage.s3_options();
  wrong_secret.secret_key = "not-the-secret-Zq81x";
  S3Storage refused(wrong_secret);
  std::string message = MessageOf([&] { refused.Stat("k"); });
  CHECK_THAT(message, Catch::Contains("secret key") && Catch::Contains("SignatureDoesNotMatch"));
  CHECK_THAT(message, !Catch::Contains("Zq81x"));
  message = MessageOf([&] { refused.CheckHealth(); });
  CHECK_THAT(message, Catch::StartsWith(refused.Describe()) && Catch::Contains("SignatureDoesNotMatch"));
  CHECK_THAT(message, !Catch::Contains("Zq81x"));
  CHECK_THROWS_AS(refused.Put("k2", "v"), Unavailable);
  CHECK_THROWS_AS(refused.List(""), Unavailable);
  CHECK_FALSE(storage->Stat("k2"));

  S3Options wrong_key = storage.s3_options();
  wrong_key.access_key = "NOSUCHKEY";
  CHECK_THAT(MessageOf([&] { S3Storage(wrong_key).GetString("k"); }), Catch::Contains("InvalidAccessKeyId"));

  S3Options missing_bucket = storage.s3_options();
  missing_bucket.bucket = storage.s3_options().bucket + "-missing";
  CHECK_THAT(MessageOf([&] { S3Storage(missing_bucket).CheckHealth(); }), Catch::Contains("NoSuchBucket"));

  S3Options wrong_region = storage.s3_options();
  wrong_region.region = "eu-central-1";
  CHECK_THAT(MessageOf([&] { S3Storage(wrong_region).List(""); }), Catch::Contains("another region"));
}

TEST_CASE("S3: virtual-host style addressing reaches the same bucket", "[s3]") {
  TestStorage storage;
  storage->Put("videos/v/original", "via path style");
  // The test server treats <bucket>.s3.localhost as virtual-host style, and curl sends
  // every *.localhost name to the loopback address.
  S3Options vhost = storage.s3_options();
  std::string port = vhost.endpoint.substr(vhost.endpoint.rfind(':') + 1);
  vhost.endpoint = "http://s3.localhost:" + port;
  vhost.path_style = false;
  S3Storage virtual_host(vhost);
  CHECK(virtual_host.Describe() ==
        "S3 bucket " + vhost.bucket + " at http://" + vhost.bucket + ".s3.localhost:" + port);
  CHECK(virtual_host.GetString("videos/v/original") == "via path style");
  virtual_host.Put("videos/v/second", "via virtual host");
  CHECK(storage->GetString("videos/v/second") == "via virtual host");
  CHECK(test::Keys(virtual_host.List("videos/")) ==
        std::vector<std::string>{"videos/v/original", "videos/v/second"});
  std::string url = virtual_host.PresignedGetUrl("videos/v/second", std::chrono::seconds(60)).value();
  CHECK_THAT(url,
             Catch::StartsWith("http://" + vhost.bucket + ".s3.localhost:" + port + "/videos/v/second?"));
  CHECK(FetchUrl(url).body == "via virtual host");
  CHECK(virtual_host.DeletePrefix("videos/") == 2);
}

TEST_CASE("S3: what S3Storage stores, awscli reads, and the other way round", "[s3]") {
  TestStorage storage;
  const S3Options& options = storage.s3_options();
  AwsCli aws{options, options.endpoint};
  test::TempDir dir("monotube-awscli-test");
  const std::string bucket = "s3://" + options.bucket;

  // Written here (one PUT, and a three-part multipart upload), read by awscli.
  const std::string small = "small object written by monotube\n";
  const std::string large = PatternBytes((20 << 20) + 99, 7);
  storage->Put("from-monotube/small.txt", small, {"text/plain"});
  storage->Put("from-monotube/large.bin", large, {"video/mp4"});
  aws.Run(
      {"s3", "cp", "--only-show-errors", bucket + "/from-monotube/small.txt", (dir / "small.txt").string()});
  aws.Run(
      {"s3", "cp", "--only-show-errors", bucket + "/from-monotube/large.bin", (dir / "large.bin").string()});
  CHECK(ReadFile(dir / "small.txt") == small);
  CHECK(ReadFile(dir / "large.bin") == large);
  std::string listing = aws.Run({"s3", "ls", "--recursive", bucket + "/"}).stdout_text;
  CHECK_THAT(listing, Catch::Contains(std::to_string(large.size()) + " from-monotube/large.bin"));
  CHECK_THAT(listing, Catch::Contains(std::to_string(small.size()) + " from-monotube/small.txt"));

  // Written by awscli (its own multipart upload for the large file), read here.
  const std::string other = PatternBytes((17 << 20) + 5, 11);
  { std::ofstream(dir / "other.bin", std::ios::binary) << other; }
  aws.Run({"s3", "cp", "--only-show-errors", (dir / "other.bin").string(), bucket + "/from-aws/other.bin"});
  aws.Run({"s3", "cp", "--only-show-errors", (dir / "small.txt").string(), bucket + "/from-aws/small.txt"});
  REQUIRE(storage->Stat("from-aws/other.bin"));
  CHECK(storage->Stat("from-aws/other.bin")->size == other.size());
  CHECK(ReadAll(*storage->OpenReader("from-aws/other.bin"), 1 << 20) == other);
  CHECK(test::ReadRange(*storage, "from-aws/other.bin", ByteRange::Between(8 << 20, (9 << 20) + 3)) ==
        other.substr(8 << 20, (1 << 20) + 4));
  CHECK(storage->GetString("from-aws/small.txt") == small);
  CHECK(test::Keys(storage->List("from-aws/")) ==
        std::vector<std::string>{"from-aws/other.bin", "from-aws/small.txt"});

  // Deletions are seen both ways.
  aws.Run({"s3", "rm", "--only-show-errors", bucket + "/from-aws/small.txt"});
  CHECK_FALSE(storage->Stat("from-aws/small.txt"));
  CHECK(storage->DeletePrefix("from-monotube/") == 2);
  CHECK_THAT(aws.Run({"s3", "ls", "--recursive", bucket + "/"}).stdout_text,
             !Catch::Contains("from-monotube"));
}
