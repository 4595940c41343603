#pragma once
// Small helpers shared by the storage tests of every backend.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <curl/curl.h>

#include "monotube/storage/storage.hpp"

namespace monotube::test {

// Reads the rest of reader in chunks of `chunk` bytes (small by default, to cross every
// internal buffer boundary the backend has).
inline std::string ReadAll(storage::ObjectReader& reader, std::size_t chunk = 7) {
  std::string out;
  std::string buffer(chunk, '\0');
  while (std::size_t n = reader.Read(buffer.data(), buffer.size())) out.append(buffer.data(), n);
  return out;
}

inline std::string ReadRange(storage::ObjectStorage& storage, const std::string& key,
                             storage::ByteRange range, std::size_t chunk = 7) {
  auto reader = storage.OpenReader(key, range);
  std::string data = ReadAll(*reader, chunk);
  CHECK(data.size() == reader->size());
  return data;
}

// A valid key of exactly `bytes` bytes, made of 100-byte segments.
inline std::string LongKey(std::size_t bytes) {
  std::string key;
  while (bytes - key.size() > 101) key += std::string(100, 'k') + "/";
  return key + std::string(bytes - key.size(), 'k');
}

inline std::vector<std::string> Keys(const storage::ListResult& result) {
  std::vector<std::string> keys;
  for (const auto& object : result.objects) keys.push_back(object.key);
  return keys;
}

// Deterministic bytes that differ at every offset, so a misplaced block shows.
inline std::string PatternBytes(std::size_t size, std::uint64_t seed = 0x9E3779B97F4A7C15ULL) {
  std::string data(size, '\0');
  std::uint64_t state = seed | 1;
  for (std::size_t i = 0; i < size; i += 8) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    std::memcpy(data.data() + i, &state, std::min<std::size_t>(8, size - i));
  }
  return data;
}

struct FetchResult {
  long status = 0;
  std::string content_type;
  std::string body;
};

// GETs url with libcurl, as a browser following a presigned URL would.
inline FetchResult FetchUrl(const std::string& url) {
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
  if (!curl) throw std::runtime_error("curl_easy_init failed");
  FetchResult result;
  auto write = +[](char* data, std::size_t size, std::size_t count, void* user) {
    static_cast<std::string*>(user)->append(data, size * count);
    return size * count;
  };
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT, 60L);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, write);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &result.body);
  CURLcode rc = curl_easy_perform(curl.get());
  if (rc != CURLE_OK)
    throw std::runtime_error(std::string("fetching a URL failed: ") + curl_easy_strerror(rc));
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &result.status);
  char* type = nullptr;
  curl_easy_getinfo(curl.get(), CURLINFO_CONTENT_TYPE, &type);
  if (type) result.content_type = type;
  return result;
}

}  // namespace monotube::test
