// shape.hpp — Shape: up to 5 extents, written like [N, C, H, W] in messages.
#pragma once

#include <array>
#include <initializer_list>
#include <ostream>
#include <string>

#include "config.hpp"
#include "error.hpp"

namespace nnocr {

class Shape {
 public:
  static constexpr int max_rank = 5;

  Shape() = default;
  Shape(std::initializer_list<index_t> extents) {
    NNOCR_CHECK(static_cast<int>(extents.size()) <= max_rank, "shape of rank ",
                extents.size(), " exceeds the maximum rank ", max_rank);
    for (index_t e : extents) push_back(e);
  }

  int rank() const { return rank_; }
  index_t operator[](int d) const { return dims_[d]; }
  index_t& operator[](int d) { return dims_[d]; }
  const index_t* begin() const { return dims_.data(); }
  const index_t* end() const { return dims_.data() + rank_; }

  // Axis d, where negative d counts from the end (-1 is the last axis).
  int axis(int d) const {
    int a = d < 0 ? d + rank_ : d;
    NNOCR_CHECK(a >= 0 && a < rank_, "axis ", d, " is out of range for shape ", str());
    return a;
  }

  void push_back(index_t extent) {
    NNOCR_CHECK(rank_ < max_rank, "shape ", str(), " cannot grow past rank ", max_rank);
    NNOCR_CHECK(extent >= 0, "negative extent ", extent, " in shape");
    dims_[rank_++] = extent;
  }

  // Number of elements (1 for rank 0, the scalar shape).
  index_t numel() const {
    index_t n = 1;
    for (int d = 0; d < rank_; ++d) n *= dims_[d];
    return n;
  }

  std::string str() const {
    std::string s = "[";
    for (int d = 0; d < rank_; ++d) {
      if (d) s += ", ";
      s += std::to_string(dims_[d]);
    }
    return s + "]";
  }

  friend bool operator==(const Shape& a, const Shape& b) {
    if (a.rank_ != b.rank_) return false;
    for (int d = 0; d < a.rank_; ++d)
      if (a.dims_[d] != b.dims_[d]) return false;
    return true;
  }
  friend bool operator!=(const Shape& a, const Shape& b) { return !(a == b); }
  friend std::ostream& operator<<(std::ostream& os, const Shape& s) { return os << s.str(); }

 private:
  std::array<index_t, max_rank> dims_{};
  int rank_ = 0;
};

// Steps between neighbours along each axis, in elements (may be 0 for a
// broadcast axis).
using Strides = std::array<index_t, Shape::max_rank>;

// Row-major (C order) strides for a shape.
inline Strides contiguous_strides(const Shape& shape) {
  Strides strides{};
  index_t s = 1;
  for (int d = shape.rank() - 1; d >= 0; --d) {
    strides[d] = s;
    s *= shape[d] > 0 ? shape[d] : 1;
  }
  return strides;
}

// Throws unless `actual == expected`; `what` names the operand.
inline void check_shape(const Shape& actual, const Shape& expected, const char* what) {
  NNOCR_CHECK(actual == expected, what, ": expected shape ", expected.str(), ", got ",
              actual.str());
}

}  // namespace nnocr
