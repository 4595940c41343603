#pragma once
// Time as Unix epoch milliseconds. Everything that asks "what time is it" takes a
// Clock so tests can move time instead of sleeping. Thread-safe.
#include <atomic>
#include <cstdint>
#include <string>

namespace monotube {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::int64_t NowMs() const = 0;
};

class SystemClock final : public Clock {
 public:
  std::int64_t NowMs() const override;
};

// A clock that only moves when told to.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(std::int64_t start_ms = 1'700'000'000'000) : now_ms_(start_ms) {}
  std::int64_t NowMs() const override { return now_ms_.load(); }
  void Advance(std::int64_t ms) { now_ms_ += ms; }
  void Set(std::int64_t ms) { now_ms_ = ms; }

 private:
  std::atomic<std::int64_t> now_ms_;
};

// "2026-11-22T10:15:30.123Z"
std::string FormatIso8601(std::int64_t epoch_ms);
// Accepts "YYYY-MM-DD", "YYYY-MM-DDTHH:MM:SS[.fff](Z|±HH:MM)"; returns false on anything else.
bool ParseIso8601(const std::string& text, std::int64_t& epoch_ms);

}  // namespace monotube
