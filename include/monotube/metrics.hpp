#pragma once
// Prometheus metrics kept in memory, rendered in the text exposition format.
// Thread-safe.
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <atomic>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace monotube {

class Metrics {
 public:
  Metrics();

  void RequestStarted() noexcept { ++in_flight_; }
  void RequestFinished() noexcept { --in_flight_; }
  // route is the matched pattern (bounded set), never the raw path.
  void ObserveRequest(std::string_view route, std::string_view method, int status, double seconds);

  // Appends lines (complete "# HELP/# TYPE" blocks) at scrape time, e.g. job queue
  // depth read from the database. May block; Render() runs on the worker pool.
  using Collector = std::function<std::string()>;
  void AddCollector(Collector collector);

  std::string Render() const;

 private:
  struct Histogram {
    std::vector<std::uint64_t> buckets;
    std::uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mutex_;
  std::map<std::tuple<std::string, std::string, int>, std::uint64_t> requests_;
  std::map<std::string, Histogram, std::less<>> latency_;
  std::vector<Collector> collectors_;
  std::atomic<std::int64_t> in_flight_{0};
  std::int64_t started_at_ms_;
};

}  // namespace monotube
