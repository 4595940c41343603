#pragma once
// The object storage a storage test runs against, chosen by MONOTUBE_TEST_STORAGE:
//   "local" (or unset): LocalStorage in a fresh temporary directory;
//   "s3": S3Storage on a fresh bucket made on the server of MONOTUBE_TEST_S3_URL (with
//         MONOTUBE_TEST_S3_ACCESS_KEY / _SECRET_KEY; scripts/s3-server.sh sets them all),
//         emptied and removed afterwards. Missing variables fail the test: a run that
//         asked for S3 must not pass without it.
#include <memory>
#include <optional>
#include <string>

#include "monotube/storage/s3_storage.hpp"
#include "monotube/storage/storage.hpp"

#include "support/temp_dir.hpp"

namespace monotube::test {

bool S3Requested();
// The server's options from the environment (bucket = the URL's bucket); throws
// std::runtime_error with what to do when the variables are missing.
storage::S3Options S3OptionsFromEnvironment();
// Creates / deletes (after emptying) a bucket on the server of options.
void CreateBucket(const storage::S3Options& options, const std::string& bucket);
void DeleteBucket(const storage::S3Options& options, const std::string& bucket);

class TestStorage {
 public:
  TestStorage();
  ~TestStorage();
  TestStorage(const TestStorage&) = delete;
  TestStorage& operator=(const TestStorage&) = delete;

  storage::ObjectStorage& get() noexcept { return *storage_; }
  storage::ObjectStorage* operator->() noexcept { return storage_.get(); }
  storage::ObjectStorage& operator*() noexcept { return *storage_; }

  bool is_s3() const noexcept { return s3_options_.has_value(); }
  // The options of the S3 storage (its bucket is the fresh one); only when is_s3().
  const storage::S3Options& s3_options() const { return s3_options_.value(); }

 private:
  std::optional<TempDir> dir_;
  std::optional<storage::S3Options> s3_options_;
  std::unique_ptr<storage::ObjectStorage> storage_;
};

}  // namespace monotube::test
