#include "monotube/http/conditional.hpp"

#include "monotube/http/message.hpp"

#include <cstdio>
#include <ctime>
#include <limits>
#include <string>

#include <fmt/format.h>

namespace monotube::http {
namespace {

constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

int MonthIndex(std::string_view name) {
  for (int i = 0; i < 12; ++i) {
    if (name == kMonths[i]) return i;
  }
  return -1;
}

std::optional<std::int64_t> ToEpoch(int year, int month, int day, int hour, int minute, int second) {
  if (month < 0 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60 || year < 1900) return std::nullopt;
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  return static_cast<std::int64_t>(::timegm(&tm));
}

// Digits only; saturates instead of overflowing (a huge last-pos means "to the end").
std::optional<std::uint64_t> ParseDigits(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    unsigned digit = static_cast<unsigned>(c - '0');
    if (value > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) {
      value = std::numeric_limits<std::uint64_t>::max();
    } else {
      value = value * 10 + digit;
    }
  }
  return value;
}

std::string_view Opaque(std::string_view tag) {
  if (tag.starts_with("W/")) tag.remove_prefix(2);
  return tag;
}

}  // namespace

std::string FormatHttpDate(std::int64_t epoch_seconds) {
  std::time_t time = static_cast<std::time_t>(epoch_seconds);
  std::tm tm{};
  ::gmtime_r(&time, &tm);
  return fmt::format("{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT", kDays[tm.tm_wday], tm.tm_mday, kMonths[tm.tm_mon],
                     tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::optional<std::int64_t> ParseHttpDate(std::string_view text) {
  std::string input(TrimWhitespace(text));
  char weekday[16] = {};
  char month[4] = {};
  int day = 0, year = 0, hour = 0, minute = 0, second = 0;
  int consumed = 0;
  // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"
  if (std::sscanf(input.c_str(), "%3s, %2d %3s %4d %2d:%2d:%2d GMT%n", weekday, &day, month, &year, &hour, &minute,
                  &second, &consumed) == 7 &&
      consumed == static_cast<int>(input.size())) {
    return ToEpoch(year, MonthIndex(month), day, hour, minute, second);
  }
  // RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT"
  consumed = 0;
  if (std::sscanf(input.c_str(), "%15[A-Za-z], %2d-%3s-%2d %2d:%2d:%2d GMT%n", weekday, &day, month, &year, &hour,
                  &minute, &second, &consumed) == 7 &&
      consumed == static_cast<int>(input.size())) {
    // Two-digit years: RFC 9110 says to read a year more than 50 years ahead as the past.
    year += year < 70 ? 2000 : 1900;
    return ToEpoch(year, MonthIndex(month), day, hour, minute, second);
  }
  // asctime: "Sun Nov  6 08:49:37 1994"
  consumed = 0;
  if (std::sscanf(input.c_str(), "%3s %3s %2d %2d:%2d:%2d %4d%n", weekday, month, &day, &hour, &minute, &second,
                  &year, &consumed) == 7 &&
      consumed == static_cast<int>(input.size())) {
    return ToEpoch(year, MonthIndex(month), day, hour, minute, second);
  }
  return std::nullopt;
}

bool IfNoneMatchHits(std::string_view header, std::string_view etag) {
  header = TrimWhitespace(header);
  if (header == "*") return true;
  std::string_view wanted = Opaque(etag);
  while (!header.empty()) {
    std::size_t comma = header.find(',');
    std::string_view candidate = TrimWhitespace(header.substr(0, comma));
    if (!candidate.empty() && Opaque(candidate) == wanted) return true;
    if (comma == std::string_view::npos) break;
    header.remove_prefix(comma + 1);
  }
  return false;
}

bool IfRangeAllows(std::string_view header, std::string_view etag, std::int64_t last_modified_seconds) {
  header = TrimWhitespace(header);
  if (header.empty()) return true;
  if (header.starts_with('"') || header.starts_with("W/")) {
    // A weak tag never matches strongly, and neither does a weak current tag.
    return !header.starts_with("W/") && !etag.starts_with("W/") && header == etag;
  }
  std::optional<std::int64_t> date = ParseHttpDate(header);
  return date && *date == last_modified_seconds;
}

RangeHeader ParseRangeHeader(std::string_view header) {
  RangeHeader result;
  header = TrimWhitespace(header);
  constexpr std::string_view kUnit = "bytes=";
  if (header.size() < kUnit.size()) return result;
  for (std::size_t i = 0; i < kUnit.size(); ++i) {
    char c = header[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != kUnit[i]) return result;
  }
  header.remove_prefix(kUnit.size());

  std::optional<storage::ByteRange> first_range;
  std::size_t count = 0;
  while (true) {
    std::size_t comma = header.find(',');
    std::string_view spec = TrimWhitespace(header.substr(0, comma));
    if (!spec.empty()) {
      std::size_t dash = spec.find('-');
      if (dash == std::string_view::npos) return {};
      std::string_view first_text = TrimWhitespace(spec.substr(0, dash));
      std::string_view last_text = TrimWhitespace(spec.substr(dash + 1));
      storage::ByteRange range;
      if (first_text.empty()) {
        std::optional<std::uint64_t> suffix = ParseDigits(last_text);
        if (!suffix) return {};
        range = storage::ByteRange::Suffix(*suffix);
      } else {
        std::optional<std::uint64_t> first = ParseDigits(first_text);
        if (!first) return {};
        if (last_text.empty()) {
          range = storage::ByteRange::From(*first);
        } else {
          std::optional<std::uint64_t> last = ParseDigits(last_text);
          if (!last || *last < *first) return {};  // invalid syntax: the header is ignored
          range = storage::ByteRange::Between(*first, *last);
        }
      }
      if (!first_range) first_range = range;
      ++count;
    }
    if (comma == std::string_view::npos) break;
    header.remove_prefix(comma + 1);
  }
  if (count == 0) return {};
  result.kind = count == 1 ? RangeHeader::Kind::kSingle : RangeHeader::Kind::kMultiple;
  result.range = *first_range;
  return result;
}

std::string ContentRange(std::uint64_t offset, std::uint64_t length, std::uint64_t total_size) {
  return fmt::format("bytes {}-{}/{}", offset, offset + length - 1, total_size);
}

ConditionalAnswer PlanConditionalAnswer(const Request& request, const Representation& representation) {
  ConditionalAnswer answer;
  answer.length = representation.size;
  // If-None-Match wins over If-Modified-Since when both are sent (RFC 9110 13.1.3).
  bool not_modified = false;
  if (std::string_view none_match = request.Header("If-None-Match"); !none_match.empty()) {
    not_modified = IfNoneMatchHits(none_match, representation.etag);
  } else if (std::string_view since = request.Header("If-Modified-Since"); !since.empty()) {
    std::optional<std::int64_t> date = ParseHttpDate(since);
    not_modified = date && representation.last_modified_seconds <= *date;
  }
  if (not_modified) {
    answer.kind = ConditionalAnswer::Kind::kNotModified;
    return answer;
  }
  std::string_view range_text = request.Header("Range");
  if (range_text.empty() ||
      !IfRangeAllows(request.Header("If-Range"), representation.etag, representation.last_modified_seconds))
    return answer;
  RangeHeader range = ParseRangeHeader(range_text);
  // Several ranges would need multipart/byteranges; the whole representation is a valid answer.
  if (range.kind != RangeHeader::Kind::kSingle) return answer;
  std::optional<storage::ResolvedRange> resolved = storage::Resolve(range.range, representation.size);
  if (!resolved) {
    answer.kind = ConditionalAnswer::Kind::kRangeNotSatisfiable;
    return answer;
  }
  answer.kind = ConditionalAnswer::Kind::kPartial;
  answer.offset = resolved->offset;
  answer.length = resolved->length;
  return answer;
}

void ApplyConditionalAnswer(const Representation& representation, const ConditionalAnswer& answer,
                            std::string_view content_type, Response& response) {
  Fields& headers = response.headers;
  headers.set(bhttp::field::accept_ranges, "bytes");
  headers.set("X-Content-Type-Options", "nosniff");
  switch (answer.kind) {
    case ConditionalAnswer::Kind::kRangeNotSatisfiable: {
      Response refused = Response::Error(Status::range_not_satisfiable, "range_not_satisfiable",
                                         "The requested range is outside the file.");
      response.status = refused.status;
      response.body = std::move(refused.body);
      headers.set(bhttp::field::content_type, "application/json");
      headers.set(bhttp::field::content_range, "bytes */" + std::to_string(representation.size));
      return;
    }
    case ConditionalAnswer::Kind::kNotModified:
      response.status = Status::not_modified;
      break;
    case ConditionalAnswer::Kind::kPartial:
      response.status = Status::partial_content;
      headers.set(bhttp::field::content_range, ContentRange(answer.offset, answer.length, representation.size));
      break;
    case ConditionalAnswer::Kind::kFull:
      response.status = Status::ok;
      break;
  }
  headers.set(bhttp::field::etag, representation.etag);
  headers.set(bhttp::field::last_modified, FormatHttpDate(representation.last_modified_seconds));
  if (answer.kind != ConditionalAnswer::Kind::kNotModified) headers.set(bhttp::field::content_type, content_type);
}

}  // namespace monotube::http
