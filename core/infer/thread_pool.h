// A small fixed pool of worker threads owned by an inference session (no global pool): the
// calling thread takes part, so a pool of N threads starts N-1 workers.
#pragma once

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
  const std::function<void(size_t, size_t)>* job_ = nullptr;
  size_t count_ = 0;
  uint64_t generation_ = 0;  // bumped per job, so a worker runs each job once
  int pending_ = 0;          // workers still busy with the current job
  bool stop_ = false;
};

}  // namespace tinyllm::infer
