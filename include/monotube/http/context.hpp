#pragma once
// What a handler gets: the request, its path parameters, its id, and the way to run
// blocking work without blocking the IO thread.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <spdlog/spdlog.h>

#include "monotube/errors.hpp"
#include "monotube/http/message.hpp"
#include "monotube/http/router.hpp"
#include "monotube/log.hpp"
#include "monotube/worker_pool.hpp"

namespace monotube::http {

// The client stopped sending a streamed body before its end (it went away, or sent
// nothing for the body timeout). What arrived before is still valid data.
class BodyInterrupted : public Error {
 public:
  explicit BodyInterrupted(const std::string& message) : Error(400, "body_interrupted", message) {}
};

// The body of a route declared with RouteOptions::stream_body, read on the IO thread.
class BodyReader {
 public:
  virtual ~BodyReader() = default;
  // Up to size bytes of the body (at least one unless the body is complete); 0 once it
  // is. Throws PayloadTooLarge past the route's limit and BodyInterrupted when the
  // body stops arriving; bytes returned before that are good.
  virtual boost::asio::awaitable<std::size_t> Read(char* buffer, std::size_t size) = 0;
  virtual bool done() const noexcept = 0;
  // Content-Length when the client sent one (not with chunked encoding).
  virtual std::optional<std::uint64_t> content_length() const noexcept = 0;
};

class RequestContext {
 public:
  RequestContext(Request& incoming, std::string id, WorkerPool& workers)
      : request(incoming), request_id(std::move(id)), workers_(workers) {}

  Request& request;
  std::string request_id;
  std::map<std::string, std::string, std::less<>> params;
  std::string route;  // the matched pattern, "" for the fallback
  BodyReader* body_reader = nullptr;  // set for stream_body routes only

  // Reads the next piece of a streamed body (see BodyReader::Read).
  boost::asio::awaitable<std::size_t> ReadBody(char* buffer, std::size_t size);

  // A path parameter; throws NotFound when absent (a route/handler mismatch).
  const std::string& Param(std::string_view name) const;

  // Runs fn on the worker pool; the request id follows it into the log.
  template <class F>
  auto Blocking(F fn) {
    // Not a coroutine: the returned awaitable owns the wrapper (Run takes it by value).
    return workers_.Run([id = request_id, fn = std::move(fn)]() mutable {
      log::RequestIdScope scope(id);
      return fn();
    });
  }

  WorkerPool& workers() noexcept { return workers_; }

  // Logs with this request's id.
  template <class... Args>
  void Log(spdlog::level::level_enum level, spdlog::format_string_t<Args...> fmt, Args&&... args) const {
    log::RequestIdScope scope(request_id);
    spdlog::log(level, fmt, std::forward<Args>(args)...);
  }

 private:
  WorkerPool& workers_;
};

}  // namespace monotube::http
