#pragma once
// Logging through spdlog. Every line carries the id of the request it belongs to
// (or "-"): the id lives in a thread-local that RequestIdScope sets for the span of
// synchronous code it guards, so it never leaks across a co_await.
#include <string>
#include <string_view>

namespace monotube::log {

// Sets the pattern and level ("trace", "debug", "info", "warn", "error", "off").
void Init(const std::string& level);

std::string_view CurrentRequestId();

class RequestIdScope {
 public:
  explicit RequestIdScope(std::string_view request_id);
  ~RequestIdScope();
  RequestIdScope(const RequestIdScope&) = delete;
  RequestIdScope& operator=(const RequestIdScope&) = delete;

 private:
  std::string previous_;
};

}  // namespace monotube::log
