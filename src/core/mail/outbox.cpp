#include "monotube/mail_outbox.hpp"

#include <spdlog/spdlog.h>

#include "monotube/errors.hpp"

namespace monotube {

MailOutbox::MailOutbox(std::unique_ptr<Mailer> mailer, std::size_t max_queued)
    : mailer_(std::move(mailer)), max_queued_(max_queued), thread_([this] { Loop(); }) {}

MailOutbox::~MailOutbox() { Stop(); }

void MailOutbox::Post(MailMessage message) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || queue_.size() >= max_queued_) {
      spdlog::warn("mail outbox {}; a mail to one recipient was dropped", stopping_ ? "is stopping" : "is full");
      return;
    }
    queue_.push_back(std::move(message));
  }
  wake_.notify_one();
}

void MailOutbox::Stop(std::chrono::milliseconds deadline) {
  {
    std::lock_guard lock(mutex_);
    if (!stopping_) {
      stopping_ = true;
      stop_deadline_ = std::chrono::steady_clock::now() + deadline;
    }
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void MailOutbox::Loop() {
  static constexpr std::chrono::seconds kRetryDelays[] = {std::chrono::seconds(2), std::chrono::seconds(10)};
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping and nothing left
    if (stopping_ && std::chrono::steady_clock::now() >= stop_deadline_) {
      spdlog::warn("{} queued mail(s) not sent: shutting down", queue_.size());
      return;
    }
    MailMessage message = std::move(queue_.front());
    queue_.pop_front();
    for (std::size_t attempt = 0;; ++attempt) {
      lock.unlock();
      bool sent = false;
      try {
        mailer_->Send(message);
        sent = true;
      } catch (const InvalidInput& e) {
        spdlog::error("a mail could not be composed and was dropped: {}", e.what());
        sent = true;  // retrying cannot help
      } catch (const std::exception& e) {
        spdlog::warn("sending a mail failed (attempt {}): {}", attempt + 1, e.what());
      }
      lock.lock();
      if (sent) break;
      if (attempt == std::size(kRetryDelays)) {
        spdlog::error("a mail was given up after {} attempts", attempt + 1);
        break;
      }
      // Wait before retrying, unless shutting down (then one quick last round at most).
      if (wake_.wait_for(lock, kRetryDelays[attempt], [this] { return stopping_; }) &&
          std::chrono::steady_clock::now() >= stop_deadline_)
        break;
    }
  }
}

}  // namespace monotube
