#pragma once
// Housekeeping that runs every so often on one background thread (pruning expired
// sessions, old rate-limit records, abandoned uploads). A task that throws is logged and
// runs again at its next turn. Add before Start; Start and Stop from one thread.
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace monotube {

class PeriodicTasks {
 public:
  PeriodicTasks() = default;
  ~PeriodicTasks();
  PeriodicTasks(const PeriodicTasks&) = delete;
  PeriodicTasks& operator=(const PeriodicTasks&) = delete;

  // fn first runs one interval after Start.
  void Add(std::string name, std::chrono::milliseconds interval, std::function<void()> fn);
  void Start();
  // Waits for a running task to finish; tasks do not run again.
  void Stop();

 private:
  struct Task {
    std::string name;
    std::chrono::milliseconds interval;
    std::function<void()> fn;
    std::chrono::steady_clock::time_point next_run;
  };
  void Loop();

  std::vector<Task> tasks_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace monotube
