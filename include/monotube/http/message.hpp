#pragma once
// Request and response as handlers see them. Thread-compatible: one request is
// handled by one coroutine at a time.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/beast/http/fields.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/verb.hpp>
#include <nlohmann/json.hpp>

namespace monotube::http {

namespace bhttp = boost::beast::http;
using Verb = bhttp::verb;
using Status = bhttp::status;
using Fields = bhttp::fields;

struct Request {
  Verb method = Verb::get;
  std::string target;        // as received: path + "?" + query
  std::string path;          // percent-decoded path, no query
  std::string query_string;  // raw, without "?"
  Fields headers;
  std::string body;          // empty for routes that stream their body
  std::string remote_address;  // the connection's peer
  std::string client_address;  // the client behind trusted proxies (X-Forwarded-For); else the peer
  bool secure = false;       // arrived over TLS

  std::string_view Header(std::string_view name) const;
  // First value of a query parameter, percent-decoded ("+" is a space).
  std::optional<std::string> Query(std::string_view name) const;
  // The body parsed as JSON; throws InvalidInput("invalid_json", ...) when it is not.
  nlohmann::json Json() const;
};

// A response body produced piece by piece, e.g. a file or a stored object that must
// not be held in memory whole. Read() is blocking and runs on the worker pool; it
// returns 0 at the end.
class BodySource {
 public:
  virtual ~BodySource() = default;
  virtual std::size_t Read(char* buffer, std::size_t size) = 0;
};

// No bytes: for HEAD answers, which announce stream_length but send no body.
class EmptyBody final : public BodySource {
 public:
  std::size_t Read(char*, std::size_t) override { return 0; }
};

struct Response {
  Status status = Status::ok;
  Fields headers;
  std::string body;
  std::shared_ptr<BodySource> stream;  // when set, sent instead of body
  std::uint64_t stream_length = 0;     // exact number of bytes stream yields

  static Response Json(const nlohmann::json& value, Status status = Status::ok);
  // 200 JSON that no cache may keep (answers that differ per viewer or change at once).
  static Response JsonNoStore(const nlohmann::json& value);
  static Response Text(std::string text, std::string_view content_type, Status status = Status::ok);
  static Response Empty(Status status = Status::no_content);
  static Response Error(Status status, std::string_view code, std::string_view message);
};

// Without leading and trailing spaces and tabs (HTTP's optional whitespace).
std::string_view TrimWhitespace(std::string_view text);
// The value of one cookie in a Cookie header ("a=1; b=2"); nullopt when it is not there.
std::optional<std::string_view> CookieValue(std::string_view header, std::string_view name);

// Percent-decodes a URL component. With plus_as_space, "+" becomes " " (query strings).
// Returns nullopt on a malformed escape.
std::optional<std::string> PercentDecode(std::string_view text, bool plus_as_space);

}  // namespace monotube::http
