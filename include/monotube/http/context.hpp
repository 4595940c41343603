#pragma once
// What a handler gets: the request, its path parameters, its id, and the way to run
// blocking work without blocking the IO thread.
#include <string>
#include <string_view>
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <spdlog/spdlog.h>

#include "monotube/http/message.hpp"
#include "monotube/http/router.hpp"
#include "monotube/log.hpp"
#include "monotube/worker_pool.hpp"

namespace monotube::http {

class RequestContext {
 public:
  RequestContext(Request& incoming, std::string id, WorkerPool& workers)
      : request(incoming), request_id(std::move(id)), workers_(workers) {}

  Request& request;
  std::string request_id;
  std::map<std::string, std::string, std::less<>> params;
  std::string route;  // the matched pattern, "" for the fallback

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
