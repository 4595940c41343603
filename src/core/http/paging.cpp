#include "monotube/http/paging.hpp"

#include <charconv>

#include "monotube/errors.hpp"

namespace monotube::http {

std::optional<std::int64_t> ParseCount(std::string_view text) {
  text = TrimWhitespace(text);
  std::int64_t value = 0;
  if (text.empty() || text.size() > 18) return std::nullopt;
  auto parsed = std::from_chars(text.data(), text.data() + text.size(), value);
  if (parsed.ec != std::errc() || parsed.ptr != text.data() + text.size() || value < 0) return std::nullopt;
  return value;
}

int PageSize(const Request& request, int default_size, int max_size) {
  auto text = request.Query("limit");
  if (!text) return default_size;
  auto value = ParseCount(*text);
  if (!value || *value < 1 || *value > max_size)
    throw InvalidInput("invalid_limit", "limit must be a number from 1 to " + std::to_string(max_size) + ".");
  return static_cast<int>(*value);
}

Cursor ParseCursor(std::string_view text) {
  auto dot = text.find('.');
  Cursor cursor;
  bool ok = dot != std::string_view::npos;
  if (ok) {
    auto a = std::from_chars(text.data(), text.data() + dot, cursor.key);
    auto b = std::from_chars(text.data() + dot + 1, text.data() + text.size(), cursor.id);
    ok = a.ec == std::errc() && a.ptr == text.data() + dot && b.ec == std::errc() && b.ptr == text.data() + text.size();
  }
  if (!ok) throw InvalidInput("invalid_cursor", "The page cursor is not valid; start again from the first page.");
  return cursor;
}

std::string MakeCursor(long long key, long long id) { return std::to_string(key) + "." + std::to_string(id); }

nlohmann::json CursorJson(const std::string& cursor) {
  return cursor.empty() ? nlohmann::json(nullptr) : nlohmann::json(cursor);
}

}  // namespace monotube::http
