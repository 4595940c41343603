// The search API's parameters: checked strictly, so that any malformed value is a 400
// that names it, never a surprise deeper down.
#include <charconv>
#include <cmath>

#include "modules/search/search.hpp"
#include "monotube/clock.hpp"
#include "monotube/errors.hpp"
#include "monotube/text.hpp"

namespace monotube::search {
namespace {

constexpr int kDefaultLimit = 20;
constexpr int kMaxLimit = 50;
constexpr std::size_t kMaxTags = 10;
constexpr std::size_t kMaxTagBytes = 120;
constexpr std::int64_t kHourMs = 3600 * 1000;
constexpr std::int64_t kDayMs = 24 * kHourMs;
constexpr std::int64_t kShortMaxMs = 4 * 60 * 1000 - 1;    // short: under 4 minutes
constexpr std::int64_t kMediumMinMs = 4 * 60 * 1000;       // medium: 4 to 20 minutes
constexpr std::int64_t kMediumMaxMs = 20 * 60 * 1000;
constexpr std::int64_t kLongMinMs = 20 * 60 * 1000 + 1;    // long: over 20 minutes

std::string Trim(std::string_view text) {
  auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  auto last = text.find_last_not_of(" \t");
  return std::string(text.substr(first, last - first + 1));
}

std::optional<std::int64_t> ParseInteger(std::string_view text) {
  std::int64_t value = 0;
  if (text.empty() || text.size() > 12) return std::nullopt;
  auto parsed = std::from_chars(text.data(), text.data() + text.size(), value);
  if (parsed.ec != std::errc() || parsed.ptr != text.data() + text.size() || value < 0) return std::nullopt;
  return value;
}

// Seconds (a whole or decimal number) as milliseconds.
std::int64_t ParseDurationMs(const std::string& text, std::string_view name) {
  double seconds = 0;
  auto parsed = std::from_chars(text.data(), text.data() + text.size(), seconds, std::chars_format::fixed);
  if (text.empty() || text.size() > 16 || parsed.ec != std::errc() || parsed.ptr != text.data() + text.size() ||
      !std::isfinite(seconds) || seconds < 0 || seconds > 1e8)
    throw InvalidInput("invalid_duration", std::string(name) + " must be a number of seconds, e.g. 240.");
  return static_cast<std::int64_t>(std::llround(seconds * 1000));
}

std::int64_t ParseDate(const std::string& text, std::string_view name) {
  std::int64_t ms = 0;
  if (text.size() > 40 || !ParseIso8601(text, ms))
    throw InvalidInput("invalid_date",
                       std::string(name) + " must be an ISO-8601 date or time, e.g. 2024-05-01 or 2024-05-01T12:00:00Z.");
  return ms;
}

// Shorthands: upload dates relative to now, and length classes.
bool ApplyShorthand(const std::string& name, std::int64_t now_ms, SearchQuery& query) {
  auto since = [&](std::int64_t ms) {
    query.published_after_ms = std::max(query.published_after_ms.value_or(now_ms - ms), now_ms - ms);
  };
  if (name == "last_hour") since(kHourMs);
  else if (name == "today") since(kDayMs);
  else if (name == "this_week") since(7 * kDayMs);
  else if (name == "this_month") since(30 * kDayMs);
  else if (name == "this_year") since(365 * kDayMs);
  else if (name == "short") query.max_duration_ms = kShortMaxMs;
  else if (name == "medium") {
    query.min_duration_ms = kMediumMinMs;
    query.max_duration_ms = kMediumMaxMs;
  } else if (name == "long") query.min_duration_ms = kLongMinMs;
  else return false;
  return true;
}

std::vector<std::string> SplitList(std::string_view text) {
  std::vector<std::string> items;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    auto item = Trim(text.substr(start, comma - start));
    if (!item.empty()) items.push_back(std::move(item));
    start = comma + 1;
  }
  return items;
}

}  // namespace

void CheckQueryText(std::string_view text, std::string_view name, std::size_t max_bytes) {
  if (text.size() > max_bytes)
    throw InvalidInput("query_too_long",
                       std::string(name) + " is too long: at most " + std::to_string(max_bytes) + " bytes.");
  if (!IsValidUtf8(text)) throw InvalidInput("invalid_query", std::string(name) + " must be UTF-8 text.");
  for (char c : text)
    if (static_cast<unsigned char>(c) < 0x20 || c == '\x7f')
      throw InvalidInput("invalid_query", std::string(name) + " must not contain control characters.");
}

SearchQuery ParseSearchParameters(const std::function<std::optional<std::string>(std::string_view)>& param,
                                  std::int64_t now_ms) {
  SearchQuery query;
  if (auto text = param("query")) {
    CheckQueryText(*text, "query", kMaxQueryBytes);
    query.text = *text;
  }
  if (auto tags = param("tags")) {
    CheckQueryText(*tags, "tags", kMaxTags * (kMaxTagBytes + 1));
    query.tags = SplitList(*tags);
    if (query.tags.size() > kMaxTags)
      throw InvalidInput("invalid_tags", "At most " + std::to_string(kMaxTags) + " tags can be combined.");
    for (const auto& tag : query.tags)
      if (tag.size() > kMaxTagBytes) throw InvalidInput("invalid_tags", "A tag in tags is too long.");
  }
  if (auto after = param("uploaded_after")) query.published_after_ms = ParseDate(*after, "uploaded_after");
  if (auto before = param("uploaded_before")) query.published_before_ms = ParseDate(*before, "uploaded_before");
  if (auto min = param("min_duration")) query.min_duration_ms = ParseDurationMs(*min, "min_duration");
  if (auto max = param("max_duration")) query.max_duration_ms = ParseDurationMs(*max, "max_duration");
  if (auto upload_date = param("upload_date")) {
    const std::string& name = *upload_date;
    bool known = name == "last_hour" || name == "today" || name == "this_week" || name == "this_month" ||
                 name == "this_year";
    if (!known || !ApplyShorthand(name, now_ms, query))
      throw InvalidInput("invalid_upload_date",
                         "upload_date must be last_hour, today, this_week, this_month or this_year.");
  }
  if (auto duration = param("duration")) {
    if ((*duration != "short" && *duration != "medium" && *duration != "long") ||
        !ApplyShorthand(*duration, now_ms, query))
      throw InvalidInput("invalid_duration", "duration must be short (< 4 min), medium (4-20 min) or long (> 20 min).");
  }
  if (auto filter = param("filter")) {
    if (filter->size() > 200) throw InvalidInput("invalid_filter", "filter is too long.");
    for (const auto& name : SplitList(*filter))
      if (!ApplyShorthand(name, now_ms, query))
        throw InvalidInput("invalid_filter",
                           "filter takes last_hour, today, this_week, this_month, this_year, short, medium or long.");
  }
  if (query.min_duration_ms && query.max_duration_ms && *query.min_duration_ms > *query.max_duration_ms)
    throw InvalidInput("invalid_duration", "min_duration is longer than max_duration.");

  std::string sort = param("sort").value_or("relevance");
  if (sort == "relevance") query.sort = SortOrder::kRelevance;
  else if (sort == "date") query.sort = SortOrder::kDate;
  else if (sort == "views") query.sort = SortOrder::kViews;
  else throw InvalidInput("invalid_sort", "sort must be relevance, date or views.");

  query.limit = kDefaultLimit;
  if (auto limit = param("limit")) {
    auto value = ParseInteger(*limit);
    if (!value || *value < 1 || *value > kMaxLimit)
      throw InvalidInput("invalid_limit", "limit must be a number from 1 to " + std::to_string(kMaxLimit) + ".");
    query.limit = static_cast<int>(*value);
  }
  auto page = param("page");
  auto cursor = param("cursor");
  if (page && cursor) throw InvalidInput("invalid_page", "Give page or cursor, not both.");
  if (page) {
    auto value = ParseInteger(*page);
    if (!value || *value < 1 || *value > kMaxResultWindow)
      throw InvalidInput("invalid_page", "page must be a number from 1.");
    query.offset = static_cast<int>((*value - 1) * query.limit);
  } else if (cursor) {
    // The cursor is "o" and the offset of the next result; opaque to clients.
    auto value = cursor->size() > 1 && (*cursor)[0] == 'o' ? ParseInteger(std::string_view(*cursor).substr(1))
                                                           : std::nullopt;
    if (!value) throw InvalidInput("invalid_cursor", "cursor is not one this server gave out.");
    query.offset = static_cast<int>(std::min<std::int64_t>(*value, kMaxResultWindow + 1));
  }
  if (query.offset + query.limit > kMaxResultWindow)
    throw InvalidInput("invalid_page", "Only the first " + std::to_string(kMaxResultWindow) +
                                           " results can be paged through; narrow the search.");
  return query;
}

}  // namespace monotube::search
