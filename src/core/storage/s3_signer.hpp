#pragma once
// AWS Signature Version 4 for S3: header signing (Authorization) and query-string
// presigning, plus the hashing and URI-encoding rules it depends on. Pure functions over
// their arguments (hashes from OpenSSL); thread-safe.
//
// S3 differs from other AWS services in two ways that matter here: the canonical URI is
// encoded once (not twice), and the payload hash is sent in x-amz-content-sha256.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace monotube::storage::s3 {

inline constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";
// SHA-256 of the empty string: the payload hash of GET, HEAD and DELETE.
inline constexpr std::string_view kEmptyPayloadHash =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
// S3 refuses presigned URLs valid for longer than seven days.
inline constexpr std::int64_t kMaxPresignSeconds = 7 * 24 * 3600;

std::string Sha256Hex(std::string_view data);
std::string HmacSha256(std::string_view key, std::string_view data);  // raw 32 bytes
std::string Md5Base64(std::string_view data);                         // for Content-MD5
std::string HexLower(std::string_view bytes);

// SigV4's URI encoding: RFC 3986 unreserved characters (A-Z a-z 0-9 - . _ ~) stay, every
// other byte becomes %XX with upper-case hex; "/" stays only when keep_slash (paths).
std::string UriEncode(std::string_view text, bool keep_slash);
// Reverses %XX escapes; a malformed escape is kept as it is. "+" stays "+".
std::string PercentDecode(std::string_view text);

// "20130524T000000Z" for a Unix time in seconds.
std::string AmzDate(std::int64_t epoch_seconds);

struct Credentials {
  std::string access_key;
  std::string secret_key;
};

using NameValues = std::vector<std::pair<std::string, std::string>>;

struct SigningRequest {
  std::string method;         // "GET", "PUT", …
  std::string canonical_uri;  // the path exactly as sent, already encoded: "/bucket/a/b%2Bc"
  NameValues query;           // decoded names and values; a bare "?uploads" is {"uploads", ""}
  NameValues headers;         // names in any case; must include host (and x-amz-* being sent)
  std::string payload_hash;   // hex SHA-256 of the body, or kUnsignedPayload
};

// The query string in SigV4 canonical form (each name and value encoded, sorted by name
// then value, "name=value" joined by "&"). Sending the URL with exactly this string
// guarantees that the server sees what was signed.
std::string CanonicalQueryString(const NameValues& query);
// The canonical request; signed_headers receives "host;range;x-amz-date"-style names.
std::string CanonicalRequest(const SigningRequest& request, std::string* signed_headers = nullptr);
// "<yyyymmdd>/<region>/s3/aws4_request"
std::string CredentialScope(std::int64_t epoch_seconds, std::string_view region);
std::string StringToSign(std::int64_t epoch_seconds, std::string_view region,
                         std::string_view canonical_request);
std::string SigningKey(std::string_view secret_key, std::int64_t epoch_seconds, std::string_view region);

// The Authorization header value for request at epoch_seconds. The request's headers
// must already hold x-amz-date = AmzDate(epoch_seconds) and x-amz-content-sha256 =
// payload_hash, because they are part of what is signed.
std::string AuthorizationHeader(const SigningRequest& request, const Credentials& credentials,
                                std::string_view region, std::int64_t epoch_seconds);

// The query string of a presigned request: request.query (e.g. response-content-type)
// plus the X-Amz-* parameters, canonical order, ending in X-Amz-Signature. The request
// must sign only the host header; its payload hash is ignored (UNSIGNED-PAYLOAD).
std::string PresignedQuery(const SigningRequest& request, const Credentials& credentials,
                           std::string_view region, std::int64_t epoch_seconds, std::int64_t expires_seconds);

}  // namespace monotube::storage::s3
