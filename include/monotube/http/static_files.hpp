#pragma once
// Serves the web UI from a folder: content types, ETag/If-None-Match,
// Last-Modified/If-Modified-Since, single byte ranges, cache headers, and no way out
// of the folder (encoded "..", backslashes, NUL, symlinks pointing outside).
#include <filesystem>

#include <boost/asio/awaitable.hpp>

#include "monotube/http/context.hpp"
#include "monotube/http/message.hpp"

namespace monotube::http {

class StaticFiles {
 public:
  // root must exist; throws ConfigError naming it otherwise.
  explicit StaticFiles(std::filesystem::path root);
  ~StaticFiles();

  // For GET/HEAD. "/" serves index.html. A missing file answers 404: the friendly
  // 404.html for browsers (Accept: text/html), the JSON error otherwise.
  boost::asio::awaitable<Response> Serve(RequestContext& context) const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace monotube::http
