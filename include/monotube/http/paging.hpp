#pragma once
// Pagination shared by every list endpoint: the `limit` parameter, and keyset cursors
// "<sort key>.<id>" naming the last item of the previous page (stable while rows are
// added, unlike offsets).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "monotube/http/message.hpp"

namespace monotube::http {

inline constexpr int kDefaultPageSize = 24;
inline constexpr int kMaxPageSize = 100;

// A non-negative decimal number of at most 18 digits (surrounding whitespace allowed).
std::optional<std::int64_t> ParseCount(std::string_view text);

// The `limit` query parameter: default_size when absent; 1..max_size, else 400 invalid_limit.
int PageSize(const Request& request, int default_size = kDefaultPageSize, int max_size = kMaxPageSize);

struct Cursor {
  long long key = 0;
  long long id = 0;
};
// 400 invalid_cursor when the text is not "<key>.<id>".
Cursor ParseCursor(std::string_view text);
std::string MakeCursor(long long key, long long id);
// A page's "next_cursor" in an answer: the cursor, or null on the last page ("").
nlohmann::json CursorJson(const std::string& cursor);

}  // namespace monotube::http
