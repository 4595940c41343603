#pragma once
// Serves the web UI from a folder: content types, ETag/If-None-Match,
// Last-Modified/If-Modified-Since, single byte ranges, cache headers, and no way out
// of the folder (encoded "..", backslashes, NUL, symlinks pointing outside).
// Small files are kept in a bounded in-memory cache and answered on the IO thread;
// everything else touches the disk on the worker pool only. Thread-safe.
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>

#include <boost/asio/awaitable.hpp>

#include "monotube/http/context.hpp"
#include "monotube/http/message.hpp"

namespace monotube::http {

struct StaticFilesOptions {
  std::size_t cache_bytes = 32 * 1024 * 1024;          // all cached file contents together
  std::size_t max_cached_file_bytes = 2 * 1024 * 1024;  // larger files are streamed from disk
  std::chrono::milliseconds revalidate_after{1000};     // a cached file is re-checked on disk this often
};

class StaticFiles {
 public:
  // root must exist; throws ConfigError naming it otherwise.
  explicit StaticFiles(std::filesystem::path root, StaticFilesOptions options = {});
  ~StaticFiles();
  StaticFiles(const StaticFiles&) = delete;
  StaticFiles& operator=(const StaticFiles&) = delete;

  // For GET/HEAD. "/" serves index.html. A missing file answers 404: for browsers
  // (Accept: text/html) the UI shell, whose script shows the not-found view; the JSON
  // error otherwise. The StaticFiles must outlive the returned coroutine.
  boost::asio::awaitable<Response> Serve(RequestContext& context) const;

  // The web UI shell (index.html) with status 200, whatever the path: the handler for
  // the routes of UI pages (e.g. /watch/{video_id}); the shell's script renders the page
  // that matches the path. With ETag/Last-Modified like any file.
  boost::asio::awaitable<Response> ServeShell(RequestContext& context) const;

  // Bytes of file content held in the cache (for tests and metrics).
  std::size_t cached_bytes() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace monotube::http
