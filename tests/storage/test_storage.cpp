#include "storage/test_storage.hpp"

#include <cstdlib>
#include <random>
#include <stdexcept>

#include <catch2/catch.hpp>

#include "monotube/storage/local_storage.hpp"

#include "src/core/storage/s3_client.hpp"

namespace monotube::test {
namespace {

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

std::string RandomSuffix() {
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  thread_local std::mt19937_64 random(std::random_device{}());
  std::uniform_int_distribution<std::size_t> pick(0, sizeof kAlphabet - 2);
  std::string out;
  for (int i = 0; i < 10; ++i) out += kAlphabet[pick(random)];
  return out;
}

void SendToBucket(const storage::S3Options& options, const std::string& bucket, const std::string& method) {
  storage::s3::Client client(options);
  storage::s3::Request request;
  request.method = method;
  request.bucket = bucket;
  request.what = method + " bucket " + bucket;
  storage::s3::Response response = client.Send(request);
  if (response.status < 200 || response.status >= 300) client.Fail(request, response);
}

}  // namespace

bool S3Requested() { return Env("MONOTUBE_TEST_STORAGE") == "s3"; }

storage::S3Options S3OptionsFromEnvironment() {
  const std::string url = Env("MONOTUBE_TEST_S3_URL");
  if (url.empty()) {
    throw std::runtime_error(
        "MONOTUBE_TEST_STORAGE=s3 but MONOTUBE_TEST_S3_URL is not set: run the tests through "
        "scripts/test.sh, or "
        "bash scripts/s3-server.sh -- ctest --test-dir build -L s3, or point it (with "
        "MONOTUBE_TEST_S3_ACCESS_KEY "
        "and MONOTUBE_TEST_S3_SECRET_KEY) at an S3-compatible server where buckets may be created");
  }
  return storage::ParseS3StorageUrl(url, Env("MONOTUBE_TEST_S3_ACCESS_KEY"),
                                    Env("MONOTUBE_TEST_S3_SECRET_KEY"));
}

void CreateBucket(const storage::S3Options& options, const std::string& bucket) {
  SendToBucket(options, bucket, "PUT");
}

void DeleteBucket(const storage::S3Options& options, const std::string& bucket) {
  storage::S3Options in_bucket = options;
  in_bucket.bucket = bucket;
  storage::S3Storage(in_bucket).DeletePrefix("");
  SendToBucket(options, bucket, "DELETE");
}

TestStorage::TestStorage() {
  std::string kind = Env("MONOTUBE_TEST_STORAGE");
  if (kind.empty() || kind == "local") {
    dir_.emplace("monotube-storage-test");
    storage_ = std::make_unique<storage::LocalStorage>(dir_->path() / "objects");
    return;
  }
  if (kind != "s3")
    throw std::runtime_error("MONOTUBE_TEST_STORAGE must be 'local' or 's3', not '" + kind + "'");
  storage::S3Options options = S3OptionsFromEnvironment();
  // A bucket per test keeps tests apart and lets them expect an empty store.
  std::string base = options.bucket.substr(0, 40);
  options.bucket = base + "-" + RandomSuffix();
  CreateBucket(options, options.bucket);
  s3_options_ = options;
  storage_ = std::make_unique<storage::S3Storage>(options);
}

TestStorage::~TestStorage() {
  if (!s3_options_) return;
  storage_.reset();
  try {
    DeleteBucket(*s3_options_, s3_options_->bucket);
  } catch (const std::exception& error) {
    UNSCOPED_INFO("could not remove the test bucket " << s3_options_->bucket << ": " << error.what());
  }
}

}  // namespace monotube::test
