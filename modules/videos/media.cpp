#include "modules/videos/media.hpp"

#include <sodium.h>

#include <charconv>
#include <string>

#include "monotube/ids.hpp"

namespace monotube::videos {
namespace {

std::string WithQuery(std::string_view uri, std::string_view query) {
  std::string out(uri);
  out += uri.find('?') == std::string_view::npos ? '?' : '&';
  out += query;
  return out;
}

}  // namespace

std::string MediaSigner::Signature(std::string_view public_id, std::int64_t expires_at_seconds) const {
  return HmacSha256Base64Url(secret_, std::string(public_id) + "\n" + std::to_string(expires_at_seconds));
}

std::string MediaSigner::Query(std::string_view public_id, std::int64_t expires_at_seconds) const {
  return "expires=" + std::to_string(expires_at_seconds) + "&sig=" + Signature(public_id, expires_at_seconds);
}

bool MediaSigner::Verify(std::string_view public_id, std::optional<std::string> expires,
                         std::optional<std::string> signature, std::int64_t now_seconds) const {
  if (!expires || !signature) return false;
  std::int64_t expires_at = 0;
  auto parsed = std::from_chars(expires->data(), expires->data() + expires->size(), expires_at);
  if (parsed.ec != std::errc() || parsed.ptr != expires->data() + expires->size()) return false;
  if (expires_at < now_seconds) return false;
  std::string expected = Signature(public_id, expires_at);
  return expected.size() == signature->size() &&
         sodium_memcmp(expected.data(), signature->data(), expected.size()) == 0;
}

std::string AppendQueryToPlaylist(std::string_view playlist, std::string_view query) {
  std::string out;
  out.reserve(playlist.size() + 64);
  std::size_t start = 0;
  while (start < playlist.size()) {
    std::size_t end = playlist.find('\n', start);
    if (end == std::string_view::npos) end = playlist.size();
    std::string_view line = playlist.substr(start, end - start);
    bool has_cr = !line.empty() && line.back() == '\r';
    if (has_cr) line.remove_suffix(1);
    if (line.empty()) {
    } else if (line.front() != '#') {
      out += WithQuery(line, query);
      line = {};
    } else {
      // Tags: rewrite each URI="…" attribute.
      std::size_t at = 0;
      while (true) {
        std::size_t uri = line.find("URI=\"", at);
        if (uri == std::string_view::npos) break;
        std::size_t value = uri + 5;
        std::size_t close = line.find('"', value);
        if (close == std::string_view::npos) break;
        out += line.substr(at, value - at);
        out += WithQuery(line.substr(value, close - value), query);
        at = close;
      }
      line = line.substr(at);
    }
    out += line;
    if (has_cr) out += '\r';
    if (end < playlist.size()) out += '\n';
    start = end + 1;
  }
  return out;
}

std::optional<std::string_view> MediaContentType(std::string_view path) {
  auto ends = [path](std::string_view suffix) { return path.ends_with(suffix); };
  if (ends(".m3u8")) return "application/vnd.apple.mpegurl";
  if (ends(".m4s")) return "video/iso.segment";
  if (ends(".mp4")) return "video/mp4";
  if (ends(".jpg")) return "image/jpeg";
  if (ends(".vtt")) return "text/vtt; charset=utf-8";
  return std::nullopt;
}

}  // namespace monotube::videos
