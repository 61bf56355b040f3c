// thread_pool.hpp — a fixed-size thread pool and parallel_for.
//
// parallel_for(n, grain, f) cuts [0, n) into chunks [k*grain, (k+1)*grain)
// whose boundaries depend only on n and grain, never on the number of
// threads, and calls f(begin, end) once per chunk. Threads take chunks in
// any order. So any computation whose per-chunk result is deterministic gives
// the same answer with 1 thread or 64: reductions must combine per-chunk
// partials in chunk order, never in completion order.
//
// The calling thread works too. A parallel_for started from inside another
// one, or while another thread is using the same pool, runs its chunks
// serially on the calling thread (same chunks, same results) rather than
// waiting; this keeps nesting deadlock-free and lets several threads share a
// pool for inference.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "config.hpp"
#include "error.hpp"

#if defined(__linux__)
#include <sched.h>
#endif

namespace nnocr {

class ThreadPool {
 public:
  // `threads` is the total number of threads that work on a parallel_for,
  // the caller included (so 1 means no worker threads at all).
  explicit ThreadPool(int threads) : threads_(threads) {
    NNOCR_CHECK(threads >= 1 && threads <= 1024, "thread count must be in [1, 1024], got ", threads);
    workers_.reserve(static_cast<std::size_t>(threads - 1));
    for (int i = 1; i < threads; ++i) workers_.emplace_back([this] { worker_loop(); });
  }
  ~ThreadPool() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
      generation_.fetch_add(1, std::memory_order_release);
    }
    wake_.notify_all();
    for (auto& t : workers_) t.join();
  }
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return threads_; }

  // Calls f(begin, end) for each chunk of [0, n); see the file comment.
  // An exception thrown by f stops the handing out of further chunks and is
  // rethrown here once every running chunk has finished.
  template <class F>
  void parallel_for(index_t n, index_t grain, F&& f) {
    if (n <= 0) return;
    if (grain < 1) grain = 1;
    const index_t chunks = (n + grain - 1) / grain;
    auto run_serial = [&] {
      for (index_t c = 0; c < chunks; ++c) f(c * grain, std::min(n, (c + 1) * grain));
    };
    if (chunks == 1 || threads_ == 1 || inside_worker()) return run_serial();
    std::unique_lock<std::mutex> busy(run_mutex_, std::try_to_lock);
    if (!busy.owns_lock()) return run_serial();

    Job job;
    job.n = n;
    job.grain = grain;
    job.chunks = chunks;
    job.context = &f;
    job.call = [](void* ctx, index_t b, index_t e) { (*static_cast<std::remove_reference_t<F>*>(ctx))(b, e); };
    {
      std::lock_guard<std::mutex> lock(mutex_);
      job_ = &job;
      generation_.fetch_add(1, std::memory_order_release);
    }
    wake_.notify_all();
    inside_worker() = true;
    run_chunks(job);
    inside_worker() = false;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      finished_.wait(lock, [&] { return job.done.load() == job.chunks && active_ == 0; });
      // Workers that wake late find no job; none still holds &job, since
      // active_ == 0 was seen under the mutex they take to join a job.
      job_ = nullptr;
    }
    if (job.error) std::rethrow_exception(job.error);
  }

 private:
  struct Job {
    void (*call)(void*, index_t, index_t) = nullptr;
    void* context = nullptr;
    index_t n = 0, grain = 1, chunks = 0;
    std::atomic<index_t> next{0};
    std::atomic<index_t> done{0};
    std::exception_ptr error;
    std::mutex error_mutex;
  };

  static bool& inside_worker() {
    thread_local bool inside = false;
    return inside;
  }

  void run_chunks(Job& job) {
    for (;;) {
      index_t c = job.next.fetch_add(1, std::memory_order_relaxed);
      if (c >= job.chunks) break;
      try {
        job.call(job.context, c * job.grain, std::min(job.n, (c + 1) * job.grain));
      } catch (...) {
        {
          std::lock_guard<std::mutex> lock(job.error_mutex);
          if (!job.error) job.error = std::current_exception();
        }
        // Hand out no more chunks, and count the ones never started as done.
        const index_t unstarted = job.next.exchange(job.chunks, std::memory_order_relaxed);
        if (unstarted < job.chunks) finish_chunks(job, job.chunks - unstarted);
      }
      finish_chunks(job, 1);
    }
  }

  void finish_chunks(Job& job, index_t count) {
    if (job.done.fetch_add(count, std::memory_order_acq_rel) + count == job.chunks) {
      std::lock_guard<std::mutex> lock(mutex_);
      finished_.notify_all();
    }
  }

  void worker_loop() {
    inside_worker() = true;
    // Not generation_.load(): a thread that starts late must still see the
    // jobs (or the stop) posted since the pool was built at generation 0.
    std::uint64_t seen = 0;
    for (;;) {
      // Spin for up to kSpin before sleeping: parallel regions come in quick
      // succession (the blocks of one GEMM, the steps of an LSTM) and a
      // sleeping thread takes tens to hundreds of microseconds to wake (more
      // on a virtual machine), by which time the caller has done the work.
      const auto spin_start = std::chrono::steady_clock::now();
      for (int spin = 1; generation_.load(std::memory_order_acquire) == seen; ++spin) {
        cpu_relax();
        if (spin % 64 == 0 && std::chrono::steady_clock::now() - spin_start > kSpin) break;
      }
      Job* job = nullptr;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return generation_.load(std::memory_order_acquire) != seen; });
        seen = generation_.load(std::memory_order_acquire);
        if (stopping_) return;
        job = job_;
        if (job) ++active_;
      }
      if (!job) continue;
      run_chunks(*job);
      {
        std::lock_guard<std::mutex> lock(mutex_);
        --active_;
        finished_.notify_all();
      }
    }
  }

  static void cpu_relax() {
#if NNOCR_ARCH_X86_64
    __builtin_ia32_pause();
#elif NNOCR_ARCH_AARCH64
    asm volatile("yield");
#endif
  }

  static constexpr std::chrono::microseconds kSpin{300};

  int threads_;
  std::vector<std::thread> workers_;
  std::mutex mutex_;       // guards job_, active_, stopping_
  std::mutex run_mutex_;   // one parallel_for at a time on this pool
  std::condition_variable wake_, finished_;
  std::atomic<std::uint64_t> generation_{0};
  Job* job_ = nullptr;
  int active_ = 0;
  bool stopping_ = false;
};

// Cores this process may run on (the affinity mask on Linux).
inline int hardware_threads() {
#if defined(__linux__)
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
#endif
  unsigned n = std::thread::hardware_concurrency();
  return n ? static_cast<int>(n) : 1;
}

namespace detail {
// Parses a thread count; `where` names its source in the error message.
inline int parse_thread_count(const std::string& text, const char* where) {
  char* end = nullptr;
  long v = std::strtol(text.c_str(), &end, 10);
  NNOCR_CHECK(!text.empty() && end && *end == '\0' && v >= 1 && v <= 1024, where,
              ": thread count must be an integer in [1, 1024], got '", text, "'");
  return static_cast<int>(v);
}

struct DefaultPool {
  std::mutex mutex;
  std::unique_ptr<ThreadPool> pool;
};
inline DefaultPool& default_pool_holder() {
  static DefaultPool holder;
  return holder;
}
}  // namespace detail

// Threads the default pool starts with: NNOCR_THREADS if set, else every
// core this process may use.
inline int default_thread_count() {
  if (const char* env = std::getenv("NNOCR_THREADS"); env && *env)
    return detail::parse_thread_count(env, "NNOCR_THREADS");
  return hardware_threads();
}

// The pool that kernels use unless given another.
inline ThreadPool& default_pool() {
  auto& h = detail::default_pool_holder();
  std::lock_guard<std::mutex> lock(h.mutex);
  if (!h.pool) h.pool = std::make_unique<ThreadPool>(default_thread_count());
  return *h.pool;
}

// Replaces the default pool with one of n threads. Call it while no
// parallel work is running (at start-up, from the --threads flag).
inline void set_num_threads(int n) {
  auto& h = detail::default_pool_holder();
  std::lock_guard<std::mutex> lock(h.mutex);
  if (h.pool && h.pool->size() == n) return;
  h.pool.reset();
  h.pool = std::make_unique<ThreadPool>(n);
}

inline int num_threads() { return default_pool().size(); }

// parallel_for on the default pool.
template <class F>
void parallel_for(index_t n, index_t grain, F&& f) {
  default_pool().parallel_for(n, grain, std::forward<F>(f));
}

}  // namespace nnocr
