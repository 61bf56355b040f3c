#include "test_util.hpp"

#include <nnocr/core/rng.hpp>
#include <nnocr/data/loader.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace nnocr;
using namespace nnocr::data;

namespace {

// A batch whose content depends only on its index, made slowly and with
// uneven delays so that workers finish out of order.
std::vector<std::uint32_t> slow_batch(std::int64_t index) {
  Rng rng(1234, static_cast<std::uint64_t>(index));
  std::this_thread::sleep_for(std::chrono::microseconds(rng.uniform_index(2000)));
  std::vector<std::uint32_t> v(16);
  for (auto& x : v) x = rng.next_u32();
  return v;
}

LoaderOptions opts(int workers, int prefetch, std::int64_t start = 0, std::int64_t end = -1) {
  LoaderOptions o;
  o.workers = workers;
  o.prefetch = prefetch;
  o.start = start;
  o.end = end;
  return o;
}

}  // namespace

TEST_CASE("loader: batches come in index order, each made by make(index), whatever the worker count") {
  std::vector<std::vector<std::uint32_t>> expected;
  for (int i = 0; i < 60; ++i) expected.push_back(slow_batch(i));
  for (int workers : {0, 1, 2, 5}) {
    for (int prefetch : {1, 3, 8}) {
      CAPTURE(workers);
      CAPTURE(prefetch);
      PrefetchLoader<std::vector<std::uint32_t>> loader(slow_batch, opts(workers, prefetch));
      bool same = true;
      for (int i = 0; i < 60; ++i) {
        CHECK(loader.next_index() == i);
        same = same && loader.next() == expected[static_cast<std::size_t>(i)];
      }
      CHECK(same);
    }
  }
}

TEST_CASE("loader: never more than `prefetch` batches ahead of the consumer") {
  // `started` counts next() calls begun, never fewer than the loader has
  // taken, so `ahead` never overestimates how far the workers are ahead.
  std::atomic<std::int64_t> started{0}, worst{0};
  auto make = [&](std::int64_t i) {
    const std::int64_t ahead = i - started.load() + 1;
    std::int64_t w = worst.load();
    while (ahead > w && !worst.compare_exchange_weak(w, ahead)) {
    }
    return i;
  };
  PrefetchLoader<std::int64_t> loader(make, opts(4, 3));
  for (int i = 0; i < 200; ++i) {
    started.store(i + 1);
    CHECK(loader.next() == i);
    if (i % 20 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));  // let workers race ahead
  }
  CHECK(worst.load() <= 3);
  CHECK(worst.load() >= 2);
}

TEST_CASE("loader: an exception from make(i) is rethrown by the next() for batch i, then loading goes on") {
  auto make = [](std::int64_t i) -> std::string {
    if (i == 3) throw std::runtime_error("cannot render batch 3");
    if (i == 5) throw Error("bad font in batch 5");
    return "batch " + std::to_string(i);
  };
  for (int workers : {0, 3}) {
    CAPTURE(workers);
    PrefetchLoader<std::string> loader(make, opts(workers, 4));
    CHECK(loader.next() == "batch 0");
    CHECK(loader.next() == "batch 1");
    CHECK(loader.next() == "batch 2");
    CHECK_THROWS_WITH_AS(loader.next(), "cannot render batch 3", std::runtime_error);
    CHECK(loader.next() == "batch 4");
    CHECK_THROWS_WITH_AS(loader.next(), "bad font in batch 5", Error);
    CHECK(loader.next() == "batch 6");
  }
}

TEST_CASE("loader: start and end indices (resume, finite epochs)") {
  PrefetchLoader<std::int64_t> loader([](std::int64_t i) { return i * 10; }, opts(2, 2, 1000, 1003));
  CHECK(loader.next_index() == 1000);
  CHECK(loader.has_next());
  CHECK(loader.next() == 10000);
  CHECK(loader.next() == 10010);
  CHECK(loader.next() == 10020);
  CHECK_FALSE(loader.has_next());
  CHECK_THROWS_WITH_AS(loader.next(), doctest::Contains("no batch after index 1002 (end is 1003)"), Error);
  PrefetchLoader<std::int64_t> empty([](std::int64_t i) { return i; }, opts(2, 2, 5, 5));
  CHECK_FALSE(empty.has_next());

  auto id = [](std::int64_t i) { return i; };
  CHECK_THROWS_AS(PrefetchLoader<std::int64_t>(id, opts(-1, 2)), Error);
  CHECK_THROWS_AS(PrefetchLoader<std::int64_t>(id, opts(1, 0)), Error);
  CHECK_THROWS_AS(PrefetchLoader<std::int64_t>(id, opts(1, 1, -4)), Error);
  CHECK_THROWS_AS(PrefetchLoader<std::int64_t>(id, opts(1, 1, 5, 4)), Error);
  CHECK_THROWS_AS(PrefetchLoader<std::int64_t>(nullptr, opts(1, 1)), Error);
}

TEST_CASE("loader: destroying it early does not hang, even while workers are busy or blocked") {
  // Consumer stops after two batches; workers are mid-make or waiting for room.
  std::atomic<int> made{0};
  {
    PrefetchLoader<std::unique_ptr<int>> loader(
        [&](std::int64_t i) {
          std::this_thread::sleep_for(std::chrono::milliseconds(5));
          ++made;
          return std::make_unique<int>(static_cast<int>(i));  // move-only batches work
        },
        opts(3, 4));
    CHECK(*loader.next() == 0);
    CHECK(*loader.next() == 1);
  }
  CHECK(made.load() <= 2 + 4 + 1);
  // Never consumed at all.
  { PrefetchLoader<int> loader([](std::int64_t) { return 1; }, opts(4, 2)); }
  // Destroyed with failed batches still queued.
  {
    PrefetchLoader<int> loader([](std::int64_t) -> int { throw std::runtime_error("x"); }, opts(2, 8));
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const auto start = std::chrono::steady_clock::now();
  {
    PrefetchLoader<int> loader(
        [](std::int64_t i) {
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
          return static_cast<int>(i);
        },
        opts(2, 100));
  }
  // Only the make() calls already running are waited for.
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(2));
}

TEST_CASE("loader: waited_seconds counts the consumer's waiting") {
  PrefetchLoader<int> slow(
      [](std::int64_t i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        return static_cast<int>(i);
      },
      opts(1, 1));
  for (int i = 0; i < 5; ++i) CHECK(slow.next() == i);
  CHECK(slow.waited_seconds() > 0.02);
  PrefetchLoader<int> sync([](std::int64_t i) { return static_cast<int>(i); }, opts(0, 1));
  CHECK(sync.next() == 0);
  CHECK(sync.waited_seconds() == 0.0);
}
