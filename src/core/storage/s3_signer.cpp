#include "src/core/storage/s3_signer.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <ctime>
#include <stdexcept>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "monotube/text.hpp"

namespace monotube::storage::s3 {
namespace {

constexpr char kHexUpper[] = "0123456789ABCDEF";
constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
constexpr std::string_view kService = "s3";

std::string Digest(const EVP_MD* md, std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &length, md, nullptr) != 1) {
    throw std::runtime_error("OpenSSL digest failed");
  }
  return std::string(reinterpret_cast<const char*>(out.data()), length);
}

// Header values are trimmed and inner runs of spaces become one space.
std::string CanonicalHeaderValue(std::string_view value) {
  std::string out;
  bool pending_space = false;
  for (char c : value) {
    if (c == ' ' || c == '\t') {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    out += c;
  }
  return out;
}

std::string YearMonthDay(std::int64_t epoch_seconds) { return AmzDate(epoch_seconds).substr(0, 8); }

std::string Sign(const SigningRequest& request, const Credentials& credentials, std::string_view region,
                 std::int64_t epoch_seconds, std::string* signed_headers) {
  std::string canonical = CanonicalRequest(request, signed_headers);
  std::string to_sign = StringToSign(epoch_seconds, region, canonical);
  return HexLower(HmacSha256(SigningKey(credentials.secret_key, epoch_seconds, region), to_sign));
}

}  // namespace

std::string Sha256Hex(std::string_view data) { return HexLower(Digest(EVP_sha256(), data)); }

std::string HmacSha256(std::string_view key, std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
  unsigned int length = 0;
  if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
            reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(), &length)) {
    throw std::runtime_error("OpenSSL HMAC failed");
  }
  return std::string(reinterpret_cast<const char*>(out.data()), length);
}

std::string Md5Base64(std::string_view data) {
  std::string digest = Digest(EVP_md5(), data);
  std::string out(4 * ((digest.size() + 2) / 3) + 1, '\0');
  int length =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                      reinterpret_cast<const unsigned char*>(digest.data()), static_cast<int>(digest.size()));
  out.resize(static_cast<std::size_t>(length));
  return out;
}

std::string HexLower(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kHex[c >> 4];
    out += kHex[c & 0xf];
  }
  return out;
}

std::string UriEncode(std::string_view text, bool keep_slash) {
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHexUpper[c >> 4];
      out += kHexUpper[c & 0xf];
    }
  }
  return out;
}

std::string PercentDecode(std::string_view text) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex(text[i + 1]) >= 0 && hex(text[i + 2]) >= 0) {
      out += static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::string AmzDate(std::int64_t epoch_seconds) {
  std::time_t t = static_cast<std::time_t>(epoch_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[32];
  std::size_t n = std::strftime(buffer, sizeof buffer, "%Y%m%dT%H%M%SZ", &tm);
  return std::string(buffer, n);
}

std::string CanonicalQueryString(const NameValues& query) {
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(query.size());
  for (const auto& [name, value] : query)
    encoded.emplace_back(UriEncode(name, false), UriEncode(value, false));
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [name, value] : encoded) {
    if (!out.empty()) out += '&';
    out += name;
    out += '=';
    out += value;
  }
  return out;
}

std::string CanonicalRequest(const SigningRequest& request, std::string* signed_headers) {
  std::vector<std::pair<std::string, std::string>> headers;
  headers.reserve(request.headers.size());
  for (const auto& [name, value] : request.headers)
    headers.emplace_back(LowerAscii(name), CanonicalHeaderValue(value));
  std::stable_sort(headers.begin(), headers.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string canonical_headers;
  std::string names;
  for (std::size_t i = 0; i < headers.size(); ++i) {
    // Repeated headers are one line with the values joined by commas.
    if (i > 0 && headers[i].first == headers[i - 1].first) {
      canonical_headers.pop_back();
      canonical_headers += ',' + headers[i].second + '\n';
      continue;
    }
    canonical_headers += headers[i].first + ':' + headers[i].second + '\n';
    if (!names.empty()) names += ';';
    names += headers[i].first;
  }
  if (signed_headers) *signed_headers = names;
  return request.method + '\n' + request.canonical_uri + '\n' + CanonicalQueryString(request.query) + '\n' +
         canonical_headers + '\n' + names + '\n' + request.payload_hash;
}

std::string CredentialScope(std::int64_t epoch_seconds, std::string_view region) {
  return YearMonthDay(epoch_seconds) + '/' + std::string(region) + '/' + std::string(kService) +
         "/aws4_request";
}

std::string StringToSign(std::int64_t epoch_seconds, std::string_view region,
                         std::string_view canonical_request) {
  return std::string(kAlgorithm) + '\n' + AmzDate(epoch_seconds) + '\n' +
         CredentialScope(epoch_seconds, region) + '\n' + Sha256Hex(canonical_request);
}

std::string SigningKey(std::string_view secret_key, std::int64_t epoch_seconds, std::string_view region) {
  std::string key = HmacSha256("AWS4" + std::string(secret_key), YearMonthDay(epoch_seconds));
  key = HmacSha256(key, region);
  key = HmacSha256(key, kService);
  return HmacSha256(key, "aws4_request");
}

std::string AuthorizationHeader(const SigningRequest& request, const Credentials& credentials,
                                std::string_view region, std::int64_t epoch_seconds) {
  std::string signed_headers;
  std::string signature = Sign(request, credentials, region, epoch_seconds, &signed_headers);
  return std::string(kAlgorithm) + " Credential=" + credentials.access_key + '/' +
         CredentialScope(epoch_seconds, region) + ",SignedHeaders=" + signed_headers +
         ",Signature=" + signature;
}

std::string PresignedQuery(const SigningRequest& request, const Credentials& credentials,
                           std::string_view region, std::int64_t epoch_seconds,
                           std::int64_t expires_seconds) {
  SigningRequest presigned = request;
  presigned.payload_hash = std::string(kUnsignedPayload);
  std::string signed_headers;
  CanonicalRequest(presigned, &signed_headers);
  presigned.query.emplace_back("X-Amz-Algorithm", std::string(kAlgorithm));
  presigned.query.emplace_back("X-Amz-Credential",
                               credentials.access_key + '/' + CredentialScope(epoch_seconds, region));
  presigned.query.emplace_back("X-Amz-Date", AmzDate(epoch_seconds));
  presigned.query.emplace_back("X-Amz-Expires", std::to_string(expires_seconds));
  presigned.query.emplace_back("X-Amz-SignedHeaders", signed_headers);
  std::string signature = Sign(presigned, credentials, region, epoch_seconds, nullptr);
  return CanonicalQueryString(presigned.query) + "&X-Amz-Signature=" + signature;
}

}  // namespace monotube::storage::s3
