#include "test_util.hpp"

#include <nnocr/core/thread_pool.hpp>

#include <atomic>
#include <cmath>
#include <stdexcept>
#include <thread>
#include <vector>

using namespace nnocr;

TEST_CASE("parallel_for visits every index exactly once, in grain-sized chunks") {
  for (int threads : {1, 2, 3, 5}) {
    ThreadPool pool(threads);
    for (index_t n : {0, 1, 7, 100, 1001}) {
      for (index_t grain : {1, 3, 64}) {
        std::vector<std::atomic<int>> hits(static_cast<std::size_t>(n));
        std::atomic<int> bad_chunk{0};
        pool.parallel_for(n, grain, [&](index_t b, index_t e) {
          if (b % grain != 0 || (e != n && e - b != grain)) ++bad_chunk;
          for (index_t i = b; i < e; ++i) ++hits[static_cast<std::size_t>(i)];
        });
        CHECK(bad_chunk == 0);
        for (auto& h : hits) REQUIRE(h == 1);
      }
    }
  }
}

TEST_CASE("a chunked reduction gives bit-identical results for any thread count") {
  std::vector<float> x(100003);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = std::sin(static_cast<float>(i)) * 1e3f;
  auto reduce = [&](ThreadPool& pool) {
    const index_t grain = 1000, n = static_cast<index_t>(x.size());
    std::vector<float> partial(static_cast<std::size_t>((n + grain - 1) / grain));
    pool.parallel_for(n, grain, [&](index_t b, index_t e) {
      float s = 0;
      for (index_t i = b; i < e; ++i) s += x[static_cast<std::size_t>(i)];
      partial[static_cast<std::size_t>(b / grain)] = s;
    });
    float total = 0;
    for (float p : partial) total += p;
    return total;
  };
  ThreadPool p1(1), p2(2), p4(4);
  const float r1 = reduce(p1);
  CHECK(reduce(p2) == r1);
  CHECK(reduce(p4) == r1);
}

TEST_CASE("exceptions reach the caller; the pool stays usable") {
  ThreadPool pool(3);
  CHECK_THROWS_AS(pool.parallel_for(100, 1,
                                    [](index_t b, index_t) {
                                      if (b == 37) throw std::runtime_error("chunk 37");
                                    }),
                  std::runtime_error);
  std::atomic<int> count{0};
  pool.parallel_for(10, 1, [&](index_t, index_t) { ++count; });
  CHECK(count == 10);
}

TEST_CASE("nested and concurrent parallel_for complete without deadlock") {
  ThreadPool pool(2);
  std::atomic<int> inner{0};
  pool.parallel_for(8, 1, [&](index_t, index_t) {
    pool.parallel_for(8, 1, [&](index_t, index_t) { ++inner; });
  });
  CHECK(inner == 64);

  std::atomic<long> total{0};
  std::vector<std::thread> users;
  for (int t = 0; t < 4; ++t)
    users.emplace_back([&] {
      for (int rep = 0; rep < 50; ++rep)
        pool.parallel_for(100, 10, [&](index_t b, index_t e) { total += e - b; });
    });
  for (auto& u : users) u.join();
  CHECK(total == 4 * 50 * 100);
}

TEST_CASE("thread counts: validation and the default pool") {
  CHECK_THROWS_AS(ThreadPool(0), Error);
  CHECK(detail::parse_thread_count("4", "test") == 4);
  CHECK_THROWS_AS(detail::parse_thread_count("four", "test"), Error);
  CHECK_THROWS_AS(detail::parse_thread_count("0", "test"), Error);
  CHECK_THROWS_AS(detail::parse_thread_count("3x", "test"), Error);
  const int before = num_threads();
  set_num_threads(3);
  CHECK(num_threads() == 3);
  set_num_threads(before);
  CHECK(hardware_threads() >= 1);
}
