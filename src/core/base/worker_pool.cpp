#include "monotube/worker_pool.hpp"

namespace monotube {

WorkerPool::WorkerPool(unsigned threads, std::size_t max_queued)
    : threads_(threads == 0 ? 1 : threads), max_queued_(max_queued), pool_(threads_) {}

WorkerPool::~WorkerPool() { Stop(); }

void WorkerPool::Admit() {
  if (++pending_ > max_queued_ + threads_) {
    --pending_;
    throw Unavailable("overloaded", "The server is busy right now. Please try again in a moment.");
  }
}

void WorkerPool::Stop() { pool_.join(); }

}  // namespace monotube
