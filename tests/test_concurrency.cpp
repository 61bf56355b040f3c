// test_concurrency.cpp — one shared model used from several threads at
// once, and training that is a function of its seed and thread count.
//
// Part of nnocr_tests, and also built alone as nnocr_concurrency_tests,
// which .ci/run builds with ThreadSanitizer (NNOCR_SANITIZE=thread): a data
// race in the thread pool, the shared model or the loader is then a report
// and a failure even when the outputs happen to agree.
#include <doctest/doctest.h>

#include <nnocr/nnocr.hpp>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "test_util.hpp"

// Everything in a namespace of its own: the pipeline-level test files are
// compiled as one unit (tests/CMakeLists.txt, NNOCR_UNITY_TESTS), and their
// helpers and using-directives must not meet.
namespace nnocr_test_concurrency {

namespace {

using namespace nnocr;
using pipeline::LineResult;

const std::string kSource = NNOCR_SOURCE_DIR;

// Sets the default pool to n threads for one scope (tests share a process).
struct PoolSize {
  int before;
  explicit PoolSize(int n) : before(num_threads()) { set_num_threads(n); }
  ~PoolSize() { set_num_threads(before); }
  PoolSize(const PoolSize&) = delete;
  PoolSize& operator=(const PoolSize&) = delete;
};

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void check_same(const LineResult& a, const LineResult& b) {
  CHECK(a.text == b.text);
  CHECK(a.confidence == b.confidence);  // the same arithmetic: equal, not close
  CHECK(a.box.x == b.box.x);
  CHECK(a.box.y == b.box.y);
  CHECK(a.box.width == b.box.width);
  CHECK(a.box.height == b.box.height);
  REQUIRE(a.words.size() == b.words.size());
  for (std::size_t w = 0; w < a.words.size(); ++w) {
    CHECK(a.words[w].text == b.words[w].text);
    CHECK(a.words[w].confidence == b.words[w].confidence);
  }
}

}  // namespace

TEST_CASE("concurrency: one Recognizer shared by four threads reads what one thread reads") {
  // The pool has two threads; the four callers' parallel_for calls meet in
  // it (the one that finds it busy runs its chunks itself).
  PoolSize pool(2);
  const pipeline::Recognizer ocr(kSource + "/data/models/crnn-en.safetensors");
  std::vector<image::Image> lines;
  for (int i = 0; i < 4; ++i)
    lines.push_back(image::read_image(kSource + "/data/samples/line_" + std::to_string(i) + ".png"));
  const image::Image page = image::read_image(kSource + "/data/samples/page.png");

  const std::vector<LineResult> want_lines = ocr.read_lines(lines);
  const pipeline::PageResult want_page = ocr.read_page(page);
  REQUIRE(want_page.lines.size() >= 5);  // the sample page is a real page

  constexpr int kThreads = 4;
  std::vector<std::vector<LineResult>> got_lines(kThreads);
  std::vector<pipeline::PageResult> got_pages(kThreads);
  std::atomic<int> ready{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      ++ready;
      while (ready.load() < kThreads) std::this_thread::yield();  // start together
      // Half the threads read the page first, half the lines first.
      if (t % 2 == 0) got_pages[static_cast<std::size_t>(t)] = ocr.read_page(page);
      got_lines[static_cast<std::size_t>(t)] = ocr.read_lines(lines);
      if (t % 2 == 1) got_pages[static_cast<std::size_t>(t)] = ocr.read_page(page);
    });
  for (auto& th : threads) th.join();

  for (int t = 0; t < kThreads; ++t) {
    CAPTURE(t);
    REQUIRE(got_lines[static_cast<std::size_t>(t)].size() == want_lines.size());
    for (std::size_t i = 0; i < want_lines.size(); ++i) check_same(got_lines[static_cast<std::size_t>(t)][i], want_lines[i]);
    REQUIRE(got_pages[static_cast<std::size_t>(t)].lines.size() == want_page.lines.size());
    for (std::size_t i = 0; i < want_page.lines.size(); ++i)
      check_same(got_pages[static_cast<std::size_t>(t)].lines[i], want_page.lines[i]);
  }
}

TEST_CASE("concurrency: parallel_for from several threads at once covers each range exactly once") {
  PoolSize pool(3);
  constexpr int kCallers = 4;
  constexpr index_t kN = 10000;
  std::vector<std::vector<int>> hits(kCallers, std::vector<int>(static_cast<std::size_t>(kN), 0));
  std::vector<double> sums(kCallers, 0.0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kCallers; ++t)
    threads.emplace_back([&, t] {
      for (int round = 0; round < 20; ++round) {
        std::vector<double> partial(64, 0.0);
        parallel_for(kN, 157, [&](index_t b, index_t e) {
          double s = 0;
          for (index_t i = b; i < e; ++i) {
            ++hits[static_cast<std::size_t>(t)][static_cast<std::size_t>(i)];
            s += static_cast<double>(i);
          }
          partial[static_cast<std::size_t>(b / 157)] = s;  // one slot per chunk
        });
        double total = 0;
        for (double p : partial) total += p;
        sums[static_cast<std::size_t>(t)] = total;
      }
    });
  for (auto& th : threads) th.join();
  for (int t = 0; t < kCallers; ++t) {
    CAPTURE(t);
    CHECK(sums[static_cast<std::size_t>(t)] == static_cast<double>(kN) * (kN - 1) / 2);
    for (index_t i = 0; i < kN; ++i) REQUIRE(hits[static_cast<std::size_t>(t)][static_cast<std::size_t>(i)] == 20);
  }
}

namespace {

// Trains a tiny CRNN on the sample ground-truth folder for a few steps with
// `threads` pool threads and two loader workers; returns the model file's
// bytes.
std::string train_tiny(const test::TempDir& dir, const std::string& name, int threads, std::uint64_t seed) {
  PoolSize pool(threads);
  pipeline::CrnnTrainConfig c;
  c.set_architecture(io::parse_json(
      R"({"type":"crnn","height":16,"stages":[{"channels":4,"convs":1,"pool_h":2,"pool_w":2},)"
      R"({"channels":8,"convs":1,"pool_h":2,"pool_w":2}],"hidden":16,"layers":1,"dropout":0.2,"classes":2})"));  // classes: set from the charset
  // The four sample lines as a ground-truth folder of their own.
  const std::string gt = dir.file("gt");
  if (!std::filesystem::exists(gt)) {
    std::filesystem::create_directory(gt);
    for (int i = 0; i < 4; ++i)
      for (const char* ext : {".png", ".gt.txt"}) {
        const std::string f = "line_" + std::to_string(i) + ext;
        std::filesystem::copy_file(kSource + "/data/samples/" + f, gt + "/" + f);
      }
  }
  c.data_dir = gt;
  c.validation_lines = 0;
  c.batch = 2;
  c.pool = 2;
  c.steps = 6;
  c.warmup = 2;
  c.eval_every = 1000000;
  c.checkpoint_every = 1000000;
  c.output = dir.file(name);
  c.seed = seed;
  c.loader_workers = 2;
  c.progress = false;
  const pipeline::CrnnTrainResult r = pipeline::train_crnn(c);
  CHECK(r.steps_done == 6);
  return file_bytes(c.output);
}

}  // namespace

TEST_CASE("determinism: training with the same seed and thread count gives bit-identical weights") {
  test::TempDir dir;
  const std::string a = train_tiny(dir, "a.safetensors", 2, 5);
  const std::string b = train_tiny(dir, "b.safetensors", 2, 5);
  REQUIRE(!a.empty());
  CHECK(a == b);
  // The pool's results do not depend on its size either.
  CHECK(train_tiny(dir, "one.safetensors", 1, 5) == a);
  // The test can fail: another seed gives other weights.
  CHECK(train_tiny(dir, "other.safetensors", 2, 6) != a);
}

}  // namespace nnocr_test_concurrency
