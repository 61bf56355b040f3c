// line_image.hpp — getting one text-line image ready for a recognizer.
//
// The recognizers learn from lines whose margins are a fraction of the text
// height (the synthesizer draws 0 to 0.3 of it above and below, 0.05 to 0.7
// left and right), dark ink on light paper. A line a user hands in may have
// wide margins, light text on a dark ground, or stray specks far from the
// text; prepare_line() brings it to the same form:
//
//   1. gray; polarity from Otsu's two classes — the larger class is paper,
//      so light-on-dark lines are inverted;
//   2. skew: the angle that makes the ink's row profile sharpest
//      (detail::profile_skew_degrees); a line tilted by 0.5 to 8 degrees is
//      turned level (about its
//      centre, same size, the corners filled with paper), which matters
//      for a line scanned a few degrees off: the recognizer sees 32-pixel
//      rows, and a 3-degree tilt over 600 pixels drifts 31;
//   3. the ink's extent: rows holding at least 5 % of the ink of the
//      fullest row, grown over the faint rows next to them (descenders,
//      accents, i-dots: gaps up to a sixth of the height are crossed);
//      columns: runs of inked columns (closer than half the ink height
//      join), the outer runs with under 3 % of the ink dropped. So a speck
//      does not stretch it but a descender is kept;
//   4. a crop that keeps margins of 0.25 (above, below) and 0.5 (left,
//      right) of the ink height, where the image has them; margins already
//      smaller than that are kept as they are.
//
// An image without contrast (max - min < 24 gray levels) has no ink:
// `blank` is set and nothing should be read from it. The crop's position in
// the input image comes back so that boxes can be mapped to it (for a
// levelled line, approximately: the turn is not undone on the boxes).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "../image/augment.hpp"
#include "../image/binarize.hpp"
#include "../image/color.hpp"
#include "../image/components.hpp"
#include "../image/deskew.hpp"
#include "../image/geometry.hpp"

namespace nnocr::pipeline {

struct PreparedLine {
  image::Image gray;  // dark ink on light paper, levelled, cropped
  image::Box crop;    // where `gray` lies in the input image
  image::Box ink;     // the ink's extent in the input image (empty for a blank line)
  double skew_degrees = 0.0;  // the tilt that was undone (counter-clockwise positive)
  bool blank = false;
};

namespace detail {

// First and last index whose count is at least `fraction` of the largest.
inline bool ink_extent(const std::vector<int>& counts, double fraction, int& first, int& last) {
  const int peak = counts.empty() ? 0 : *std::max_element(counts.begin(), counts.end());
  if (peak == 0) return false;
  const int need = std::max(1, static_cast<int>(fraction * peak + 0.5));
  first = 0, last = static_cast<int>(counts.size()) - 1;
  while (counts[static_cast<std::size_t>(first)] < need) ++first;
  while (counts[static_cast<std::size_t>(last)] < need) --last;
  return true;
}

// Gray with dark ink: inverted when the dark class is the larger one.
// `ink_below` receives the threshold (pixels <= it are ink); returns false
// for an image without contrast.
inline bool normalize_polarity(image::Image& gray, int& ink_below) {
  const std::size_t n = static_cast<std::size_t>(gray.width()) * gray.height();
  const auto [lo, hi] = std::minmax_element(gray.data(), gray.data() + n);
  if (*hi - *lo < 24) return false;
  int t = image::otsu_threshold(gray);
  std::size_t dark = 0;
  for (std::size_t i = 0; i < n; ++i) dark += gray.data()[i] <= t;
  if (2 * dark > n) {
    gray = image::invert(gray);
    t = 254 - t;  // v <= t before is 255 - v >= 255 - t now: ink is what was light
  }
  ink_below = t;
  return true;
}

// The tilt (degrees, clockwise positive in image coordinates, where y grows
// downwards) that makes the ink's row profile sharpest: for each candidate
// angle a, ink pixel (x, y) falls in row y - x tan(a), and the angle whose
// rows have the largest sum of squared counts wins (text lines are dense
// bands; tilted ones smear across rows). Coarse steps of 0.5 degrees in
// [-max, max], then 0.1 around the best. Ascenders and descenders do not
// bias it the way a least-squares line through the ink does. Returns 0
// unless the best angle's score beats level's by 2 %.
inline double profile_skew_degrees(const image::Image& gray, int ink_below, double max_degrees = 8.0) {
  // The ink by column: rows ys[first[x] .. first[x + 1]) of column x. A
  // column's pixels all move by the same -x tan(a), so each score rounds
  // once per column, not once per pixel.
  const int H = gray.height(), W = gray.width();
  std::vector<int> first(static_cast<std::size_t>(W) + 1, 0), ys;
  for (int y = 0; y < H; ++y) {
    const std::uint8_t* r = gray.row(y);
    for (int x = 0; x < W; ++x) first[static_cast<std::size_t>(x) + 1] += r[x] <= ink_below;
  }
  for (int x = 0; x < W; ++x) first[static_cast<std::size_t>(x) + 1] += first[static_cast<std::size_t>(x)];
  if (first.back() < 20) return 0.0;
  ys.resize(static_cast<std::size_t>(first.back()));
  {
    std::vector<int> next(first.begin(), first.end() - 1);
    for (int y = 0; y < H; ++y) {
      const std::uint8_t* r = gray.row(y);
      for (int x = 0; x < W; ++x)
        if (r[x] <= ink_below) ys[static_cast<std::size_t>(next[static_cast<std::size_t>(x)]++)] = y;
    }
  }
  // A column's ink as vertical runs [run_lo, run_hi) of rows, runs
  // run_first[x] .. run_first[x + 1] of column x: a run moves as one, so a
  // score adds it to the row counts as a difference (+1 at its first row,
  // -1 past its last) instead of pixel by pixel. The counts are the same.
  std::vector<int> run_first(static_cast<std::size_t>(W) + 1, 0), run_lo, run_hi;
  for (int x = 0; x < W; ++x) {
    const int b = first[static_cast<std::size_t>(x)], e = first[static_cast<std::size_t>(x) + 1];
    for (int i = b; i < e;) {
      int j = i + 1;
      while (j < e && ys[static_cast<std::size_t>(j)] == ys[static_cast<std::size_t>(j) - 1] + 1) ++j;
      run_lo.push_back(ys[static_cast<std::size_t>(i)]);
      run_hi.push_back(ys[static_cast<std::size_t>(j) - 1] + 1);
      i = j;
    }
    run_first[static_cast<std::size_t>(x) + 1] = static_cast<int>(run_lo.size());
  }
  const int span = H + static_cast<int>(std::ceil(W * std::tan(max_degrees * 3.14159265358979323846 / 180.0))) + 2;
  const int top = 2 * span;  // rows 0 .. top; a shifted pixel outside them counts in the nearest
  std::vector<std::int64_t> diff(static_cast<std::size_t>(top) + 2);
  auto score = [&](double degrees) {
    std::fill(diff.begin(), diff.end(), 0);
    auto add = [&](int from, int to, std::int64_t n) {  // rows [from, to) += n
      diff[static_cast<std::size_t>(from)] += n;
      diff[static_cast<std::size_t>(to)] -= n;
    };
    const double t = std::tan(degrees * 3.14159265358979323846 / 180.0);
    for (int x = 0; x < W; ++x) {
      // Row y - x t rounded is y + round(-x t) (they differ only when
      // x t ends in exactly .5, which an irrational tangent never does).
      const int shift = static_cast<int>(std::lround(-x * t)) + span;
      for (int r = run_first[static_cast<std::size_t>(x)]; r < run_first[static_cast<std::size_t>(x) + 1]; ++r) {
        int lo = run_lo[static_cast<std::size_t>(r)] + shift, hi = run_hi[static_cast<std::size_t>(r)] + shift;
        if (lo < 0) {  // clamped into row 0
          add(0, 1, std::min(hi, 0) - lo);
          lo = 0;
        }
        if (hi > top + 1) {  // clamped into row top
          add(top, top + 1, hi - std::max(lo, top + 1));
          hi = top + 1;
        }
        if (lo < hi) add(lo, hi, 1);
      }
    }
    double s = 0.0;
    std::int64_t c = 0;
    for (int row = 0; row <= top; ++row) {
      c += diff[static_cast<std::size_t>(row)];
      s += static_cast<double>(c) * static_cast<double>(c);
    }
    return s;
  };
  const double level = score(0.0);
  double best = 0.0, best_score = level;
  for (double a = -max_degrees; a <= max_degrees + 1e-9; a += 0.5) {
    const double sc = score(a);
    if (sc > best_score) best = a, best_score = sc;
  }
  const double coarse = best;
  for (double a = coarse - 0.4; a <= coarse + 0.4 + 1e-9; a += 0.1) {
    const double sc = score(a);
    if (sc > best_score) best = a, best_score = sc;
  }
  return best_score > 1.02 * level ? best : 0.0;
}

// The mean gray of the pixels brighter than the ink threshold.
inline std::uint8_t paper_level(const image::Image& gray, int ink_below) {
  double sum = 0, n = 0;
  const std::size_t count = static_cast<std::size_t>(gray.width()) * gray.height();
  for (std::size_t i = 0; i < count; ++i)
    if (gray.data()[i] > ink_below) sum += gray.data()[i], n += 1;
  return n > 0 ? static_cast<std::uint8_t>(std::lround(sum / n)) : 255;
}

}  // namespace detail

inline PreparedLine prepare_line(const image::Image& src) {
  NNOCR_CHECK(!src.empty(), "prepare_line: empty image");
  PreparedLine out;
  image::Image gray = src.channels() == 1 ? src : image::to_gray(src);
  const int w = gray.width(), h = gray.height();
  int t = 0;
  if (!detail::normalize_polarity(gray, t)) {
    out.gray = std::move(gray);
    out.crop = {0, 0, w, h};
    out.blank = true;
    return out;
  }
  // Level a tilted line, when it is long enough for the slope to mean
  // something (at least three times as wide as high).
  if (w >= 3 * h) {
    const double slope = detail::profile_skew_degrees(gray, t);
    if (std::fabs(slope) >= 0.5 && std::fabs(slope) <= 8.0) {
      gray = image::rotate(gray, slope, detail::paper_level(gray, t));
      out.skew_degrees = -slope;
    }
  }
  std::vector<int> rows(static_cast<std::size_t>(h));
  for (int y = 0; y < h; ++y) {
    const std::uint8_t* r = gray.row(y);
    for (int x = 0; x < w; ++x) rows[static_cast<std::size_t>(y)] += r[x] <= t;
  }
  int y0 = 0, y1 = 0, x0 = 0, x1 = 0;
  detail::ink_extent(rows, 0.05, y0, y1);
  const int reach = std::max(1, (y1 - y0 + 1) / 6);
  for (bool grew = true; grew;) {
    grew = false;
    for (int g = 1; g <= reach + 1 && y0 - g >= 0; ++g)  // crosses up to `reach` blank rows
      if (rows[static_cast<std::size_t>(y0 - g)] > 0) {
        y0 -= g, grew = true;
        break;
      }
    for (int g = 1; g <= reach + 1 && y1 + g < h; ++g)
      if (rows[static_cast<std::size_t>(y1 + g)] > 0) {
        y1 += g, grew = true;
        break;
      }
  }
  const int ink_h = y1 - y0 + 1;
  // Columns: the runs of inked columns (gaps under half the ink height join
  // a run); outer runs holding under 3 % of the ink are specks, not text.
  std::vector<int> cols(static_cast<std::size_t>(w), 0);
  for (int y = y0; y <= y1; ++y) {
    const std::uint8_t* r = gray.row(y);
    for (int x = 0; x < w; ++x) cols[static_cast<std::size_t>(x)] += r[x] <= t;
  }
  struct ColumnRun {
    int begin, end;
    long mass;
  };
  std::vector<ColumnRun> runs;
  const int join = std::max(2, ink_h / 2);
  long total = 0;
  for (int x = 0; x < w; ++x) {
    const int c = cols[static_cast<std::size_t>(x)];
    if (c == 0) continue;
    total += c;
    if (!runs.empty() && x - runs.back().end < join) {
      runs.back().end = x + 1;
      runs.back().mass += c;
    } else {
      runs.push_back({x, x + 1, c});
    }
  }
  std::size_t first = 0, last = runs.size() - 1;
  while (first < last && runs[first].mass * 100 < 3 * total) ++first;
  while (last > first && runs[last].mass * 100 < 3 * total) --last;
  x0 = runs[first].begin, x1 = runs[last].end - 1;
  out.ink = {x0, y0, x1 - x0 + 1, y1 - y0 + 1};
  const int my = std::max(1, ink_h / 4), mx = std::max(2, ink_h / 2);
  const int cx0 = std::max(0, x0 - mx), cx1 = std::min(w - 1, x1 + mx);
  const int cy0 = std::max(0, y0 - my), cy1 = std::min(h - 1, y1 + my);
  out.crop = {cx0, cy0, cx1 - cx0 + 1, cy1 - cy0 + 1};
  out.gray = (out.crop.width == w && out.crop.height == h) ? std::move(gray) : image::crop(gray, out.crop);
  return out;
}

}  // namespace nnocr::pipeline
