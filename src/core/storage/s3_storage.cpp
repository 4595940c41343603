#include "monotube/storage/s3_storage.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <stdexcept>
#include <utility>
#include <vector>

#include <curl/curl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "monotube/clock.hpp"
#include "monotube/errors.hpp"
#include "monotube/ids.hpp"

#include "src/core/storage/s3_client.hpp"
#include "src/core/storage/s3_xml.hpp"

namespace monotube::storage {
namespace {

using s3::Request;
using s3::Response;

// S3 numbers parts 1 to 10,000; with 8 MiB parts an object may be up to ~78 GiB.
constexpr std::size_t kMaxParts = 10'000;
// DeleteObjects takes at most 1,000 keys per request.
constexpr std::size_t kMaxDeleteBatch = 1000;
// A listing that keeps answering "truncated" without objects is broken; stop after this.
constexpr int kMaxEmptyListPages = 100;

Request NewRequest(std::string method, std::string key, std::string what) {
  Request request;
  request.method = std::move(method);
  request.key = std::move(key);
  request.what = std::move(what);
  return request;
}

[[noreturn]] void ThrowNotFound() { throw NotFound("The requested object does not exist."); }

std::string Unquote(std::string etag) {
  if (etag.starts_with("W/")) etag.erase(0, 2);
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') etag = etag.substr(1, etag.size() - 2);
  return etag;
}

std::optional<std::uint64_t> ParseSize(std::string_view text) {
  std::uint64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

ObjectInfo InfoFromHead(const std::string& key, const Response& response) {
  ObjectInfo info;
  info.key = key;
  std::optional<std::uint64_t> size = ParseSize(response.Header("content-length"));
  if (!size)
    throw std::runtime_error("storage: S3 answered HEAD " + key + " without a usable Content-Length");
  info.size = *size;
  info.etag = Unquote(response.Header("etag"));
  std::string modified = response.Header("last-modified");
  std::time_t seconds = modified.empty() ? -1 : curl_getdate(modified.c_str(), nullptr);
  info.modified_ms = seconds < 0 ? 0 : static_cast<std::int64_t>(seconds) * 1000;
  return info;
}

bool IsSuccess(const Response& response) { return response.status >= 200 && response.status < 300; }

// One ListObjectsV2 answer, keys already checked.
struct ListPage {
  std::vector<ObjectInfo> objects;  // valid keys only, in the server's (byte) order
  std::string last_key;             // the last key listed, valid or not
  bool truncated = false;
  std::string next_token;
};

// The reasons a bucket name is refused, as S3 states its naming rules; nullptr if fine.
const char* BucketNameProblem(std::string_view name) {
  if (name.size() < 3 || name.size() > 63) return "it must be 3 to 63 characters long";
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-')) {
      return "it may contain only lower-case letters, digits, dots and hyphens";
    }
  }
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(name.front()) || !alnum(name.back())) return "it must start and end with a letter or digit";
  if (name.find("..") != std::string_view::npos) return "it must not contain two dots in a row";
  if (std::all_of(name.begin(), name.end(), [](char c) { return (c >= '0' && c <= '9') || c == '.'; })) {
    return "it must not look like an IP address";
  }
  if (name.starts_with("xn--")) return "it must not start with xn--";
  return nullptr;
}

// "http(s)://host[:port][/]" → the normalised endpoint, or nullptr + reason.
std::optional<std::string> NormalizeEndpoint(std::string_view value, std::string& problem) {
  std::string lower(value);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string_view scheme;
  if (lower.starts_with("http://")) {
    scheme = "http";
  } else if (lower.starts_with("https://")) {
    scheme = "https";
  } else {
    problem = "endpoint must start with http:// or https://, like endpoint=http://127.0.0.1:9000";
    return std::nullopt;
  }
  std::string_view authority = value.substr(scheme.size() + 3);
  if (authority.ends_with('/')) authority.remove_suffix(1);
  if (authority.empty()) {
    problem = "endpoint names no host, like endpoint=http://127.0.0.1:9000";
    return std::nullopt;
  }
  if (authority.find_first_of("/?#") != std::string_view::npos) {
    problem = "endpoint must be scheme://host[:port] with no path, query or fragment";
    return std::nullopt;
  }
  if (authority.find('@') != std::string_view::npos) {
    problem = "endpoint must not carry credentials; set MONOTUBE_S3_ACCESS_KEY and MONOTUBE_S3_SECRET_KEY";
    return std::nullopt;
  }
  std::string_view host = authority;
  std::optional<std::string_view> port;
  if (host.front() == '[') {
    std::size_t close = host.find(']');
    if (close == std::string_view::npos) {
      problem = "endpoint has an unclosed [IPv6 address]";
      return std::nullopt;
    }
    std::string_view after = host.substr(close + 1);
    if (!after.empty() && after.front() != ':') {
      problem = "endpoint must be scheme://host[:port] with no path";
      return std::nullopt;
    }
    if (!after.empty()) port = after.substr(1);
  } else {
    std::size_t colon = host.find(':');
    if (colon != std::string_view::npos) {
      port = host.substr(colon + 1);
      host = host.substr(0, colon);
    }
    bool host_ok = !host.empty() && std::all_of(host.begin(), host.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-';
    });
    if (!host_ok) {
      problem = "endpoint must be scheme://host[:port] with no path, query or user name";
      return std::nullopt;
    }
  }
  if (port) {
    std::optional<std::uint64_t> number = ParseSize(*port);
    if (!number || *number == 0 || *number > 65535) {
      problem = "endpoint has an invalid port";
      return std::nullopt;
    }
  }
  return std::string(scheme) + "://" + std::string(authority);
}

bool IsSafeName(std::string_view name) {
  return !name.empty() && name.size() <= 32 && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
}

class S3Writer final : public ObjectWriter {
 public:
  S3Writer(std::shared_ptr<s3::Client> client, std::string key, std::string content_type)
      : client_(std::move(client)), key_(std::move(key)), content_type_(std::move(content_type)) {}

  ~S3Writer() override { Abort(); }

  void Write(const char* data, std::size_t size) override {
    if (state_ != State::kOpen) throw std::logic_error("storage: write to a finished writer for " + key_);
    const std::size_t part_size = client_->options().part_size;
    try {
      while (size > 0) {
        // A full buffer goes out only when more data follows, so an object of exactly
        // part_size bytes is still one plain PUT.
        if (buffer_.size() == part_size) UploadPart();
        std::size_t n = std::min(size, part_size - buffer_.size());
        if (buffer_.capacity() < buffer_.size() + n) {
          buffer_.reserve(std::min(part_size, std::max(buffer_.size() + n, 2 * buffer_.capacity())));
        }
        buffer_.append(data, n);
        data += n;
        size -= n;
        bytes_written_ += n;
      }
    } catch (...) {
      Abort();
      throw;
    }
  }

  void Commit() override {
    if (state_ != State::kOpen) throw std::logic_error("storage: commit of a finished writer for " + key_);
    try {
      if (upload_id_.empty()) {
        PutWhole();
      } else {
        UploadPart();
        CompleteUpload();
      }
    } catch (...) {
      Abort();
      throw;
    }
    state_ = State::kCommitted;
    std::string().swap(buffer_);
  }

  void Abort() noexcept override {
    if (state_ != State::kOpen) return;
    state_ = State::kAborted;
    std::string().swap(buffer_);
    if (upload_id_.empty()) return;
    // Parts of an upload that is never completed cost storage until a lifecycle rule
    // removes them, so say so when the abort itself fails.
    try {
      Request request = NewRequest("DELETE", key_, "abort the multipart upload of " + key_);
      request.query = {{"uploadId", upload_id_}};
      Response response = client_->Send(request);
      if (!IsSuccess(response) && response.status != 404) {
        spdlog::warn(
            "storage: S3 did not abort the multipart upload of {} (HTTP {} {}); its parts stay until a "
            "lifecycle rule removes them",
            key_, response.status, response.ErrorCode());
      }
    } catch (const std::exception& error) {
      spdlog::warn("storage: could not abort the multipart upload of {}: {}", key_, error.what());
    }
  }

  std::uint64_t bytes_written() const noexcept override { return bytes_written_; }

 private:
  enum class State { kOpen, kCommitted, kAborted };

  void PutWhole() {
    Request request = NewRequest("PUT", key_, "write " + key_);
    request.body = buffer_;
    if (!content_type_.empty()) request.headers.emplace_back("content-type", content_type_);
    Response response = client_->Send(request);
    if (!IsSuccess(response)) client_->Fail(request, response);
  }

  void CreateUpload() {
    Request request = NewRequest("POST", key_, "start a multipart upload of " + key_);
    request.query = {{"uploads", ""}};
    request.repeatable = false;
    if (!content_type_.empty()) request.headers.emplace_back("content-type", content_type_);
    Response response = client_->Send(request);
    if (!IsSuccess(response)) client_->Fail(request, response);
    std::optional<std::string> upload_id = s3xml::Text(response.body, "UploadId");
    if (!upload_id || upload_id->empty()) {
      throw std::runtime_error("storage: S3 started a multipart upload of " + key_ + " without an UploadId");
    }
    upload_id_ = *upload_id;
  }

  void UploadPart() {
    if (upload_id_.empty()) CreateUpload();
    if (part_etags_.size() == kMaxParts) {
      throw PayloadTooLarge("storage_object_too_large", "The file is too large to be stored.");
    }
    const std::size_t number = part_etags_.size() + 1;
    Request request = NewRequest("PUT", key_, fmt::format("upload part {} of {}", number, key_));
    request.query = {{"partNumber", std::to_string(number)}, {"uploadId", upload_id_}};
    request.body = buffer_;
    Response response = client_->Send(request);
    if (!IsSuccess(response)) client_->Fail(request, response);
    std::string etag = response.Header("etag");
    if (etag.empty())
      throw std::runtime_error(fmt::format("storage: S3 took part {} of {} without an ETag", number, key_));
    part_etags_.push_back(std::move(etag));
    buffer_.clear();
  }

  void CompleteUpload() {
    std::string body = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">";
    for (std::size_t i = 0; i < part_etags_.size(); ++i) {
      body += fmt::format("<Part><PartNumber>{}</PartNumber><ETag>{}</ETag></Part>", i + 1,
                          s3xml::Escape(part_etags_[i]));
    }
    body += "</CompleteMultipartUpload>";
    // Repeatable: if an earlier attempt completed the upload but its answer was lost, the
    // repeat finds no upload, and the object itself tells whether it worked.
    Request request = NewRequest("POST", key_, "complete the multipart upload of " + key_);
    request.query = {{"uploadId", upload_id_}};
    request.headers = {{"content-type", "application/xml"}};
    request.body = body;
    Response response = client_->Send(request);
    if (response.status == 404 && response.ErrorCode() == "NoSuchUpload") {
      Request head = NewRequest("HEAD", key_, "check the completed upload of " + key_);
      Response found = client_->Send(head);
      if (found.status == 200 && ParseSize(found.Header("content-length")) == bytes_written_) {
        upload_id_.clear();
        return;
      }
    }
    // S3 may answer 200 and still report an error in the body of a long completion.
    if (!IsSuccess(response) || !s3xml::Elements(response.body, "Error").empty()) {
      if (IsSuccess(response)) response.status = 500;
      client_->Fail(request, response);
    }
    upload_id_.clear();
  }

  std::shared_ptr<s3::Client> client_;
  std::string key_;
  std::string content_type_;
  State state_ = State::kOpen;
  std::string buffer_;
  std::string upload_id_;
  std::vector<std::string> part_etags_;  // as S3 returned them, quotes included
  std::uint64_t bytes_written_ = 0;
};

class S3Reader final : public ObjectReader {
 public:
  S3Reader(std::shared_ptr<s3::Client> client, ObjectInfo info, ResolvedRange range)
      : client_(std::move(client)), info_(std::move(info)), range_(range), position_(range.offset) {}

  std::size_t Read(char* buffer, std::size_t size) override {
    const std::uint64_t end = range_.offset + range_.length;
    if (position_ >= end || size == 0) return 0;
    if (chunk_offset_ >= chunk_.size()) FetchChunk(end);
    std::size_t n = std::min(size, chunk_.size() - chunk_offset_);
    std::copy_n(chunk_.data() + chunk_offset_, n, buffer);
    chunk_offset_ += n;
    position_ += n;
    return n;
  }

  std::uint64_t size() const noexcept override { return range_.length; }
  std::uint64_t total_size() const noexcept override { return info_.size; }
  std::uint64_t offset() const noexcept override { return range_.offset; }
  const ObjectInfo& info() const noexcept override { return info_; }

 private:
  void FetchChunk(std::uint64_t end) {
    const std::uint64_t first = position_;
    const std::uint64_t length = std::min<std::uint64_t>(client_->options().read_chunk_size, end - first);
    const std::uint64_t last = first + length - 1;
    Request request =
        NewRequest("GET", info_.key, fmt::format("read bytes {}-{} of {}", first, last, info_.key));
    request.headers = {{"range", fmt::format("bytes={}-{}", first, last)}};
    request.max_response_bytes = static_cast<std::size_t>(length);
    // Pinned to the version seen at open: a replaced object fails the read instead of
    // splicing two versions together.
    if (!info_.etag.empty()) request.headers.emplace_back("if-match", "\"" + info_.etag + "\"");
    chunk_.clear();
    chunk_offset_ = 0;
    Response response = client_->Send(request);
    if (response.status == 404) ThrowNotFound();
    // The object shrank since it was opened: before the first byte that is an
    // unsatisfiable range like any other; later it is a broken read.
    if (response.status == 416 && position_ == range_.offset) {
      std::string content_range = response.Header("content-range");
      std::size_t slash = content_range.rfind('/');
      std::optional<std::uint64_t> total = slash == std::string::npos
                                               ? std::nullopt
                                               : ParseSize(std::string_view(content_range).substr(slash + 1));
      throw RangeNotSatisfiable(total.value_or(info_.size));
    }
    if (response.status == 412 || response.status == 416) {
      throw std::runtime_error("storage: " + info_.key + " changed while being read");
    }
    if (!IsSuccess(response)) client_->Fail(request, response);
    // A server that ignores Range answers 200 with everything; that is only right when
    // everything is what was asked for.
    bool whole = response.status == 200 && first == 0 && length == info_.size;
    bool ranged = response.status == 206 &&
                  response.Header("content-range").starts_with(fmt::format("bytes {}-{}/", first, last));
    if ((!whole && !ranged) || response.body.size() != length) {
      throw std::runtime_error(fmt::format("storage: S3 answered a different range than bytes {}-{} of {}",
                                           first, last, info_.key));
    }
    chunk_ = std::move(response.body);
  }

  std::shared_ptr<s3::Client> client_;
  ObjectInfo info_;
  ResolvedRange range_;
  std::uint64_t position_;
  std::string chunk_;
  std::size_t chunk_offset_ = 0;
};

std::optional<ObjectInfo> Head(s3::Client& client, const std::string& key) {
  Request request = NewRequest("HEAD", key, "stat " + key);
  Response response = client.Send(request);
  if (response.status == 404) return std::nullopt;
  if (response.status >= 400 && response.status < 500) {
    // An answer to HEAD has no body, so no S3 error code; a one-byte GET brings it, so
    // that a wrong secret reads "SignatureDoesNotMatch" rather than "403".
    Request detail = NewRequest("GET", key, request.what);
    detail.headers = {{"range", "bytes=0-0"}};
    detail.max_response_bytes = 64 << 10;
    Response explained = client.Send(detail);
    if (!IsSuccess(explained) && explained.status == response.status) client.Fail(detail, explained);
  }
  if (!IsSuccess(response)) client.Fail(request, response);
  return InfoFromHead(key, response);
}

// One ListObjectsV2 request: after start_after (first page) or from token (later pages).
ListPage ListOnce(s3::Client& client, const std::string& prefix, const std::string& start_after,
                  const std::string& token, std::size_t max_keys) {
  Request request = NewRequest("GET", "", "list " + (prefix.empty() ? std::string("the bucket") : prefix));
  request.query = {{"list-type", "2"}, {"max-keys", std::to_string(max_keys)}};
  request.max_response_bytes = 16 << 20;
  if (!prefix.empty()) request.query.emplace_back("prefix", prefix);
  if (!token.empty()) {
    request.query.emplace_back("continuation-token", token);
  } else if (!start_after.empty()) {
    request.query.emplace_back("start-after", start_after);
  }
  Response response = client.Send(request);
  if (!IsSuccess(response)) client.Fail(request, response);

  ListPage page;
  for (std::string_view contents : s3xml::Elements(response.body, "Contents")) {
    std::optional<std::string> key = s3xml::Text(contents, "Key");
    if (!key) continue;
    page.last_key = *key;
    // Objects other tools put in the bucket under names no key can have are not ours
    // (local disk skips such files too).
    try {
      ValidateKey(*key);
    } catch (const InvalidInput&) {
      continue;
    }
    ObjectInfo info;
    info.key = std::move(*key);
    std::optional<std::uint64_t> size = ParseSize(s3xml::Text(contents, "Size").value_or(""));
    if (!size) throw std::runtime_error("storage: S3 listed " + info.key + " without a usable Size");
    info.size = *size;
    info.etag = Unquote(s3xml::Text(contents, "ETag").value_or(""));
    std::int64_t modified_ms = 0;
    if (ParseIso8601(s3xml::Text(contents, "LastModified").value_or(""), modified_ms))
      info.modified_ms = modified_ms;
    page.objects.push_back(std::move(info));
  }
  page.truncated = s3xml::Text(response.body, "IsTruncated").value_or("false") == "true";
  page.next_token = s3xml::Text(response.body, "NextContinuationToken").value_or("");
  return page;
}

}  // namespace

S3Options ParseS3StorageUrl(const std::string& url, const std::string& access_key,
                            const std::string& secret_key) {
  constexpr std::string_view kScheme = "s3://";
  if (!url.starts_with(kScheme)) throw ConfigError("storage_url: an S3 storage URL starts with s3://");
  std::string_view rest = std::string_view(url).substr(kScheme.size());
  if (rest.find('#') != std::string_view::npos) throw ConfigError("storage_url: an S3 URL has no #fragment");
  std::size_t question = rest.find('?');
  std::string_view bucket = rest.substr(0, question);
  std::string_view query =
      question == std::string_view::npos ? std::string_view() : rest.substr(question + 1);
  // The part before the bucket is never echoed: it could be credentials typed into the URL.
  if (bucket.find('@') != std::string_view::npos || bucket.find(':') != std::string_view::npos) {
    throw ConfigError(
        "storage_url: credentials do not belong in the S3 URL; set MONOTUBE_S3_ACCESS_KEY and "
        "MONOTUBE_S3_SECRET_KEY (s3_access_key / s3_secret_key) and use s3://BUCKET?endpoint=...");
  }
  if (bucket.ends_with('/')) bucket.remove_suffix(1);
  if (bucket.empty()) {
    throw ConfigError("storage_url: the S3 URL names no bucket; use s3://BUCKET?endpoint=http://host:port");
  }
  if (bucket.find('/') != std::string_view::npos) {
    throw ConfigError(
        "storage_url: a path after the S3 bucket is not supported; use s3://BUCKET?endpoint=...");
  }
  if (const char* problem = BucketNameProblem(bucket)) {
    throw ConfigError(std::string("storage_url: the S3 bucket name is not valid: ") + problem);
  }

  S3Options options;
  options.bucket = std::string(bucket);
  bool path_style_given = false;
  std::vector<std::string> seen;
  while (!query.empty()) {
    std::size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    std::size_t equals = pair.find('=');
    std::string name = s3::PercentDecode(pair.substr(0, equals));
    std::string value =
        equals == std::string_view::npos ? std::string() : s3::PercentDecode(pair.substr(equals + 1));
    if (name != "endpoint" && name != "region" && name != "path_style") {
      throw ConfigError(
          fmt::format("storage_url: unknown S3 URL parameter {}; the known ones are endpoint, region "
                      "and path_style",
                      IsSafeName(name) ? "\"" + name + "\"" : std::string("(not shown)")));
    }
    if (std::find(seen.begin(), seen.end(), name) != seen.end()) {
      throw ConfigError("storage_url: the S3 URL parameter \"" + name + "\" is given twice");
    }
    seen.push_back(name);
    if (name == "endpoint") {
      std::string problem;
      std::optional<std::string> endpoint = NormalizeEndpoint(value, problem);
      if (!endpoint) throw ConfigError("storage_url: " + problem);
      options.endpoint = *endpoint;
    } else if (name == "region") {
      bool ok = !value.empty() && value.size() <= 64 && std::all_of(value.begin(), value.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
      });
      if (!ok)
        throw ConfigError("storage_url: region must look like us-east-1 (lower-case letters, digits, '-')");
      options.region = value;
    } else {
      if (value != "true" && value != "false")
        throw ConfigError("storage_url: path_style must be true or false");
      options.path_style = value == "true";
      path_style_given = true;
    }
  }
  if (!path_style_given) options.path_style = !options.endpoint.empty();
  if (options.endpoint.empty() && !options.path_style && bucket.find('.') != std::string_view::npos) {
    // AWS's certificate (*.s3.<region>.amazonaws.com) covers one label, not "a.b".
    throw ConfigError(
        "storage_url: a bucket name with dots cannot be reached over HTTPS in virtual-host style; add "
        "path_style=true");
  }
  if (access_key.empty() || secret_key.empty()) {
    throw ConfigError(
        "storage_url: S3 storage needs credentials; set MONOTUBE_S3_ACCESS_KEY and MONOTUBE_S3_SECRET_KEY "
        "(s3_access_key / s3_secret_key)");
  }
  options.access_key = access_key;
  options.secret_key = secret_key;
  return options;
}

S3Storage::S3Storage(S3Options options) : client_(std::make_shared<s3::Client>(std::move(options))) {}

S3Storage::~S3Storage() = default;

const S3Options& S3Storage::options() const noexcept { return client_->options(); }

std::unique_ptr<ObjectWriter> S3Storage::OpenWriter(const std::string& key, const WriteOptions& options) {
  ValidateKey(key);
  return std::make_unique<S3Writer>(client_, key, options.content_type);
}

std::unique_ptr<ObjectReader> S3Storage::OpenReader(const std::string& key, std::optional<ByteRange> range) {
  ValidateKey(key);
  std::optional<ObjectInfo> info = Head(*client_, key);
  if (!info) ThrowNotFound();
  ResolvedRange resolved{0, info->size};
  if (range) {
    std::optional<ResolvedRange> r = Resolve(*range, info->size);
    if (!r) throw RangeNotSatisfiable(info->size);
    resolved = *r;
  }
  return std::make_unique<S3Reader>(client_, std::move(*info), resolved);
}

std::optional<ObjectInfo> S3Storage::Stat(const std::string& key) {
  ValidateKey(key);
  return Head(*client_, key);
}

void S3Storage::Delete(const std::string& key) {
  ValidateKey(key);
  Request request = NewRequest("DELETE", key, "delete " + key);
  Response response = client_->Send(request);
  if (!IsSuccess(response) && response.status != 404) client_->Fail(request, response);
}

std::size_t S3Storage::DeletePrefix(const std::string& prefix) {
  ValidatePrefix(prefix);
  std::size_t deleted = 0;
  std::string after;
  // Each round starts after the last key of the previous one, so it ends even if a
  // server reported deletions it did not make.
  while (true) {
    ListPage page =
        ListOnce(*client_, prefix, after, {}, std::min(client_->options().list_page_size, kMaxDeleteBatch));
    std::vector<std::string> keys;
    for (ObjectInfo& object : page.objects) keys.push_back(std::move(object.key));
    if (!keys.empty() && !batch_delete_unsupported_.load()) {
      std::string body = "<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Quiet>true</Quiet>";
      for (const std::string& key : keys) body += "<Object><Key>" + s3xml::Escape(key) + "</Key></Object>";
      body += "</Delete>";
      Request request =
          NewRequest("POST", "", fmt::format("delete {} objects under {}", keys.size(), prefix));
      request.query = {{"delete", ""}};
      request.headers = {{"content-type", "application/xml"}, {"content-md5", s3::Md5Base64(body)}};
      request.body = body;
      Response response = client_->Send(request);
      if (response.status == 501 || response.status == 405 || response.ErrorCode() == "NotImplemented") {
        spdlog::info("storage: {} has no DeleteObjects; deleting one object per request",
                     client_->Describe());
        batch_delete_unsupported_ = true;
      } else if (!IsSuccess(response)) {
        client_->Fail(request, response);
      } else {
        std::vector<std::string_view> errors = s3xml::Elements(response.body, "Error");
        if (!errors.empty()) {
          Response first;
          first.status = 500;
          first.body = "<Error>" + std::string(errors.front()) + "</Error>";
          client_->Fail(request, first);
        }
        deleted += keys.size();
        keys.clear();
      }
    }
    for (const std::string& key : keys) {
      Delete(key);
      ++deleted;
    }
    if (!page.truncated || page.last_key.empty()) return deleted;
    after = page.last_key;
  }
}

ListResult S3Storage::List(const std::string& prefix, const std::string& continuation, std::size_t limit) {
  ValidatePrefix(prefix);
  ListResult result;
  if (limit == 0) return result;
  std::string token;
  std::string after = continuation;
  int empty_pages = 0;
  while (true) {
    std::size_t want = std::min(client_->options().list_page_size, limit - result.objects.size());
    ListPage page = ListOnce(*client_, prefix, after, token, want);
    for (ObjectInfo& object : page.objects) result.objects.push_back(std::move(object));
    if (!page.truncated) return result;
    if (result.objects.size() >= limit) break;
    if (page.objects.empty() && ++empty_pages > kMaxEmptyListPages) {
      throw Unavailable("storage_unavailable",
                        "The object storage is not available right now: its listing is stuck.");
    }
    // Servers without continuation tokens still understand start-after.
    token = page.next_token;
    if (token.empty()) {
      if (page.last_key.empty()) break;
      after = page.last_key;
    }
  }
  if (!result.objects.empty()) result.continuation = result.objects.back().key;
  return result;
}

void S3Storage::CheckHealth() {
  try {
    ProbeRoundTrip();
  } catch (const std::exception& error) {
    throw Unavailable("storage_unavailable", fmt::format("{} is not usable: {}", Describe(), error.what()));
  }
}

std::string S3Storage::Describe() const { return client_->Describe(); }

std::optional<std::string> S3Storage::PresignedGetUrl(const std::string& key, std::chrono::seconds expires,
                                                      const std::string& response_content_type) {
  ValidateKey(key);
  if (expires.count() < 1 || expires.count() > s3::kMaxPresignSeconds) {
    throw std::invalid_argument("storage: a presigned URL must expire within 1 second to 7 days");
  }
  return client_->PresignedGetUrl(key, expires.count(), response_content_type);
}

}  // namespace monotube::storage
