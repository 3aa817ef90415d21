#include "infer/thread_pool.h"

#include <algorithm>

namespace tinyllm::infer {
namespace {

// How many times a waiting thread polls before it sleeps: some tens of microseconds.
constexpr int kSpins = 1 << 14;

template <class Ready>
bool spin_until(Ready ready) {
  for (int i = 0; i < kSpins; ++i)
    if (ready()) return true;
  return false;
}

}  // namespace

ThreadPool::ThreadPool(int threads) {
  if (threads <= 0) threads = int(std::max(1u, std::thread::hardware_concurrency()));
  for (int i = 1; i < threads; ++i)
    workers_.emplace_back([this, i] { work(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_.store(true);
  }
  start_.notify_all();
  for (auto& t : workers_)
    t.join();
}

void ThreadPool::run_part(int index) {
  const size_t parts = size_t(size());
  const size_t begin = count_ * size_t(index) / parts;
  const size_t end = count_ * size_t(index + 1) / parts;
  if (begin < end) (*job_)(begin, end);
}

void ThreadPool::parallel_for(size_t count, const std::function<void(size_t, size_t)>& fn) {
  if (workers_.empty() || count <= 1) {
    if (count > 0) fn(0, count);
    return;
  }
  job_ = &fn;
  count_ = count;
  pending_.store(int(workers_.size()));
  {
    // Under the lock, so that a worker about to sleep sees the new generation or the notify.
    std::lock_guard<std::mutex> lock(mutex_);
    generation_.fetch_add(1, std::memory_order_release);
  }
  start_.notify_all();
  run_part(0);
  auto all_done = [this] { return pending_.load(std::memory_order_acquire) == 0; };
  if (!spin_until(all_done)) {
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, all_done);
  }
}

void ThreadPool::work(int index) {
  uint64_t seen = 0;
  for (;;) {
    auto has_work = [&] {
      return stop_.load(std::memory_order_acquire) ||
             generation_.load(std::memory_order_acquire) != seen;
    };
    if (!spin_until(has_work)) {
      std::unique_lock<std::mutex> lock(mutex_);
      start_.wait(lock, has_work);
    }
    if (stop_.load()) return;
    seen = generation_.load(std::memory_order_acquire);
    run_part(index);
    if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      std::lock_guard<std::mutex> lock(mutex_);  // the caller checks under it before sleeping
      done_.notify_one();
    }
  }
}

}  // namespace tinyllm::infer
