#pragma once
// Public ids: short random URL-safe strings (YouTube-like, 11 characters of
// base64url = 66 bits). The numeric primary keys never leave the server.
#include <string>
#include <string_view>

namespace monotube {

std::string NewPublicId();                       // 11 characters [A-Za-z0-9_-]
bool IsValidPublicId(std::string_view id);
std::string RandomToken(std::size_t bytes = 32);  // base64url, for secrets
std::string Sha256Hex(std::string_view data);
// HMAC-SHA-256 of message under key, base64url without padding (43 characters).
std::string HmacSha256Base64Url(std::string_view key, std::string_view message);

}  // namespace monotube
