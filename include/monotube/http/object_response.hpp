#pragma once
// Answers a GET or HEAD with an object from storage: validators (ETag, Last-Modified),
// 304 for a matching If-None-Match, a single Range as 206 (416 when it misses), and the
// body streamed from storage, never loaded whole.
#include <string>
#include <string_view>

#include "monotube/http/message.hpp"
#include "monotube/storage/storage.hpp"

namespace monotube::http {

// Blocking (storage calls): run it on the worker pool. Throws NotFound when the object is missing.
Response ObjectResponse(storage::ObjectStorage& storage, const std::string& key, const Request& request,
                        std::string_view content_type, std::string_view cache_control);

}  // namespace monotube::http
