// batch.hpp — batches of variable-width text-line images for CTC training.
//
// make_line_batch() scales every line to one height keeping its aspect
// ratio, turns pixels into ink values (255 - gray) / 255 — paper 0, ink 1 —
// and pads each line on the right with 0 (blank paper) to the widest line,
// rounded up to a multiple of the network's horizontal downsampling. The
// labels of all lines are concatenated, the layout PyTorch's CTCLoss takes:
//
//   texts "ab", "c"  ->  images [2, 1, H, Wpad], widths {w0, w1},
//                        targets [3] = {id(a), id(b), id(c)}, target_lengths {2, 1}
//
// bucket_by_width() groups lines of similar width into batches, so that
// little of a batch is padding.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "../core/error.hpp"
#include "../core/rng.hpp"
#include "../core/tensor.hpp"
#include "../image/color.hpp"
#include "../image/resize.hpp"
#include "charset.hpp"
#include "line_sample.hpp"

namespace nnocr::data {

// What to do with a line wider than BatchOptions::max_width after scaling.
enum class TooWide {
  squeeze,  // scale it horizontally to max_width (the text gets narrower)
  error,    // throw nnocr::Error naming the sample and its text
};

struct BatchOptions {
  int height = 32;          // every line is scaled to this many rows
  int max_width = 2048;     // widest line after scaling; 0: no limit
  TooWide too_wide = TooWide::squeeze;
  int width_multiple = 4;   // the padded width is rounded up to a multiple of this (1: not rounded)
  UnknownPolicy unknown = UnknownPolicy::error;  // characters the charset lacks
};

struct LineBatch {
  Tensor<float> images;                 // [N, 1, H, W]: ink (255 - gray) / 255, padding 0
  std::vector<index_t> widths;          // each line's width before padding (<= W)
  Tensor<std::int32_t> targets;         // [sum of target_lengths]: class ids, lines concatenated
  std::vector<index_t> target_lengths;  // labels per line
  std::vector<std::string> texts;       // the ground truth as given
  std::int64_t skipped_characters = 0;  // unknown characters left out (UnknownPolicy::skip)

  index_t size() const { return static_cast<index_t>(widths.size()); }
};

// The width a width x height image gets when scaled to `target_height`
// keeping its aspect ratio (what image::resize_to_height computes), so
// widths can be known from image headers before decoding.
inline index_t scaled_width(index_t width, index_t height, int target_height) {
  NNOCR_CHECK(width > 0 && height > 0 && target_height > 0, "scaled_width: bad size ", width, "x", height,
              " or height ", target_height);
  return std::max<index_t>(
      1, static_cast<index_t>(std::lround(static_cast<double>(width) * target_height / static_cast<double>(height))));
}

// Builds one batch from `samples` (any channel count; gray is used). Errors:
// no samples, an empty image, a line too wide under TooWide::error, and a
// character the charset lacks under UnknownPolicy::error; each names the
// sample index and its text.
inline LineBatch make_line_batch(const std::vector<LineSample>& samples, const Charset& charset,
                                 const BatchOptions& options = {}) {
  NNOCR_CHECK(!samples.empty(), "make_line_batch: no samples");
  NNOCR_CHECK(options.height > 0, "make_line_batch: height must be positive, got ", options.height);
  NNOCR_CHECK(options.max_width >= 0, "make_line_batch: max_width must be >= 0, got ", options.max_width);
  NNOCR_CHECK(options.width_multiple >= 1, "make_line_batch: width_multiple must be >= 1, got ",
              options.width_multiple);
  const int h = options.height;
  const auto n = static_cast<index_t>(samples.size());
  LineBatch batch;
  batch.widths.reserve(samples.size());
  batch.target_lengths.reserve(samples.size());
  batch.texts.reserve(samples.size());

  // Scaled gray lines first: the padded width is known only after all.
  std::vector<image::Image> lines(samples.size());
  std::vector<std::int32_t> labels;
  for (std::size_t i = 0; i < samples.size(); ++i) {
    const LineSample& s = samples[i];
    NNOCR_CHECK(!s.image.empty(), "make_line_batch: sample ", i, " has an empty image (text ",
                detail::quote_text(s.text), ")");
    image::Image gray = s.image.channels() == 1 ? s.image : image::to_gray(s.image);
    index_t w = scaled_width(gray.width(), gray.height(), h);
    if (options.max_width > 0 && w > options.max_width) {
      NNOCR_CHECK(options.too_wide == TooWide::squeeze, "make_line_batch: sample ", i, " is ", w,
                  " pixels wide at height ", h, ", over max_width ", options.max_width, " (text ",
                  detail::quote_text(s.text), ")");
      w = options.max_width;
      gray = h <= gray.height() ? image::resize_area(gray, options.max_width, h)
                                : image::resize_bilinear(gray, options.max_width, h);
    } else if (gray.height() != h) {
      gray = image::resize_to_height(gray, h);
    }
    lines[i] = std::move(gray);
    batch.widths.push_back(w);

    const std::size_t before = labels.size();
    try {
      batch.skipped_characters += charset.encode_append(s.text, labels, options.unknown);
    } catch (const Error& e) {
      throw Error(nnocr::detail::concat("make_line_batch: sample ", i, ": ", e.what()));
    }
    batch.target_lengths.push_back(static_cast<index_t>(labels.size() - before));
    batch.texts.push_back(s.text);
  }

  const index_t widest = *std::max_element(batch.widths.begin(), batch.widths.end());
  const index_t padded = (widest + options.width_multiple - 1) / options.width_multiple * options.width_multiple;
  batch.images = Tensor<float>({n, 1, h, padded});  // zero-filled: padding is blank paper
  std::array<float, 256> ink{};
  for (int v = 0; v < 256; ++v) ink[static_cast<std::size_t>(v)] = static_cast<float>(255 - v) / 255.0f;
  for (index_t i = 0; i < n; ++i) {
    const image::Image& line = lines[static_cast<std::size_t>(i)];
    const index_t w = batch.widths[static_cast<std::size_t>(i)];
    for (int y = 0; y < h; ++y) {
      const std::uint8_t* in = line.row(y);
      float* out = batch.images.data() + (i * h + y) * padded;
      for (index_t x = 0; x < w; ++x) out[x] = ink[in[x]];
    }
  }
  batch.targets = Tensor<std::int32_t>({static_cast<index_t>(labels.size())}, labels);
  return batch;
}

struct BucketOptions {
  index_t batch_size = 32;
  // Batches drawn together and sorted by width: larger pools pad less but
  // mix less (1: batches are random, no bucketing).
  index_t pool_batches = 32;
  // Leave out a final batch smaller than batch_size.
  bool drop_last = false;
};

// Groups sample indices 0..N-1 (widths[i] = line i's width, e.g. from
// scaled_width) into batches of similar width. With `rng`: the indices are
// shuffled, cut into pools of batch_size * pool_batches, each pool is sorted
// by width and cut into batches, and the order of all batches is shuffled —
// the same result for the same rng state on every machine. Without `rng`:
// all indices sorted by width (ties by index) and cut in order, the least
// padding, for evaluation. Every index appears once (except a final short
// batch under drop_last).
inline std::vector<std::vector<index_t>> bucket_by_width(const std::vector<index_t>& widths,
                                                         const BucketOptions& options, Rng* rng = nullptr) {
  NNOCR_CHECK(options.batch_size >= 1, "bucket_by_width: batch_size must be >= 1, got ", options.batch_size);
  NNOCR_CHECK(options.pool_batches >= 1, "bucket_by_width: pool_batches must be >= 1, got ", options.pool_batches);
  const auto n = static_cast<index_t>(widths.size());
  std::vector<index_t> order(widths.size());
  for (index_t i = 0; i < n; ++i) order[static_cast<std::size_t>(i)] = i;
  auto shuffle = [&](auto& v) {
    for (std::size_t i = v.size(); i > 1; --i)
      std::swap(v[i - 1], v[static_cast<std::size_t>(rng->uniform_index(i))]);
  };
  auto by_width = [&](index_t a, index_t b) {
    const index_t wa = widths[static_cast<std::size_t>(a)], wb = widths[static_cast<std::size_t>(b)];
    return wa != wb ? wa < wb : a < b;
  };
  const index_t pool = rng ? options.batch_size * options.pool_batches : std::max<index_t>(n, 1);
  if (rng) shuffle(order);
  std::vector<std::vector<index_t>> batches;
  for (index_t p = 0; p < n; p += pool) {
    const auto first = order.begin() + p, last = order.begin() + std::min(n, p + pool);
    std::sort(first, last, by_width);
    for (auto b = first; b < last; b += std::min<index_t>(options.batch_size, last - b))
      batches.emplace_back(b, b + std::min<index_t>(options.batch_size, last - b));
  }
  // Only the last pool can end in a short batch.
  if (options.drop_last && !batches.empty() && static_cast<index_t>(batches.back().size()) < options.batch_size)
    batches.pop_back();
  if (rng) shuffle(batches);
  return batches;
}

}  // namespace nnocr::data
