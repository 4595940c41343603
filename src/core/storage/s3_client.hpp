#pragma once
// One signed S3 request at a time over libcurl, with retries, timeouts and a pool of
// idle connections. S3Storage builds the operations on top of it; tests use it to make
// buckets. Thread-safe.
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <curl/curl.h>

#include "monotube/storage/s3_storage.hpp"

#include "src/core/storage/s3_signer.hpp"

namespace monotube::storage::s3 {

struct Request {
  std::string method;     // GET, HEAD, PUT, POST, DELETE
  std::string key;        // "" = the bucket itself
  NameValues query;       // decoded names and values
  NameValues headers;     // besides host, x-amz-date, x-amz-content-sha256 and authorization
  std::string_view body;  // what PUT/POST send; must stay valid during Send
  // Response body bytes kept; a longer body fails the request (object data is always
  // fetched in bounded ranges, so this only trips on a misbehaving server).
  std::size_t max_response_bytes = 4 << 20;
  bool repeatable = true;  // safe to send again after a failure (idempotent)
  std::string bucket;      // "" = the configured bucket (tests create other buckets)
  std::string what;        // for the log: "read videos/x/original"
};

struct Response {
  long status = 0;
  std::map<std::string, std::string> headers;  // lower-case names, last value wins
  std::string body;

  std::string Header(const std::string& lower_case_name) const;
  // The S3 error code (<Code>) or, for bodiless answers such as HEAD, one derived from
  // the status ("NotFound", "Forbidden", …).
  std::string ErrorCode() const;
  std::string ErrorMessage() const;  // <Message>, cleaned and shortened; may be empty
};

class Client {
 public:
  explicit Client(S3Options options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Sends request (retrying when it is repeatable) and returns the last answer whatever
  // its status; throws Unavailable when no answer came (connection, timeout).
  Response Send(const Request& request);
  // Throws Unavailable("storage_unavailable") for a failed answer: a short reason for
  // people, the detail in the log.
  [[noreturn]] void Fail(const Request& request, const Response& response) const;

  std::string PresignedGetUrl(const std::string& key, std::int64_t expires_seconds,
                              const std::string& response_content_type) const;
  // "S3 bucket videos at http://127.0.0.1:9000"
  std::string Describe() const;
  const S3Options& options() const noexcept { return options_; }

 private:
  struct Target {
    std::string url;            // scheme://host/path?query
    std::string host;           // Host header, as signed
    std::string canonical_uri;  // path, as signed
    std::string query;          // canonical query string, as signed and sent
  };
  Target TargetFor(const std::string& bucket, const std::string& key, const NameValues& query) const;
  std::int64_t NowSeconds() const;
  struct Attempt;
  Attempt PerformOnce(const Request& request);
  CURL* AcquireHandle();
  void ReleaseHandle(CURL* handle);

  S3Options options_;
  std::string scheme_;  // "http" or "https"
  std::string host_;    // host[:port] of the endpoint (without the bucket)
  std::mutex mutex_;
  std::vector<CURL*> idle_;
};

}  // namespace monotube::storage::s3
