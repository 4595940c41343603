#pragma once
// Media URLs: which videos need signed links, the signature itself, and the playlist
// rewrite that carries a signature from the master playlist to everything it names.
// Pure functions and a thread-safe signer.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace monotube::videos {

// Signs "video id + expiry" with a site secret shared by every replica (HMAC-SHA-256).
class MediaSigner {
 public:
  explicit MediaSigner(std::string secret) : secret_(std::move(secret)) {}

  // "expires=<unix seconds>&sig=<base64url>", valid for this video until expires_at.
  std::string Query(std::string_view public_id, std::int64_t expires_at_seconds) const;
  // Whether the request's expires/sig parameters allow this video at now_seconds.
  bool Verify(std::string_view public_id, std::optional<std::string> expires, std::optional<std::string> signature,
              std::int64_t now_seconds) const;

 private:
  std::string Signature(std::string_view public_id, std::int64_t expires_at_seconds) const;
  std::string secret_;
};

// Appends "?<query>" to every URI of an HLS playlist: the URI lines and URI="…" attributes
// (EXT-X-MAP, EXT-X-MEDIA, …). URIs that already carry a query get "&<query>".
std::string AppendQueryToPlaylist(std::string_view playlist, std::string_view query);

// The Content-Type of a media file by its name; nullopt for names we never serve.
std::optional<std::string_view> MediaContentType(std::string_view path);

}  // namespace monotube::videos
