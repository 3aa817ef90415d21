// A small fixed pool of worker threads owned by an inference session (no global pool): the
// calling thread takes part, so a pool of N threads starts N-1 workers. A generated token runs
// a few dozen short products, so workers and the caller spin a little before they sleep on a
// condition variable: waking a sleeping thread costs more than a small product.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace tinyllm::infer {

class ThreadPool {
 public:
  // `threads` <= 0: the machine's hardware concurrency.
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return int(workers_.size()) + 1; }
  // Runs fn(begin, end) over [0, count) split into size() contiguous parts, one per thread, and
  // returns when all are done. Not reentrant: one parallel_for at a time per pool.
  void parallel_for(size_t count, const std::function<void(size_t, size_t)>& fn);

 private:
  void work(int index);
  void run_part(int index);

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable start_, done_;
  // Written before generation_ is bumped (release), read after it is seen (acquire).
  const std::function<void(size_t, size_t)>* job_ = nullptr;
  size_t count_ = 0;
  std::atomic<uint64_t> generation_{0};  // bumped per job, so a worker runs each job once
  std::atomic<int> pending_{0};          // workers still busy with the current job
  std::atomic<bool> stop_{false};
};

}  // namespace tinyllm::infer
