#pragma once
// What the libcurl users (SMTP mail, the S3 client) share: global initialisation, a
// checked curl_easy_setopt, and a request body sent from memory.
#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>

#include <curl/curl.h>

namespace monotube::curl {

// curl_global_init once per process; throws std::runtime_error when it fails.
void EnsureInitialized();

template <class T>
void SetOption(CURL* handle, CURLoption option, T value) {
  if (CURLcode rc = curl_easy_setopt(handle, option, value); rc != CURLE_OK)
    throw std::logic_error(std::string("curl_easy_setopt failed: ") + curl_easy_strerror(rc));
}

// A body sent from memory: CURLOPT_READFUNCTION = &ReadUpload, CURLOPT_READDATA = &upload.
struct Upload {
  std::string_view data;
  std::size_t offset = 0;
};
std::size_t ReadUpload(char* buffer, std::size_t size, std::size_t count, void* upload);

}  // namespace monotube::curl
