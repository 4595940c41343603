#include "monotube/metrics.hpp"

#include <array>
#include <sstream>

#include "monotube/clock.hpp"

namespace monotube {
namespace {

constexpr std::array<double, 14> kLatencyBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                    0.1,    0.25,  0.5,    1,     2.5,  5,    10};

// Label values come from route patterns and methods, but escape anyway so the
// exposition stays valid whatever a later route is called.
std::string EscapeLabel(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

}  // namespace

Metrics::Metrics() : started_at_ms_(SystemClock().NowMs()) {}

void Metrics::ObserveRequest(std::string_view route, std::string_view method, int status, double seconds) {
  std::lock_guard lock(mutex_);
  ++requests_[{std::string(route), std::string(method), status}];
  auto it = latency_.find(route);
  if (it == latency_.end()) {
    it = latency_.emplace(std::string(route), Histogram{}).first;
    it->second.buckets.assign(kLatencyBuckets.size(), 0);
  }
  Histogram& histogram = it->second;
  for (std::size_t i = 0; i < kLatencyBuckets.size(); ++i)
    if (seconds <= kLatencyBuckets[i]) ++histogram.buckets[i];
  ++histogram.count;
  histogram.sum += seconds;
}

void Metrics::AddCollector(Collector collector) {
  std::lock_guard lock(mutex_);
  collectors_.push_back(std::move(collector));
}

std::string Metrics::Render() const {
  std::ostringstream out;
  std::vector<Collector> collectors;
  {
    std::lock_guard lock(mutex_);
    out << "# HELP monotube_http_requests_total HTTP requests answered, by route pattern, method and status.\n"
        << "# TYPE monotube_http_requests_total counter\n";
    for (const auto& [key, count] : requests_) {
      const auto& [route, method, status] = key;
      out << "monotube_http_requests_total{route=\"" << EscapeLabel(route) << "\",method=\"" << EscapeLabel(method)
          << "\",status=\"" << status << "\"} " << count << "\n";
    }
    out << "# HELP monotube_http_request_duration_seconds Time from request head read to response written.\n"
        << "# TYPE monotube_http_request_duration_seconds histogram\n";
    for (const auto& [route, histogram] : latency_) {
      std::string label = EscapeLabel(route);
      for (std::size_t i = 0; i < kLatencyBuckets.size(); ++i)
        out << "monotube_http_request_duration_seconds_bucket{route=\"" << label << "\",le=\"" << kLatencyBuckets[i]
            << "\"} " << histogram.buckets[i] << "\n";
      out << "monotube_http_request_duration_seconds_bucket{route=\"" << label << "\",le=\"+Inf\"} "
          << histogram.count << "\n"
          << "monotube_http_request_duration_seconds_sum{route=\"" << label << "\"} " << histogram.sum << "\n"
          << "monotube_http_request_duration_seconds_count{route=\"" << label << "\"} " << histogram.count << "\n";
    }
    collectors = collectors_;
  }
  out << "# HELP monotube_http_requests_in_flight Requests being handled right now.\n"
      << "# TYPE monotube_http_requests_in_flight gauge\n"
      << "monotube_http_requests_in_flight " << in_flight_.load() << "\n"
      << "# HELP monotube_process_start_time_seconds Start time of the process since the Unix epoch.\n"
      << "# TYPE monotube_process_start_time_seconds gauge\n"
      << "monotube_process_start_time_seconds " << started_at_ms_ / 1000 << "\n";
  for (const auto& collector : collectors) out << collector();
  return out.str();
}

}  // namespace monotube
