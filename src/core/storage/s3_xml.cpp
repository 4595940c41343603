#include "src/core/storage/s3_xml.hpp"

#include <cstdint>

namespace monotube::storage::s3xml {
namespace {

void AppendUtf8(std::string& out, std::uint32_t code) {
  if (code < 0x80) {
    out += static_cast<char>(code);
  } else if (code < 0x800) {
    out += static_cast<char>(0xc0 | (code >> 6));
    out += static_cast<char>(0x80 | (code & 0x3f));
  } else if (code < 0x10000) {
    out += static_cast<char>(0xe0 | (code >> 12));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (code & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (code >> 18));
    out += static_cast<char>(0x80 | ((code >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (code & 0x3f));
  }
}

// The code point of a numeric reference body ("#38", "#x26"); nullopt if malformed.
std::optional<std::uint32_t> NumericReference(std::string_view body) {
  if (body.size() < 2 || body[0] != '#') return std::nullopt;
  bool hex = body[1] == 'x' || body[1] == 'X';
  std::string_view digits = body.substr(hex ? 2 : 1);
  if (digits.empty() || digits.size() > 8) return std::nullopt;
  std::uint32_t code = 0;
  for (char c : digits) {
    int digit;
    if (c >= '0' && c <= '9') {
      digit = c - '0';
    } else if (hex && c >= 'a' && c <= 'f') {
      digit = c - 'a' + 10;
    } else if (hex && c >= 'A' && c <= 'F') {
      digit = c - 'A' + 10;
    } else {
      return std::nullopt;
    }
    code = code * (hex ? 16 : 10) + static_cast<std::uint32_t>(digit);
  }
  if (code == 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return std::nullopt;
  return code;
}

}  // namespace

std::vector<std::string_view> Elements(std::string_view xml, std::string_view name) {
  std::vector<std::string_view> found;
  // Built with append: GCC 12 gives a bogus -Wrestrict for "</" + std::string(name).
  std::string open("<");
  open.append(name);
  std::string close("</");
  close.append(name).append(">");
  std::size_t position = 0;
  while (true) {
    std::size_t start = xml.find(open, position);
    if (start == std::string_view::npos) return found;
    std::size_t after_name = start + open.size();
    // "<Key" must not match "<KeyCount>".
    if (after_name >= xml.size()) return found;
    char next = xml[after_name];
    if (next != '>' && next != '/' && next != ' ' && next != '\t' && next != '\r' && next != '\n') {
      position = after_name;
      continue;
    }
    std::size_t tag_end = xml.find('>', after_name);
    if (tag_end == std::string_view::npos) return found;
    if (xml[tag_end - 1] == '/') {
      found.emplace_back();
      position = tag_end + 1;
      continue;
    }
    std::size_t end = xml.find(close, tag_end + 1);
    if (end == std::string_view::npos) return found;
    found.push_back(xml.substr(tag_end + 1, end - tag_end - 1));
    position = end + close.size();
  }
}

std::optional<std::string> Text(std::string_view xml, std::string_view name) {
  std::vector<std::string_view> elements = Elements(xml, name);
  if (elements.empty()) return std::nullopt;
  return Decode(elements.front());
}

std::string Decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] != '&') {
      out += text[i++];
      continue;
    }
    std::size_t semicolon = text.find(';', i + 1);
    if (semicolon == std::string_view::npos || semicolon - i > 12) {
      out += text[i++];
      continue;
    }
    std::string_view body = text.substr(i + 1, semicolon - i - 1);
    if (body == "amp") {
      out += '&';
    } else if (body == "lt") {
      out += '<';
    } else if (body == "gt") {
      out += '>';
    } else if (body == "quot") {
      out += '"';
    } else if (body == "apos") {
      out += '\'';
    } else if (auto code = NumericReference(body)) {
      AppendUtf8(out, *code);
    } else {
      out += text[i++];
      continue;
    }
    i = semicolon + 1;
  }
  return out;
}

std::string Escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace monotube::storage::s3xml
