#pragma once
// HTTP validators and byte ranges (RFC 9110 sections 8.8, 13 and 14), shared by the
// static files and the media routes. Pure functions; thread-safe.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "monotube/http/message.hpp"
#include "monotube/storage/storage.hpp"

namespace monotube::http {

// "Sun, 06 Nov 1994 08:49:37 GMT", independent of the locale.
std::string FormatHttpDate(std::int64_t epoch_seconds);
// Accepts the IMF-fixdate above and the two obsolete forms RFC 9110 asks recipients to read.
std::optional<std::int64_t> ParseHttpDate(std::string_view text);

// If-None-Match uses the weak comparison: true when the header is "*" or lists etag
// (a quoted entity tag such as "\"1f-2a\"", with or without W/).
bool IfNoneMatchHits(std::string_view header, std::string_view etag);

// If-Range: true when the representation is still the one the client has, so its Range
// may be honoured. Entity tags compare strongly; a date must equal Last-Modified.
bool IfRangeAllows(std::string_view header, std::string_view etag, std::int64_t last_modified_seconds);

struct RangeHeader {
  enum class Kind {
    kNone,      // no Range header, or one to ignore (another unit, bad syntax)
    kSingle,    // one byte range: serve 206, or 416 when it misses
    kMultiple,  // several ranges: we answer 200 with the whole representation
  };
  Kind kind = Kind::kNone;
  storage::ByteRange range;  // for kSingle
};
RangeHeader ParseRangeHeader(std::string_view header);

// "bytes 0-99/1234" for a 206.
std::string ContentRange(std::uint64_t offset, std::uint64_t length, std::uint64_t total_size);

// What a GET/HEAD of one representation should answer, given the request's
// If-None-Match / If-Modified-Since / Range / If-Range headers.
struct Representation {
  std::string etag;  // quoted entity tag
  std::int64_t last_modified_seconds = 0;
  std::uint64_t size = 0;
};
struct ConditionalAnswer {
  enum class Kind { kNotModified, kRangeNotSatisfiable, kFull, kPartial };
  Kind kind = Kind::kFull;
  std::uint64_t offset = 0;
  std::uint64_t length = 0;  // bytes to send (kFull: size)
};
ConditionalAnswer PlanConditionalAnswer(const Request& request, const Representation& representation);

// Sets the validators, Accept-Ranges, Content-Type, the status (304, 416, 206 or 200)
// and Content-Range as answer says; the caller attaches the body (offset, length).
void ApplyConditionalAnswer(const Representation& representation, const ConditionalAnswer& answer,
                            std::string_view content_type, Response& response);

}  // namespace monotube::http
