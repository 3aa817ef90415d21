#include "infer/thread_pool.h"

#include <algorithm>

namespace tinyllm::infer {

ThreadPool::ThreadPool(int threads) {
  if (threads <= 0) threads = int(std::max(1u, std::thread::hardware_concurrency()));
  for (int i = 1; i < threads; ++i)
    workers_.emplace_back([this, i] { work(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
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
  {
    std::lock_guard<std::mutex> lock(mutex_);
    job_ = &fn;
    count_ = count;
    pending_ = int(workers_.size());
    ++generation_;
  }
  start_.notify_all();
  run_part(0);
  std::unique_lock<std::mutex> lock(mutex_);
  done_.wait(lock, [this] { return pending_ == 0; });
  job_ = nullptr;
}

void ThreadPool::work(int index) {
  uint64_t seen = 0;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      start_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
    }
    run_part(index);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (--pending_ == 0) done_.notify_one();
    }
  }
}

}  // namespace tinyllm::infer
