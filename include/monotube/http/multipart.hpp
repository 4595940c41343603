#pragma once
// A streaming reader of multipart/form-data request bodies (RFC 7578) for routes with
// RouteOptions::stream_body: parts are read one after another, a file part piece by
// piece, so an upload is never held in memory whole.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "monotube/http/context.hpp"

namespace monotube::http {

struct PartHeaders {
  std::string name;                     // the form field
  std::optional<std::string> filename;  // set for file fields
  std::string content_type;             // "" when not given
};

class MultipartReader {
 public:
  // The boundary of a "multipart/form-data; boundary=…" Content-Type; throws
  // UnsupportedMedia for another type and InvalidInput for a missing or bad boundary.
  static std::string BoundaryOf(std::string_view content_type);

  MultipartReader(RequestContext& context, std::string boundary);

  // The next part's headers, or nullopt after the last one. What is left of the current
  // part is skipped. Throws InvalidInput for a malformed body.
  boost::asio::awaitable<std::optional<PartHeaders>> NextPart();
  // Up to size bytes of the current part; 0 at its end.
  boost::asio::awaitable<std::size_t> Read(char* buffer, std::size_t size);
  // The rest of the current part as text; InvalidInput (naming the field) past max_bytes.
  boost::asio::awaitable<std::string> ReadText(std::size_t max_bytes);

 private:
  enum class State { kPreamble, kInPart, kAfterDelimiter, kDone };

  // Reads until at least want unconsumed bytes are buffered; false if the body ended first.
  boost::asio::awaitable<bool> Fill(std::size_t want);
  std::string_view Unconsumed() const { return std::string_view(buffer_).substr(start_); }
  void Consume(std::size_t n) { start_ += n; }

  RequestContext& context_;
  std::string delimiter_;  // "\r\n--" + boundary
  std::string buffer_;
  std::size_t start_ = 0;
  bool body_ended_ = false;
  State state_ = State::kPreamble;
  std::string current_name_;
  int parts_ = 0;
};

}  // namespace monotube::http
