#include "monotube/log.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "monotube/errors.hpp"

namespace monotube::log {
namespace {

thread_local std::string current_request_id;

// %q in the pattern: the current request id, or "-".
class RequestIdFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg&, const std::tm&, spdlog::memory_buf_t& dest) override {
    std::string_view id = current_request_id.empty() ? std::string_view("-") : std::string_view(current_request_id);
    dest.append(id.data(), id.data() + id.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<RequestIdFlag>(); }
};

}  // namespace

void Init(const std::string& level) {
  auto parsed = spdlog::level::from_str(level);
  if (parsed == spdlog::level::off && level != "off")
    throw ConfigError("log_level: '" + level + "' is not one of trace, debug, info, warn, error, off");
  // Logs go to stderr so that command output (e.g. `monotube version`) stays clean on stdout.
  spdlog::drop("monotube");
  auto logger = spdlog::stderr_color_mt("monotube");
  auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
  formatter->add_flag<RequestIdFlag>('q').set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%-5l%$ [%q] %v");
  logger->set_formatter(std::move(formatter));
  logger->set_level(parsed);
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(logger);
}

std::string_view CurrentRequestId() { return current_request_id; }

RequestIdScope::RequestIdScope(std::string_view request_id) : previous_(std::move(current_request_id)) {
  current_request_id.assign(request_id);
}

RequestIdScope::~RequestIdScope() { current_request_id = std::move(previous_); }

}  // namespace monotube::log
