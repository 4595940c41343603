#include "src/core/storage/s3_client.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "monotube/errors.hpp"
#include "monotube/text.hpp"

#include "src/core/storage/s3_xml.hpp"
#include "src/core/base/curl_support.hpp"

namespace monotube::storage::s3 {
namespace {

constexpr long kLowSpeedBytesPerSecond = 1024;
constexpr std::size_t kMaxErrorMessageBytes = 200;

std::string_view Trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  return text;
}

// Server-provided text goes into logs and messages: printable ASCII only, bounded.
std::string Clean(std::string_view text, std::size_t max_bytes) {
  std::string out;
  for (char c : text) {
    if (out.size() >= max_bytes) {
      out += "...";
      break;
    }
    out += (c >= 0x20 && c < 0x7f) ? c : ' ';
  }
  return std::string(Trim(out));
}

// curl rewinds the body when it must send it again on the same attempt (e.g. after a
// 100-continue that did not come).
int SeekBody(void* user, curl_off_t offset, int origin) {
  auto* upload = static_cast<curl::Upload*>(user);
  if (origin != SEEK_SET || offset < 0 || static_cast<std::size_t>(offset) > upload->data.size()) {
    return CURL_SEEKFUNC_CANTSEEK;
  }
  upload->offset = static_cast<std::size_t>(offset);
  return CURL_SEEKFUNC_OK;
}

// Error answers (an XML document) may be longer than the data asked for (a range of a
// few bytes), so they get their own cap.
constexpr std::size_t kMaxErrorBodyBytes = 64 << 10;

struct Sink {
  std::string* body;
  std::size_t max_bytes;
  long status = 0;  // of the response being received, from its status line
  bool overflowed = false;
};

std::size_t WriteBody(char* data, std::size_t size, std::size_t count, void* user) {
  auto* sink = static_cast<Sink*>(user);
  std::size_t n = size * count;
  std::size_t max_bytes =
      sink->status >= 300 ? std::max(sink->max_bytes, kMaxErrorBodyBytes) : sink->max_bytes;
  if (sink->body->size() + n > max_bytes) {
    sink->overflowed = true;
    return 0;  // aborts the transfer with CURLE_WRITE_ERROR
  }
  sink->body->append(data, n);
  return n;
}

struct HeaderSink {
  std::map<std::string, std::string>* headers;
  Sink* body;
};

std::size_t WriteHeader(char* data, std::size_t size, std::size_t count, void* user) {
  auto* sink = static_cast<HeaderSink*>(user);
  std::string_view line(data, size * count);
  // Each response (a 100 Continue, then the real one) starts with its status line.
  if (line.starts_with("HTTP/")) {
    sink->headers->clear();
    std::size_t space = line.find(' ');
    sink->body->status =
        space == std::string_view::npos ? 0 : std::atol(std::string(line.substr(space + 1, 3)).c_str());
  } else if (std::size_t colon = line.find(':'); colon != std::string_view::npos) {
    (*sink->headers)[LowerAscii(Trim(line.substr(0, colon)))] = std::string(Trim(line.substr(colon + 1)));
  }
  return size * count;
}

bool IsRetryableTransport(CURLcode code, bool repeatable) {
  // Nothing reached the server: safe to try again whatever the request.
  if (code == CURLE_COULDNT_CONNECT || code == CURLE_COULDNT_RESOLVE_HOST) return true;
  if (!repeatable) return false;
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return true;
    default:
      return false;
  }
}

bool IsRetryableAnswer(const Response& response) {
  if (response.status == 500 || response.status == 502 || response.status == 503 || response.status == 504) {
    return true;
  }
  if (response.status < 400) return false;
  std::string code = response.ErrorCode();
  return code == "SlowDown" || code == "InternalError" || code == "RequestTimeout";
}

std::string TransportReason(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
      return "the storage server could not be reached";
    case CURLE_OPERATION_TIMEDOUT:
      return "the storage server did not answer in time";
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
      return "a secure connection to the storage server could not be made";
    default:
      return "the connection to the storage server failed";
  }
}

std::chrono::milliseconds Backoff(std::chrono::milliseconds base, int failed_attempts) {
  // Jitter spreads the retries of many replicas hitting the same SlowDown.
  thread_local std::minstd_rand random(std::random_device{}());
  auto doubled = base * (1 << std::min(failed_attempts - 1, 6));
  std::uniform_int_distribution<long long> jitter(0, std::max<long long>(1, doubled.count() / 2));
  return doubled + std::chrono::milliseconds(jitter(random));
}

class SystemClockHolder {
 public:
  static const Clock& Get() {
    static const SystemClock clock;
    return clock;
  }
};

}  // namespace

std::string Response::Header(const std::string& lower_case_name) const {
  auto it = headers.find(lower_case_name);
  return it == headers.end() ? std::string() : it->second;
}

std::string Response::ErrorCode() const {
  if (std::optional<std::string> code = s3xml::Text(body, "Code"); code && !code->empty()) {
    return Clean(*code, 64);
  }
  switch (status) {
    case 301:
      return "PermanentRedirect";
    case 400:
      return "BadRequest";
    case 403:
      return "Forbidden";
    case 404:
      return "NotFound";
    case 405:
      return "MethodNotAllowed";
    case 412:
      return "PreconditionFailed";
    case 416:
      return "InvalidRange";
    case 500:
      return "InternalError";
    case 501:
      return "NotImplemented";
    case 502:
      return "BadGateway";
    case 503:
      return "ServiceUnavailable";
    case 504:
      return "GatewayTimeout";
    default:
      return "HTTP" + std::to_string(status);
  }
}

std::string Response::ErrorMessage() const {
  std::optional<std::string> message = s3xml::Text(body, "Message");
  return message ? Clean(*message, kMaxErrorMessageBytes) : std::string();
}

struct Client::Attempt {
  CURLcode code = CURLE_OK;
  std::string error;  // curl's detail when code != CURLE_OK
  Response response;
};

Client::Client(S3Options options) : options_(std::move(options)) {
  curl::EnsureInitialized();
  if (options_.endpoint.empty()) {
    scheme_ = "https";
    host_ = "s3." + options_.region + ".amazonaws.com";
  } else {
    std::size_t separator = options_.endpoint.find("://");
    if (separator == std::string::npos) throw std::invalid_argument("S3 endpoint without a scheme");
    scheme_ = LowerAscii(options_.endpoint.substr(0, separator));
    host_ = options_.endpoint.substr(separator + 3);
    while (!host_.empty() && host_.back() == '/') host_.pop_back();
    if ((scheme_ != "http" && scheme_ != "https") || host_.empty() || host_.find('/') != std::string::npos) {
      throw std::invalid_argument("S3 endpoint must be http(s)://host[:port]");
    }
  }
  if (options_.part_size == 0 || options_.read_chunk_size == 0 || options_.list_page_size == 0 ||
      options_.max_attempts < 1) {
    throw std::invalid_argument("S3 options out of range");
  }
}

Client::~Client() {
  for (CURL* handle : idle_) curl_easy_cleanup(handle);
}

std::int64_t Client::NowSeconds() const {
  const Clock& clock = options_.clock ? *options_.clock : SystemClockHolder::Get();
  return clock.NowMs() / 1000;
}

Client::Target Client::TargetFor(const std::string& bucket, const std::string& key,
                                 const NameValues& query) const {
  Target target;
  std::string encoded_key = UriEncode(key, true);
  if (options_.path_style) {
    target.host = host_;
    target.canonical_uri = "/" + bucket + (key.empty() ? "" : "/" + encoded_key);
  } else {
    target.host = bucket + "." + host_;
    target.canonical_uri = "/" + encoded_key;
  }
  target.query = CanonicalQueryString(query);
  target.url =
      scheme_ + "://" + target.host + target.canonical_uri + (target.query.empty() ? "" : "?" + target.query);
  return target;
}

CURL* Client::AcquireHandle() {
  CURL* handle = nullptr;
  {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      handle = idle_.back();
      idle_.pop_back();
    }
  }
  if (!handle) handle = curl_easy_init();
  if (!handle) throw std::runtime_error("curl_easy_init failed");
  // Forgets every option but keeps the handle's open connections for reuse.
  curl_easy_reset(handle);
  return handle;
}

void Client::ReleaseHandle(CURL* handle) {
  {
    std::lock_guard lock(mutex_);
    if (idle_.size() < options_.max_idle_connections) {
      idle_.push_back(handle);
      return;
    }
  }
  curl_easy_cleanup(handle);
}

Client::Attempt Client::PerformOnce(const Request& request) {
  const std::string& bucket = request.bucket.empty() ? options_.bucket : request.bucket;
  Target target = TargetFor(bucket, request.key, request.query);
  const std::int64_t now = NowSeconds();
  const bool has_body = request.method == "PUT" || request.method == "POST";
  std::string payload_hash = has_body ? Sha256Hex(request.body) : std::string(kEmptyPayloadHash);

  SigningRequest signing;
  signing.method = request.method;
  signing.canonical_uri = target.canonical_uri;
  signing.query = request.query;
  signing.payload_hash = payload_hash;
  signing.headers = {
      {"host", target.host}, {"x-amz-date", AmzDate(now)}, {"x-amz-content-sha256", payload_hash}};
  for (const auto& header : request.headers) signing.headers.push_back(header);
  const std::string authorization =
      AuthorizationHeader(signing, {options_.access_key, options_.secret_key}, options_.region, now);

  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> header_list(nullptr, &curl_slist_free_all);
  auto add_header = [&](const std::string& line) {
    curl_slist* appended = curl_slist_append(header_list.get(), line.c_str());
    if (!appended) throw std::bad_alloc();
    header_list.release();
    header_list.reset(appended);
  };
  bool has_content_type = false;
  for (const auto& [name, value] : signing.headers) {
    add_header(name + ": " + value);
    if (LowerAscii(name) == "content-type") has_content_type = true;
  }
  add_header("Authorization: " + authorization);
  // Without this curl labels a POST body as a form, and CreateMultipartUpload would
  // store that as the object's type.
  if (!has_content_type) add_header("Content-Type:");

  CURL* handle = AcquireHandle();
  struct Releaser {
    Client* client;
    CURL* handle;
    ~Releaser() { client->ReleaseHandle(handle); }
  } releaser{this, handle};

  Attempt attempt;
  curl::Upload upload{request.body};
  Sink sink{&attempt.response.body, request.max_response_bytes};
  HeaderSink header_sink{&attempt.response.headers, &sink};
  char error[CURL_ERROR_SIZE] = "";

  curl::SetOption(handle, CURLOPT_URL, target.url.c_str());
  curl::SetOption(handle, CURLOPT_PROTOCOLS_STR, "http,https");
  curl::SetOption(handle, CURLOPT_FOLLOWLOCATION, 0L);
  // Signals for timeouts are not thread-safe; many worker threads use storage at once.
  curl::SetOption(handle, CURLOPT_NOSIGNAL, 1L);
  curl::SetOption(handle, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout.count()));
  curl::SetOption(handle, CURLOPT_LOW_SPEED_LIMIT, kLowSpeedBytesPerSecond);
  curl::SetOption(handle, CURLOPT_LOW_SPEED_TIME, static_cast<long>(options_.stall_timeout.count()));
  curl::SetOption(handle, CURLOPT_HTTPHEADER, header_list.get());
  curl::SetOption(handle, CURLOPT_ERRORBUFFER, error);
  curl::SetOption(handle, CURLOPT_WRITEFUNCTION, &WriteBody);
  curl::SetOption(handle, CURLOPT_WRITEDATA, &sink);
  curl::SetOption(handle, CURLOPT_HEADERFUNCTION, &WriteHeader);
  curl::SetOption(handle, CURLOPT_HEADERDATA, &header_sink);
  if (request.method == "GET") {
    curl::SetOption(handle, CURLOPT_HTTPGET, 1L);
  } else if (request.method == "HEAD") {
    curl::SetOption(handle, CURLOPT_NOBODY, 1L);
  } else if (request.method == "PUT") {
    curl::SetOption(handle, CURLOPT_UPLOAD, 1L);
    curl::SetOption(handle, CURLOPT_READFUNCTION, &curl::ReadUpload);
    curl::SetOption(handle, CURLOPT_READDATA, &upload);
    curl::SetOption(handle, CURLOPT_SEEKFUNCTION, &SeekBody);
    curl::SetOption(handle, CURLOPT_SEEKDATA, &upload);
    curl::SetOption(handle, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  } else if (request.method == "POST") {
    curl::SetOption(handle, CURLOPT_POST, 1L);
    curl::SetOption(handle, CURLOPT_POSTFIELDS, request.body.data());
    curl::SetOption(handle, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  } else if (request.method == "DELETE") {
    curl::SetOption(handle, CURLOPT_CUSTOMREQUEST, "DELETE");
  } else {
    throw std::logic_error("S3 request with unsupported method " + request.method);
  }

  attempt.code = curl_easy_perform(handle);
  if (attempt.code != CURLE_OK) {
    attempt.error = sink.overflowed ? std::string("the server sent more data than was asked for")
                                    : std::string(error[0] ? error : curl_easy_strerror(attempt.code));
    return attempt;
  }
  curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &attempt.response.status);
  return attempt;
}

Response Client::Send(const Request& request) {
  for (int attempt_number = 1;; ++attempt_number) {
    Attempt attempt = PerformOnce(request);
    bool last = attempt_number >= options_.max_attempts;
    if (attempt.code != CURLE_OK) {
      if (!last && IsRetryableTransport(attempt.code, request.repeatable)) {
        std::this_thread::sleep_for(Backoff(options_.retry_backoff, attempt_number));
        continue;
      }
      spdlog::warn("storage: S3 {} failed after {} attempt(s): {} ({})", request.what, attempt_number,
                   Clean(attempt.error, 300), Describe());
      throw Unavailable("storage_unavailable", "The object storage is not available right now: " +
                                                   TransportReason(attempt.code) + ".");
    }
    if (!last && request.repeatable && IsRetryableAnswer(attempt.response)) {
      std::this_thread::sleep_for(Backoff(options_.retry_backoff, attempt_number));
      continue;
    }
    return std::move(attempt.response);
  }
}

void Client::Fail(const Request& request, const Response& response) const {
  const std::string code = response.ErrorCode();
  const std::string message = response.ErrorMessage();
  spdlog::warn("storage: S3 {} failed: HTTP {} {}{}{} ({})", request.what, response.status, code,
               message.empty() ? "" : ": ", message, Describe());
  std::string reason;
  if (code == "RequestTimeTooSkewed") {
    reason = "this server's clock is too far off (RequestTimeTooSkewed)";
  } else if (code == "SignatureDoesNotMatch" || code == "InvalidAccessKeyId" || code == "InvalidToken") {
    reason = "it refused the S3 access key or secret key (" + code + ")";
  } else if (response.status == 403) {
    reason = "it denied access (" + code + "); check the S3 credentials and the bucket's permissions";
  } else if (code == "NoSuchBucket") {
    reason = "the bucket does not exist (NoSuchBucket)";
  } else if (response.status == 301 || response.status == 307 || code == "PermanentRedirect" ||
             code == "AuthorizationHeaderMalformed") {
    reason = "the bucket is in another region or at another endpoint (" + code + ")";
  } else {
    reason = "it answered " + std::to_string(response.status) + " " + code;
  }
  throw Unavailable("storage_unavailable", "The object storage is not available right now: " + reason + ".");
}

std::string Client::PresignedGetUrl(const std::string& key, std::int64_t expires_seconds,
                                    const std::string& response_content_type) const {
  SigningRequest signing;
  signing.method = "GET";
  if (!response_content_type.empty())
    signing.query.emplace_back("response-content-type", response_content_type);
  Target target = TargetFor(options_.bucket, key, {});
  signing.canonical_uri = target.canonical_uri;
  signing.headers = {{"host", target.host}};
  std::string query = PresignedQuery(signing, {options_.access_key, options_.secret_key}, options_.region,
                                     NowSeconds(), expires_seconds);
  return scheme_ + "://" + target.host + target.canonical_uri + "?" + query;
}

std::string Client::Describe() const {
  std::string host = options_.path_style ? host_ : options_.bucket + "." + host_;
  return fmt::format("S3 bucket {} at {}://{}", options_.bucket, scheme_, host);
}

}  // namespace monotube::storage::s3
