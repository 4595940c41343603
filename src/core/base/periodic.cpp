#include "monotube/periodic.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

namespace monotube {

PeriodicTasks::~PeriodicTasks() { Stop(); }

void PeriodicTasks::Add(std::string name, std::chrono::milliseconds interval, std::function<void()> fn) {
  tasks_.push_back({std::move(name), interval, std::move(fn), {}});
}

void PeriodicTasks::Start() {
  if (tasks_.empty() || thread_.joinable()) return;
  auto now = std::chrono::steady_clock::now();
  for (auto& task : tasks_) task.next_run = now + task.interval;
  thread_ = std::thread([this] { Loop(); });
}

void PeriodicTasks::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void PeriodicTasks::Loop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    auto next = std::min_element(tasks_.begin(), tasks_.end(),
                                 [](const Task& a, const Task& b) { return a.next_run < b.next_run; });
    if (wake_.wait_until(lock, next->next_run, [this] { return stopping_; })) break;
    if (std::chrono::steady_clock::now() < next->next_run) continue;
    lock.unlock();
    try {
      next->fn();
    } catch (const std::exception& e) {
      spdlog::warn("periodic task {} failed: {}", next->name, e.what());
    }
    lock.lock();
    next->next_run = std::chrono::steady_clock::now() + next->interval;
  }
}

}  // namespace monotube
