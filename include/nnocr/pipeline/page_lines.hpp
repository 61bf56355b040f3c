// page_lines.hpp — a simple page splitter: a recursive XY-cut on the ink's
// projection profiles cuts a page into text lines, for `nnocr read` on page
// images until the layout analysis of the page-pipeline issue replaces it.
//
//   1. gray, dark ink (inverted when the dark Otsu class is the larger);
//      ink = pixels <= Otsu's threshold;
//   2. XY-cut: a block (at first the page) is trimmed to its ink; its
//      typical line height L is the median height of its row-profile
//      bands. Blank column runs at least max(gutter, L) wide are column
//      gutters, blank row runs at least 0.8 L high are block gaps (a
//      heading's space, a paragraph break; the space between lines is
//      smaller). The block is cut at the kind whose widest gap is widest,
//      at every gap of that kind, and each piece is cut again. So a page
//      with a heading over two columns comes out heading, left column,
//      right column;
//   3. a block with neither is one column of lines: its row-profile bands,
//      with bands much thinner than the median (i-dots, accents,
//      underlines) merged into a close neighbour; a band is split where its
//      columns are blank for more than twice its height (table cells).
//
// Lines come back in reading order with their boxes in page coordinates.
// What this does not do: skew (lines tilted more than about a line height
// over their length merge), non-rectangular layouts, images mixed with
// text.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "line_image.hpp"

namespace nnocr::pipeline {

struct PageSplitOptions {
  int min_gutter = 16;            // pixels
  double gutter_fraction = 0.02;  // of the page width
  double block_gap = 0.8;         // in line heights
  double segment_gap = 2.0;       // in band heights
  int min_ink_pixels = 6;         // smaller segments are specks
};

namespace detail {

struct Run {
  int begin, end;  // [begin, end)
};

// Runs of indices where counts > 0, split at gaps of at least `min_gap`.
inline std::vector<Run> ink_runs(const std::vector<int>& counts, int min_gap) {
  std::vector<Run> runs;
  const int n = static_cast<int>(counts.size());
  int i = 0;
  while (i < n) {
    while (i < n && counts[static_cast<std::size_t>(i)] == 0) ++i;
    if (i == n) break;
    Run r{i, i + 1};
    int gap = 0;
    for (int j = i + 1; j < n; ++j) {
      if (counts[static_cast<std::size_t>(j)] > 0) {
        r.end = j + 1;
        gap = 0;
      } else if (++gap >= min_gap) {
        break;
      }
    }
    runs.push_back(r);
    i = r.end;
  }
  return runs;
}

// The widest run of zeros strictly inside the ink of `counts`.
inline int widest_gap(const std::vector<int>& counts) {
  int widest = 0, run = 0;
  bool seen_ink = false;
  for (int c : counts) {
    if (c > 0) {
      if (seen_ink) widest = std::max(widest, run);
      seen_ink = true;
      run = 0;
    } else {
      ++run;
    }
  }
  return widest;
}

// Row bands of a column of text, thin bands merged into a close neighbour.
inline std::vector<Run> text_bands(const std::vector<int>& rows) {
  std::vector<Run> bands = ink_runs(rows, 1);
  if (bands.size() < 2) return bands;
  std::vector<int> heights;
  for (const auto& b : bands) heights.push_back(b.end - b.begin);
  std::nth_element(heights.begin(), heights.begin() + static_cast<std::ptrdiff_t>(heights.size() / 2), heights.end());
  const int median = heights[heights.size() / 2];
  for (std::size_t i = 0; i < bands.size() && bands.size() > 1;) {
    const int hgt = bands[i].end - bands[i].begin;
    if (3 * hgt < median) {
      const int up = i > 0 ? bands[i].begin - bands[i - 1].end : 1 << 30;
      const int down = i + 1 < bands.size() ? bands[i + 1].begin - bands[i].end : 1 << 30;
      if (std::min(up, down) <= median / 2) {
        if (up <= down) {
          bands[i - 1].end = bands[i].end;
        } else {
          bands[i + 1].begin = bands[i].begin;
        }
        bands.erase(bands.begin() + static_cast<std::ptrdiff_t>(i));
        continue;
      }
    }
    ++i;
  }
  return bands;
}

inline int median_height(const std::vector<Run>& bands) {
  if (bands.empty()) return 0;
  std::vector<int> h;
  for (const auto& b : bands) h.push_back(b.end - b.begin);
  std::nth_element(h.begin(), h.begin() + static_cast<std::ptrdiff_t>(h.size() / 2), h.end());
  return h[h.size() / 2];
}

class XyCut {
 public:
  XyCut(const std::vector<std::uint8_t>& ink, int width, const PageSplitOptions& o, int gutter)
      : ink_(ink), W_(width), o_(o), gutter_(gutter) {}

  void cut(int x0, int y0, int x1, int y1, int depth, std::vector<image::Box>& lines) const {
    // Trim to the ink.
    std::vector<int> rows = row_counts(x0, y0, x1, y1);
    int t = 0, b = static_cast<int>(rows.size());
    while (t < b && rows[static_cast<std::size_t>(t)] == 0) ++t;
    while (b > t && rows[static_cast<std::size_t>(b - 1)] == 0) --b;
    if (t == b) return;
    y0 += t, y1 = y0 + (b - t);
    rows = std::vector<int>(rows.begin() + t, rows.begin() + b);
    std::vector<int> cols = column_counts(x0, y0, x1, y1);
    int l = 0, r = static_cast<int>(cols.size());
    while (l < r && cols[static_cast<std::size_t>(l)] == 0) ++l;
    while (r > l && cols[static_cast<std::size_t>(r - 1)] == 0) --r;
    x0 += l, x1 = x0 + (r - l);
    cols = std::vector<int>(cols.begin() + l, cols.begin() + r);
    if (x0 < x1) rows = row_counts(x0, y0, x1, y1);

    const std::vector<Run> bands = text_bands(rows);
    const int L = std::max(1, median_height(bands));
    const int min_col_gap = std::max(gutter_, L), min_row_gap = std::max(2, static_cast<int>(o_.block_gap * L));
    const int gv = widest_gap(cols), gh = widest_gap(rows);
    const bool vertical = gv >= min_col_gap, horizontal = gh >= min_row_gap;
    if (depth < 32 && vertical && (!horizontal || gv >= gh)) {
      for (const Run& piece : ink_runs(cols, min_col_gap)) cut(x0 + piece.begin, y0, x0 + piece.end, y1, depth + 1, lines);
      return;
    }
    if (depth < 32 && horizontal) {
      for (const Run& piece : ink_runs(rows, min_row_gap)) cut(x0, y0 + piece.begin, x1, y0 + piece.end, depth + 1, lines);
      return;
    }
    for (const Run& band : bands) {
      const int bh = band.end - band.begin;
      const int gap = std::max(2, static_cast<int>(o_.segment_gap * bh));
      const std::vector<int> bc = column_counts(x0, y0 + band.begin, x1, y0 + band.end);
      for (const Run& seg : ink_runs(bc, gap)) {
        int pixels = 0;
        for (int x = seg.begin; x < seg.end; ++x) pixels += bc[static_cast<std::size_t>(x)];
        if (pixels < o_.min_ink_pixels) continue;
        lines.push_back({x0 + seg.begin, y0 + band.begin, seg.end - seg.begin, bh});
      }
    }
  }

 private:
  std::vector<int> column_counts(int x0, int y0, int x1, int y1) const {
    std::vector<int> c(static_cast<std::size_t>(x1 - x0));
    for (int y = y0; y < y1; ++y) {
      const std::uint8_t* row = ink_.data() + static_cast<std::size_t>(y) * W_;
      for (int x = x0; x < x1; ++x) c[static_cast<std::size_t>(x - x0)] += row[x];
    }
    return c;
  }
  std::vector<int> row_counts(int x0, int y0, int x1, int y1) const {
    std::vector<int> c(static_cast<std::size_t>(y1 - y0));
    for (int y = y0; y < y1; ++y) {
      const std::uint8_t* row = ink_.data() + static_cast<std::size_t>(y) * W_;
      int n = 0;
      for (int x = x0; x < x1; ++x) n += row[x];
      c[static_cast<std::size_t>(y - y0)] = n;
    }
    return c;
  }

  const std::vector<std::uint8_t>& ink_;
  int W_;
  const PageSplitOptions& o_;
  int gutter_;
};

}  // namespace detail

struct PageLines {
  image::Image gray;              // the page in gray, dark ink on light paper
  std::vector<image::Box> lines;  // in reading order
};

// The text lines of a page image.
inline PageLines split_page_lines(const image::Image& page, const PageSplitOptions& options = {}) {
  NNOCR_CHECK(!page.empty(), "split_page_lines: empty image");
  PageLines out;
  out.gray = page.channels() == 1 ? page : image::to_gray(page);
  int t = 0;
  if (!detail::normalize_polarity(out.gray, t)) return out;
  const int W = out.gray.width(), H = out.gray.height();
  std::vector<std::uint8_t> ink(static_cast<std::size_t>(W) * H);
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x) ink[static_cast<std::size_t>(y) * W + x] = out.gray.at(x, y) <= t;
  const int gutter = std::max(options.min_gutter, static_cast<int>(options.gutter_fraction * W));
  detail::XyCut(ink, W, options, gutter).cut(0, 0, W, H, 0, out.lines);
  return out;
}

// A line's image: its box with margins of a quarter of its height on every
// side, where the page has them; the margins above and below are blank
// paper (not the neighbouring lines' descenders and ascenders). `cut`
// receives the box of the image in page coordinates.
inline image::Image cut_line(const image::Image& gray, const image::Box& line, image::Box* cut = nullptr) {
  NNOCR_CHECK(gray.channels() == 1, "cut_line: needs a gray page");
  const int m = std::max(2, line.height / 4);
  const int x0 = std::max(0, line.x - m), x1 = std::min(gray.width(), line.x + line.width + m);
  const image::Box box{x0, line.y - m, x1 - x0, line.height + 2 * m};
  if (cut) *cut = box;
  image::Image out(box.width, box.height, 1, 255);
  for (int y = 0; y < line.height; ++y)
    std::copy_n(gray.row(line.y + y) + x0, box.width, out.row(m + y));
  return out;
}

}  // namespace nnocr::pipeline
