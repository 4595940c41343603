#include "monotube/http/message.hpp"

#include <boost/beast/core/string.hpp>

#include "monotube/errors.hpp"

namespace monotube::http {

std::string_view Request::Header(std::string_view name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string_view() : std::string_view(it->value());
}

std::optional<std::string> Request::Query(std::string_view name) const {
  std::string_view rest = query_string;
  while (!rest.empty()) {
    auto amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    auto eq = pair.find('=');
    auto key = PercentDecode(pair.substr(0, eq), true);
    if (!key || *key != name) continue;
    if (eq == std::string_view::npos) return std::string();
    auto value = PercentDecode(pair.substr(eq + 1), true);
    if (!value) throw InvalidInput("invalid_query", "The query parameter '" + std::string(name) + "' is not valid.");
    return value;
  }
  return std::nullopt;
}

nlohmann::json Request::Json() const {
  if (body.empty()) throw InvalidInput("invalid_json", "The request needs a JSON body.");
  auto parsed = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) throw InvalidInput("invalid_json", "The request body is not valid JSON.");
  return parsed;
}

Response Response::Json(const nlohmann::json& value, Status status) {
  Response response;
  response.status = status;
  response.headers.set(bhttp::field::content_type, "application/json");
  response.body = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return response;
}

Response Response::JsonNoStore(const nlohmann::json& value) {
  Response response = Json(value);
  response.headers.set(bhttp::field::cache_control, "no-store");
  return response;
}

Response Response::Text(std::string text, std::string_view content_type, Status status) {
  Response response;
  response.status = status;
  response.headers.set(bhttp::field::content_type, content_type);
  response.body = std::move(text);
  return response;
}

Response Response::Empty(Status status) {
  Response response;
  response.status = status;
  return response;
}

Response Response::Error(Status status, std::string_view code, std::string_view message) {
  return Json({{"error", {{"code", code}, {"message", message}}}}, status);
}

std::string_view TrimWhitespace(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

std::optional<std::string> PercentDecode(std::string_view text, bool plus_as_space) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      int hi = hex(text[i + 1]), lo = hex(text[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_as_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::optional<std::string_view> CookieValue(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    auto semicolon = header.find(';');
    std::string_view pair = TrimWhitespace(header.substr(0, semicolon));
    header = semicolon == std::string_view::npos ? std::string_view() : header.substr(semicolon + 1);
    auto equals = pair.find('=');
    if (equals != std::string_view::npos && TrimWhitespace(pair.substr(0, equals)) == name)
      return TrimWhitespace(pair.substr(equals + 1));
  }
  return std::nullopt;
}

}  // namespace monotube::http
