#include "test_util.hpp"

#include <nnocr/core/rng.hpp>
#include <nnocr/data/batch.hpp>

#include <algorithm>
#include <numeric>
#include <string>
#include <vector>

using namespace nnocr;
using namespace nnocr::data;

namespace {

// A white line of the given size with one black column at x = ink_x.
image::Image line(int width, int height, int ink_x = 0) {
  image::Image img(width, height, 1, 255);
  for (int y = 0; y < height; ++y) img.at(ink_x, y) = 0;
  return img;
}

Charset letters() { return Charset::from_characters("abcdefgh "); }

// Sum of padded pixels (per row) of a bucketing: batch width minus line
// widths.
index_t padding(const std::vector<std::vector<index_t>>& batches, const std::vector<index_t>& widths) {
  index_t pad = 0;
  for (const auto& b : batches) {
    index_t widest = 0;
    for (index_t i : b) widest = std::max(widest, widths[static_cast<std::size_t>(i)]);
    for (index_t i : b) pad += widest - widths[static_cast<std::size_t>(i)];
  }
  return pad;
}

}  // namespace

TEST_CASE("batch: shapes, widths, ink values and zero padding") {
  std::vector<LineSample> samples = {{line(40, 16, 3), "abc"}, {line(10, 32, 9), "h"}, {line(64, 32, 63), "ba d"}};
  samples[1].image.at(0, 0) = 51;  // one gray pixel
  const LineBatch b = make_line_batch(samples, letters());
  REQUIRE(b.size() == 3);
  CHECK(b.widths == std::vector<index_t>{80, 10, 64});
  CHECK(b.images.shape() == Shape{3, 1, 32, 80});
  // Ink is 1, paper 0, gray 51 -> 204 / 255.
  CHECK(b.images(1, 0, 5, 9) == 1.0f);
  CHECK(b.images(1, 0, 5, 8) == 0.0f);
  CHECK(b.images(1, 0, 0, 0) == doctest::Approx(204.0 / 255.0));
  CHECK(b.images(2, 0, 31, 63) == 1.0f);
  // Upscaled 2x: the column at x = 3 covers x = 6..7 with some ink.
  CHECK(b.images(0, 0, 10, 7) > 0.4f);
  // Everything right of each line's width is exactly 0.
  for (index_t n = 0; n < 3; ++n)
    for (index_t y = 0; y < 32; ++y)
      for (index_t x = b.widths[static_cast<std::size_t>(n)]; x < 80; ++x)
        if (b.images(n, 0, y, x) != 0.0f) FAIL_CHECK("padding not zero at ", n, " ", y, " ", x);
  CHECK(b.texts == std::vector<std::string>{"abc", "h", "ba d"});
  CHECK(b.skipped_characters == 0);
}

TEST_CASE("batch: targets are the labels of all lines concatenated") {
  const Charset cs = letters();
  const std::vector<LineSample> samples = {{line(8, 32), "abc"}, {line(8, 32), ""}, {line(8, 32), "hg"}};
  const LineBatch b = make_line_batch(samples, cs);
  CHECK(b.target_lengths == std::vector<index_t>{3, 0, 2});
  REQUIRE(b.targets.shape() == Shape{5});
  CHECK(std::vector<std::int32_t>(b.targets.begin(), b.targets.end()) == std::vector<std::int32_t>{1, 2, 3, 8, 7});
  index_t offset = 0;
  for (std::size_t i = 0; i < samples.size(); ++i) {
    std::vector<std::int32_t> ids(b.targets.data() + offset, b.targets.data() + offset + b.target_lengths[i]);
    CHECK(cs.decode(ids) == samples[i].text);
    offset += b.target_lengths[i];
  }
  const LineBatch empty_texts = make_line_batch({{line(8, 32), ""}}, cs);
  CHECK(empty_texts.targets.shape() == Shape{0});
}

TEST_CASE("batch: padded width rounds up to the multiple; color lines become gray") {
  BatchOptions options;
  options.height = 16;
  image::Image rgb(13, 16, 3, 255);
  rgb.at(2, 2, 0) = 0, rgb.at(2, 2, 1) = 0, rgb.at(2, 2, 2) = 0;
  const LineBatch b = make_line_batch({{rgb, "a"}}, letters(), options);
  CHECK(b.images.shape() == Shape{1, 1, 16, 16});
  CHECK(b.widths[0] == 13);
  CHECK(b.images(0, 0, 2, 2) == 1.0f);
  options.width_multiple = 1;
  CHECK(make_line_batch({{rgb, "a"}}, letters(), options).images.shape() == Shape{1, 1, 16, 13});
  options.width_multiple = 8;
  CHECK(make_line_batch({{line(17, 16), "a"}}, letters(), options).images.shape() == Shape{1, 1, 16, 24});
}

TEST_CASE("batch: lines over max_width are squeezed or refused") {
  BatchOptions options;
  options.max_width = 100;
  const std::vector<LineSample> samples = {{line(400, 32, 399), "abc"}, {line(50, 64), "d"}};
  const LineBatch b = make_line_batch(samples, letters(), options);
  CHECK(b.widths == std::vector<index_t>{100, 25});
  CHECK(b.images.shape() == Shape{2, 1, 32, 100});
  CHECK(b.images(0, 0, 16, 99) > 0.2f);  // the last column's ink is still there
  options.too_wide = TooWide::error;
  CHECK_THROWS_WITH_AS(make_line_batch(samples, letters(), options),
                       doctest::Contains("sample 0 is 400 pixels wide at height 32, over max_width 100 (text \"abc\")"),
                       Error);
  options.max_width = 0;  // no limit
  CHECK(make_line_batch(samples, letters(), options).widths[0] == 400);
}

TEST_CASE("batch: unknown characters and bad input are errors naming the sample") {
  const std::vector<LineSample> samples = {{line(8, 32), "abc"}, {line(8, 32), "a\xE2\x82\xAC" "b"}};
  CHECK_THROWS_WITH_AS(make_line_batch(samples, letters()),
                       doctest::Contains("sample 1: charset: unknown character U+20AC"), Error);
  BatchOptions skip;
  skip.unknown = UnknownPolicy::skip;
  const LineBatch b = make_line_batch(samples, letters(), skip);
  CHECK(b.skipped_characters == 1);
  CHECK(b.target_lengths == std::vector<index_t>{3, 2});
  CHECK(b.texts[1] == "a\xE2\x82\xAC" "b");  // the text as given

  CHECK_THROWS_WITH_AS(make_line_batch({}, letters()), doctest::Contains("no samples"), Error);
  CHECK_THROWS_WITH_AS(make_line_batch({{image::Image(), "a"}}, letters()),
                       doctest::Contains("sample 0 has an empty image"), Error);
  BatchOptions bad;
  bad.width_multiple = 0;
  CHECK_THROWS_AS(make_line_batch(samples, letters(), bad), Error);
  bad = BatchOptions();
  bad.height = 0;
  CHECK_THROWS_AS(make_line_batch(samples, letters(), bad), Error);
}

TEST_CASE("batch: scaled_width matches resize_to_height") {
  for (int w : {1, 3, 17, 100, 1000})
    for (int h : {1, 7, 32, 48, 200}) {
      CAPTURE(w);
      CAPTURE(h);
      CHECK(scaled_width(w, h, 32) == image::resize_to_height(image::Image(w, h, 1), 32).width());
    }
  CHECK_THROWS_AS(scaled_width(0, 5, 32), Error);
}

TEST_CASE("bucket_by_width: every index once, deterministic per seed, less padding than random batches") {
  Rng widths_rng(1);
  std::vector<index_t> widths(1000);
  for (auto& w : widths) w = 20 + static_cast<index_t>(widths_rng.uniform_index(500));
  BucketOptions options;
  options.batch_size = 32;
  options.pool_batches = 8;

  Rng a(42), b(42), c(43);
  const auto batches = bucket_by_width(widths, options, &a);
  CHECK(batches == bucket_by_width(widths, options, &b));
  CHECK(batches != bucket_by_width(widths, options, &c));
  std::vector<index_t> seen;
  for (const auto& batch : batches) seen.insert(seen.end(), batch.begin(), batch.end());
  std::sort(seen.begin(), seen.end());
  std::vector<index_t> all(widths.size());
  std::iota(all.begin(), all.end(), index_t{0});
  CHECK(seen == all);
  CHECK(batches.size() == 32);  // 31 full + 1 of 8
  CHECK(std::count_if(batches.begin(), batches.end(), [](const auto& v) { return v.size() != 32; }) == 1);

  BucketOptions random = options;
  random.pool_batches = 1;
  Rng d(42);
  const index_t pad_bucketed = padding(batches, widths), pad_random = padding(bucket_by_width(widths, random, &d), widths);
  CHECK(pad_bucketed * 4 < pad_random);

  // Without an rng: sorted by width, the least padding.
  const auto sorted = bucket_by_width(widths, options);
  CHECK(padding(sorted, widths) <= pad_bucketed);
  for (std::size_t i = 1; i < sorted.size(); ++i)
    CHECK(widths[static_cast<std::size_t>(sorted[i - 1].back())] <= widths[static_cast<std::size_t>(sorted[i].front())]);

  options.drop_last = true;
  Rng e(42);
  const auto dropped = bucket_by_width(widths, options, &e);
  CHECK(dropped.size() == 31);
  for (const auto& batch : dropped) CHECK(batch.size() == 32);
  CHECK(bucket_by_width({}, options).empty());
  options.batch_size = 0;
  CHECK_THROWS_AS(bucket_by_width(widths, options), Error);
}
