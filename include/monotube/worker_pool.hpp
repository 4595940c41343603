#pragma once
// The bounded pool for blocking work (database, file IO, Xapian). Coroutines on the
// IO threads await Run(fn): fn runs on a pool thread and the coroutine resumes on its
// own executor with the result or the exception fn threw. Thread-safe.
#include <atomic>
#include <exception>
#include <functional>
#include <optional>
#include <type_traits>
#include <utility>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/executor_work_guard.hpp>

#include "monotube/errors.hpp"

namespace monotube {

class WorkerPool {
 public:
  // max_queued: tasks waiting beyond this are refused with Unavailable (503), so an
  // overloaded server sheds load instead of queueing without bound.
  WorkerPool(unsigned threads, std::size_t max_queued);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  unsigned threads() const noexcept { return threads_; }
  std::size_t pending() const noexcept { return pending_.load(); }

  template <class F>
  auto Run(F fn) -> boost::asio::awaitable<std::invoke_result_t<F&>> {
    using R = std::invoke_result_t<F&>;
    using Slot = std::conditional_t<std::is_void_v<R>, bool, std::optional<R>>;
    Admit();
    // GCC 12 miscompiles a lambda that move-captures a coroutine parameter inside a
    // co_await expression (the capture is destroyed twice). Keep the callable in a named
    // local of the coroutine frame, which outlives the suspension, and capture a reference.
    F task = std::move(fn);
    auto slot = co_await boost::asio::async_initiate<const boost::asio::use_awaitable_t<>&,
                                                     void(std::exception_ptr, Slot)>(
        [this, &task](auto handler) {
          auto work = boost::asio::make_work_guard(boost::asio::get_associated_executor(handler));
          boost::asio::post(pool_, [this, fn = std::move(task),
                                    handler = std::move(handler), work = std::move(work)]() mutable {
            std::exception_ptr error;
            Slot result{};
            try {
              if constexpr (std::is_void_v<R>) {
                fn();
                result = true;
              } else {
                result.emplace(fn());
              }
            } catch (...) {
              error = std::current_exception();
            }
            --pending_;
            auto executor = work.get_executor();
            boost::asio::post(executor, [handler = std::move(handler), error, result = std::move(result)]() mutable {
              std::move(handler)(error, std::move(result));
            });
          });
        },
        boost::asio::use_awaitable);
    if constexpr (!std::is_void_v<R>) co_return std::move(*slot);
  }

  // Waits for queued work to finish and joins the threads.
  void Stop();

 private:
  void Admit();

  unsigned threads_;
  std::size_t max_queued_;
  std::atomic<std::size_t> pending_{0};
  boost::asio::thread_pool pool_;
};

}  // namespace monotube
