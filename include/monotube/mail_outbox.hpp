#pragma once
// Sends mail in the background so a request never waits for (or reveals the timing of)
// the mail server: Post returns at once; one thread hands each message to the Mailer,
// retrying a failed send twice (after 2 s and 10 s) before logging it as lost. Stop
// sends what is queued within a deadline. Thread-safe.
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

#include "monotube/mail.hpp"

namespace monotube {

class MailOutbox {
 public:
  explicit MailOutbox(std::unique_ptr<Mailer> mailer, std::size_t max_queued = 1000);
  ~MailOutbox();
  MailOutbox(const MailOutbox&) = delete;
  MailOutbox& operator=(const MailOutbox&) = delete;

  // Queues the message; a full queue drops it with a warning (the site is under a flood).
  void Post(MailMessage message);
  // Stops taking messages, sends the queue until the deadline, then returns.
  void Stop(std::chrono::milliseconds deadline = std::chrono::seconds(10));

 private:
  void Loop();

  std::unique_ptr<Mailer> mailer_;
  std::size_t max_queued_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<MailMessage> queue_;
  bool stopping_ = false;
  std::chrono::steady_clock::time_point stop_deadline_;
  std::thread thread_;
};

}  // namespace monotube
