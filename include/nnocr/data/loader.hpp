// loader.hpp — PrefetchLoader: makes batches on its own threads ahead of
// the training loop, hands them out in order.
//
//   PrefetchLoader<LineBatch> loader([&](std::int64_t i) { return make_batch(i); },
//                                    {/*workers=*/2, /*prefetch=*/4, /*start=*/resume_step});
//   for (;;) train_step(loader.next());
//
// Batch i is always make(i), whichever worker ran it, and next() returns
// them in index order: a run is reproducible when make(i) depends only on i
// (seed the randomness of batch i from i, e.g. Rng(seed, i)). make() must
// be safe to call from several threads at once for different indices.
//
// The workers are plain std::threads, not the global compute pool, so
// loading overlaps the training step's compute. At most `prefetch` batches
// are made ahead of the consumer (in progress or done), which bounds memory.
// An exception thrown by make(i) is caught on the worker and rethrown by
// the next() that would have returned batch i; the loader then goes on with
// batch i + 1. The destructor stops the workers: it waits only for the
// make() calls already running, never for the consumer.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "../core/error.hpp"

namespace nnocr::data {

struct LoaderOptions {
  // Threads that run make(); 0 runs make() inside next() on the caller's
  // thread (no threads, for debugging).
  int workers = 2;
  // Batches made ahead of the consumer, at least 1.
  int prefetch = 4;
  // The index of the first batch next() returns (resume from a checkpoint).
  std::int64_t start = 0;
  // One past the last index; -1 for an endless stream.
  std::int64_t end = -1;
};

template <class Batch>
class PrefetchLoader {
 public:
  using MakeFn = std::function<Batch(std::int64_t batch_index)>;

  PrefetchLoader(MakeFn make, const LoaderOptions& options = {})
      : make_(std::move(make)), options_(options), next_(options.start), claimed_(options.start) {
    NNOCR_CHECK(make_ != nullptr, "PrefetchLoader: no make function");
    NNOCR_CHECK(options.workers >= 0 && options.workers <= 256, "PrefetchLoader: workers must be in [0, 256], got ",
                options.workers);
    NNOCR_CHECK(options.prefetch >= 1, "PrefetchLoader: prefetch must be >= 1, got ", options.prefetch);
    NNOCR_CHECK(options.start >= 0, "PrefetchLoader: start must be >= 0, got ", options.start);
    NNOCR_CHECK(options.end == -1 || options.end >= options.start, "PrefetchLoader: end ", options.end,
                " is before start ", options.start);
    try {
      for (int i = 0; i < options.workers; ++i) workers_.emplace_back([this] { worker_loop(); });
    } catch (...) {
      stop_and_join();
      throw;
    }
  }

  PrefetchLoader(const PrefetchLoader&) = delete;
  PrefetchLoader& operator=(const PrefetchLoader&) = delete;

  ~PrefetchLoader() { stop_and_join(); }

  // Whether next() has a batch to return (always true for endless streams).
  bool has_next() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return options_.end < 0 || next_ < options_.end;
  }

  // The index of the batch the next call to next() returns.
  std::int64_t next_index() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return next_;
  }

  // Batch next_index(), waiting for it if it is not ready; rethrows what
  // make() threw for it. Throws nnocr::Error past the end.
  Batch next() {
    std::unique_lock<std::mutex> lock(mutex_);
    NNOCR_CHECK(options_.end < 0 || next_ < options_.end, "PrefetchLoader: no batch after index ", next_ - 1,
                " (end is ", options_.end, ")");
    const std::int64_t index = next_;
    if (options_.workers == 0) {
      // Synchronous mode: no other thread touches the state.
      ++next_;
      lock.unlock();
      return make_(index);
    }
    auto it = ready_.find(index);
    if (it == ready_.end()) {
      const auto wait_start = std::chrono::steady_clock::now();
      consumer_cv_.wait(lock, [&] { return (it = ready_.find(index)) != ready_.end(); });
      waited_ += std::chrono::steady_clock::now() - wait_start;
    }
    Slot slot = std::move(it->second);
    ready_.erase(it);
    ++next_;
    lock.unlock();
    worker_cv_.notify_all();  // the window moved: room for one more batch
    if (slot.error) std::rethrow_exception(slot.error);
    return std::move(*slot.batch);
  }

  // Total time next() spent waiting for workers: near zero when loading
  // keeps up with training.
  double waited_seconds() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return std::chrono::duration<double>(waited_).count();
  }

 private:
  struct Slot {
    std::optional<Batch> batch;
    std::exception_ptr error;
  };

  void worker_loop() {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      // Claim the lowest index not yet claimed, once it is inside the window.
      worker_cv_.wait(lock, [&] {
        return stop_ || (claimed_ < next_ + options_.prefetch && (options_.end < 0 || claimed_ < options_.end));
      });
      if (stop_) return;
      const std::int64_t index = claimed_++;
      lock.unlock();
      Slot slot;
      try {
        slot.batch.emplace(make_(index));
      } catch (...) {
        slot.error = std::current_exception();
      }
      lock.lock();
      ready_.emplace(index, std::move(slot));
      if (index == next_) consumer_cv_.notify_one();
    }
  }

  void stop_and_join() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    worker_cv_.notify_all();
    for (std::thread& t : workers_)
      if (t.joinable()) t.join();
    workers_.clear();
  }

  MakeFn make_;
  const LoaderOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable worker_cv_, consumer_cv_;
  std::map<std::int64_t, Slot> ready_;  // made, not yet taken
  std::int64_t next_;                   // the consumer's next index
  std::int64_t claimed_;                // the lowest index no worker has taken
  bool stop_ = false;
  std::chrono::steady_clock::duration waited_{};
  std::vector<std::thread> workers_;
};

}  // namespace nnocr::data
