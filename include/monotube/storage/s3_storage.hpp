#pragma once
// Objects in an S3-compatible bucket (AWS S3, MinIO, s3rver, …), spoken over libcurl
// with AWS Signature V4.
//
// Writers keep up to part_size bytes in memory: an object that fits is sent with one PUT
// at Commit(); a larger one becomes a multipart upload whose parts go out as the buffer
// fills (so memory stays at one part per open writer) and which Commit() completes and
// Abort() (or destruction without Commit) cancels. Nothing is visible before Commit().
//
// Readers send a HEAD when opened (size, ETag, date; the range is resolved and checked
// here, so every backend answers ranges the same way), then ranged GETs of up to
// read_chunk_size bytes as Read() asks for data, each pinned to the ETag seen at open
// with If-Match, so a reader never mixes two versions of an object.
//
// Requests that are safe to repeat (GET, HEAD, PUT, DELETE, batch delete) are retried
// on connection failures and on 500/502/503/504/SlowDown with a short backoff. Failures
// become Unavailable("storage_unavailable") with a short reason for people; the detail
// (operation, key, S3 error code and message, curl error) goes to the log. Secrets never
// appear in either.
//
// Thread-safe; idle connections are pooled and reused.
#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "monotube/clock.hpp"
#include "monotube/storage/storage.hpp"

namespace monotube::storage {

namespace s3 {
class Client;
}

struct S3Options {
  std::string bucket;
  std::string region = "us-east-1";
  // "http(s)://host[:port]" without a path; empty = AWS (https://s3.<region>.amazonaws.com).
  std::string endpoint;
  // true: <endpoint>/<bucket>/<key> (MinIO, s3rver); false: <bucket>.<endpoint host>/<key>
  // (virtual-host style, what AWS prefers).
  bool path_style = true;
  std::string access_key;
  std::string secret_key;

  // Tuning: the defaults suit production; tests shorten some of them.
  std::size_t part_size = 8 << 20;        // multipart threshold and part size (S3: >= 5 MiB)
  std::size_t read_chunk_size = 4 << 20;  // bytes per ranged GET while reading
  std::size_t list_page_size = 1000;      // max-keys per ListObjectsV2 request (S3 caps it at 1000)
  std::chrono::milliseconds connect_timeout{5000};
  // A transfer that moves less than 1 KiB/s for this long fails (a stalled server).
  std::chrono::seconds stall_timeout{30};
  int max_attempts = 3;                          // per request, for requests safe to repeat
  std::chrono::milliseconds retry_backoff{200};  // doubled after each failed attempt
  std::size_t max_idle_connections = 16;
  const Clock* clock = nullptr;  // signs requests; null = the system clock; must outlive the storage
};

// Parses "s3://bucket?endpoint=http://host:port&region=us-east-1&path_style=true|false"
// (region defaults to us-east-1; path_style defaults to true with an endpoint and to
// false, virtual-host style, for AWS). Throws ConfigError naming storage_url for a bad
// URL or missing credentials; messages never echo secrets.
S3Options ParseS3StorageUrl(const std::string& url, const std::string& access_key,
                            const std::string& secret_key);

class S3Storage final : public ObjectStorage {
 public:
  // Sends nothing yet; CheckHealth() tells whether the bucket is reachable.
  explicit S3Storage(S3Options options);
  ~S3Storage() override;

  std::unique_ptr<ObjectWriter> OpenWriter(const std::string& key, const WriteOptions& options = {}) override;
  std::unique_ptr<ObjectReader> OpenReader(const std::string& key,
                                           std::optional<ByteRange> range = std::nullopt) override;
  std::optional<ObjectInfo> Stat(const std::string& key) override;
  void Delete(const std::string& key) override;
  // Lists a page at a time and removes each page with one DeleteObjects request (or one
  // DELETE per key on servers without DeleteObjects).
  std::size_t DeletePrefix(const std::string& prefix) override;
  // The continuation is the last key of the page (ListObjectsV2 start-after), so it means
  // the same on every backend.
  ListResult List(const std::string& prefix, const std::string& continuation = {},
                  std::size_t limit = 1000) override;
  void CheckHealth() override;
  std::string Describe() const override;
  // A SigV4 query-presigned GET URL; expires must be 1 s to 7 days (else
  // std::invalid_argument). Anyone holding the URL can read the object until then.
  std::optional<std::string> PresignedGetUrl(const std::string& key, std::chrono::seconds expires,
                                             const std::string& response_content_type = {}) override;

  const S3Options& options() const noexcept;

 private:
  std::shared_ptr<s3::Client> client_;
  std::atomic<bool> batch_delete_unsupported_{false};  // learnt from the server's answer
};

}  // namespace monotube::storage
