// tensor.hpp — Tensor<T> (owning, contiguous, 64-byte aligned) and
// TensorView<T> (non-owning, strided).
//
// The split follows Eigen's Matrix/Map and std::vector/std::span: a Tensor
// owns its elements and has value semantics (copying copies the data,
// moving is cheap); a TensorView is a pointer plus shape plus strides that
// reinterprets someone else's memory. Transpose, permute, slice, select and
// reshape never copy: they return views. A view must not outlive the tensor
// it looks into. `contiguous()` copies a view into a new Tensor.
//
// Shapes have at most Shape::max_rank (5) axes; strides are in elements,
// row-major by default. Indexing with operator() is unchecked (it is what hot
// loops use); at() checks every index and throws nnocr::Error.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <type_traits>
#include <vector>

#include "aligned.hpp"
#include "bf16.hpp"
#include "error.hpp"
#include "shape.hpp"

namespace nnocr {

template <class T>
class Tensor;

namespace detail {

// Calls f(offset_a, offset_b) for every element of `shape`, in row-major
// order, with offsets computed from two stride sets. The innermost axis runs
// in a tight loop.
template <class F>
void for_each_offset2(const Shape& shape, const Strides& sa, const Strides& sb, F&& f) {
  const int rank = shape.rank();
  if (shape.numel() == 0) return;
  if (rank == 0) return f(index_t{0}, index_t{0});
  std::array<index_t, Shape::max_rank> idx{};
  const int last = rank - 1;
  const index_t inner = shape[last], ia = sa[last], ib = sb[last];
  for (;;) {
    index_t oa = 0, ob = 0;
    for (int d = 0; d < last; ++d) {
      oa += idx[d] * sa[d];
      ob += idx[d] * sb[d];
    }
    for (index_t i = 0; i < inner; ++i) f(oa + i * ia, ob + i * ib);
    int d = last - 1;
    for (; d >= 0; --d) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
    if (d < 0) return;
  }
}

}  // namespace detail

template <class T>
class TensorView {
 public:
  using value_type = std::remove_const_t<T>;

  TensorView() = default;
  TensorView(T* data, const Shape& shape) : data_(data), shape_(shape), strides_(contiguous_strides(shape)) {}
  TensorView(T* data, const Shape& shape, const Strides& strides)
      : data_(data), shape_(shape), strides_(strides) {}
  // A view of T converts to a view of const T.
  template <class U, class = std::enable_if_t<std::is_same_v<const U, T> && !std::is_same_v<U, T>>>
  TensorView(const TensorView<U>& o) : data_(o.data()), shape_(o.shape()), strides_(o.strides()) {}

  T* data() const { return data_; }
  const Shape& shape() const { return shape_; }
  const Strides& strides() const { return strides_; }
  int rank() const { return shape_.rank(); }
  index_t size(int axis) const { return shape_[shape_.axis(axis)]; }
  index_t stride(int axis) const { return strides_[shape_.axis(axis)]; }
  index_t numel() const { return shape_.numel(); }
  bool empty() const { return numel() == 0; }

  bool is_contiguous() const {
    index_t expected = 1;
    for (int d = rank() - 1; d >= 0; --d) {
      if (shape_[d] != 1 && strides_[d] != expected) return false;
      expected *= shape_[d];
    }
    return true;
  }

  template <class... I>
  T& operator()(I... index) const {
    static_assert(sizeof...(I) <= Shape::max_rank, "too many indices");
    const index_t idx[] = {static_cast<index_t>(index)...};
    index_t off = 0;
    for (std::size_t d = 0; d < sizeof...(I); ++d) off += idx[d] * strides_[d];
    return data_[off];
  }

  // Checked element access: the number of indices must equal the rank and
  // each index must be in range.
  T& at(std::initializer_list<index_t> index) const {
    NNOCR_CHECK(static_cast<int>(index.size()) == rank(), "at(): ", index.size(),
                " indices for a tensor of shape ", shape_.str());
    index_t off = 0;
    int d = 0;
    for (index_t i : index) {
      NNOCR_CHECK(i >= 0 && i < shape_[d], "at(): index ", i, " out of range for axis ", d,
                  " of shape ", shape_.str());
      off += i * strides_[d++];
    }
    return data_[off];
  }

  // Swaps two axes (a view).
  TensorView transpose(int a, int b) const {
    TensorView v = *this;
    int x = shape_.axis(a), y = shape_.axis(b);
    std::swap(v.shape_[x], v.shape_[y]);
    std::swap(v.strides_[x], v.strides_[y]);
    return v;
  }

  // Reorders axes: result axis i is this view's axis order[i] (a view).
  TensorView permute(std::initializer_list<int> order) const {
    NNOCR_CHECK(static_cast<int>(order.size()) == rank(), "permute: ", order.size(),
                " axes given for shape ", shape_.str());
    TensorView v = *this;
    bool used[Shape::max_rank] = {};
    int i = 0;
    for (int a : order) {
      int ax = shape_.axis(a);
      NNOCR_CHECK(!used[ax], "permute: axis ", a, " repeated for shape ", shape_.str());
      used[ax] = true;
      v.shape_[i] = shape_[ax];
      v.strides_[i] = strides_[ax];
      ++i;
    }
    return v;
  }

  // Elements begin, begin+step, ... < end along one axis (a view).
  TensorView slice(int axis, index_t begin, index_t end, index_t step = 1) const {
    int ax = shape_.axis(axis);
    NNOCR_CHECK(step >= 1, "slice: step must be positive, got ", step);
    NNOCR_CHECK(0 <= begin && begin <= end && end <= shape_[ax], "slice [", begin, ", ", end,
                ") out of range for axis ", axis, " of shape ", shape_.str());
    TensorView v = *this;
    v.data_ = data_ + begin * strides_[ax];
    v.shape_[ax] = (end - begin + step - 1) / step;
    v.strides_[ax] = strides_[ax] * step;
    return v;
  }

  // Index i of one axis, with that axis removed (a view of rank - 1).
  TensorView select(int axis, index_t i) const {
    int ax = shape_.axis(axis);
    NNOCR_CHECK(i >= 0 && i < shape_[ax], "select: index ", i, " out of range for axis ", axis,
                " of shape ", shape_.str());
    Shape s;
    Strides st{};
    for (int d = 0, k = 0; d < rank(); ++d) {
      if (d == ax) continue;
      s.push_back(shape_[d]);
      st[k++] = strides_[d];
    }
    return TensorView(data_ + i * strides_[ax], s, st);
  }

  // Inserts an axis of extent 1 before `axis` (a view).
  TensorView unsqueeze(int axis) const {
    NNOCR_CHECK(axis >= 0 && axis <= rank() && rank() < Shape::max_rank, "unsqueeze: axis ", axis,
                " invalid for shape ", shape_.str());
    Shape s;
    Strides st{};
    for (int d = 0, k = 0; d <= rank(); ++d) {
      if (d == axis) {
        s.push_back(1);
        st[k++] = d < rank() ? strides_[d] * shape_[d] : 1;
      }
      if (d < rank()) {
        s.push_back(shape_[d]);
        st[k++] = strides_[d];
      }
    }
    return TensorView(data_, s, st);
  }

  // The same elements under a new shape with the same element count; one
  // extent may be -1 (inferred). Only contiguous views can be reshaped
  // without a copy: call contiguous() first otherwise.
  TensorView reshape(std::initializer_list<index_t> extents) const { return reshape_impl(extents); }
  TensorView reshape(const Shape& shape) const { return reshape_impl(shape); }

  // A new Tensor holding a contiguous copy of the viewed elements.
  Tensor<value_type> contiguous() const;

  // Sets every viewed element.
  void fill(const value_type& value) const {
    static_assert(!std::is_const_v<T>, "cannot fill a view of const elements");
    if (is_contiguous()) return std::fill(data_, data_ + numel(), value);
    detail::for_each_offset2(shape_, strides_, strides_, [&](index_t o, index_t) { data_[o] = value; });
  }

  // Copies src's elements into this view; shapes must match exactly.
  void copy_from(TensorView<const value_type> src) const {
    static_assert(!std::is_const_v<T>, "cannot copy into a view of const elements");
    check_shape(src.shape(), shape_, "copy_from: source");
    if (is_contiguous() && src.is_contiguous()) {
      if (numel()) std::memmove(data_, src.data(), static_cast<std::size_t>(numel()) * sizeof(value_type));
      return;
    }
    detail::for_each_offset2(shape_, strides_, src.strides(),
                             [&](index_t o, index_t s) { data_[o] = src.data()[s]; });
  }

  // Calls f(element) for every element in row-major order.
  template <class F>
  void for_each(F&& f) const {
    detail::for_each_offset2(shape_, strides_, strides_, [&](index_t o, index_t) { f(data_[o]); });
  }

 private:
  template <class Extents>
  TensorView reshape_impl(const Extents& extents) const {
    Shape s;
    int inferred = -1;
    index_t known = 1;
    for (index_t e : extents) {
      NNOCR_CHECK(s.rank() < Shape::max_rank, "reshape: too many axes for shape ", shape_.str());
      if (e == -1) {
        NNOCR_CHECK(inferred < 0, "reshape: more than one -1 in new shape of ", shape_.str());
        inferred = s.rank();
        s.push_back(0);
        continue;
      }
      NNOCR_CHECK(e >= 0, "reshape: negative extent ", e, " for shape ", shape_.str());
      s.push_back(e);
      known *= e;
    }
    if (inferred >= 0) {
      NNOCR_CHECK(known > 0 && numel() % known == 0, "reshape: cannot infer -1 to turn shape ",
                  shape_.str(), " into ", s.str());
      s[inferred] = numel() / known;
    }
    NNOCR_CHECK(s.numel() == numel(), "reshape: shape ", shape_.str(), " (", numel(),
                " elements) cannot become ", s.str(), " (", s.numel(), " elements)");
    NNOCR_CHECK(is_contiguous(), "reshape: view of shape ", shape_.str(),
                " is not contiguous; call contiguous() first");
    return TensorView(data_, s);
  }

  T* data_ = nullptr;
  Shape shape_;
  Strides strides_{};
};

template <class T>
class Tensor {
 public:
  using value_type = T;

  // An empty tensor of shape [0] (not a scalar: a scalar has shape [] and one element).
  Tensor() : shape_{0} {}
  // A zero-filled tensor.
  explicit Tensor(const Shape& shape) : shape_(shape), storage_(shape.numel()) {}
  // A tensor whose elements are left unset, for outputs that the caller
  // overwrites completely before anything reads them (it saves the zero fill,
  // a pass over memory, on every layer output).
  Tensor(const Shape& shape, Uninitialized) : shape_(shape), storage_(shape.numel(), uninitialized) {}
  Tensor(const Shape& shape, const T& value) : Tensor(shape) { fill(value); }
  // A tensor with the given elements in row-major order.
  Tensor(const Shape& shape, std::initializer_list<T> values) : Tensor(shape) {
    NNOCR_CHECK(static_cast<index_t>(values.size()) == numel(), "tensor of shape ", shape.str(),
                " needs ", numel(), " values, got ", values.size());
    std::copy(values.begin(), values.end(), data());
  }
  Tensor(const Shape& shape, const std::vector<T>& values) : Tensor(shape) {
    NNOCR_CHECK(static_cast<index_t>(values.size()) == numel(), "tensor of shape ", shape.str(),
                " needs ", numel(), " values, got ", values.size());
    std::copy(values.begin(), values.end(), data());
  }
  // A contiguous copy of a view.
  explicit Tensor(TensorView<const T> v) : Tensor(v.shape()) { view().copy_from(v); }

  T* data() { return storage_.data(); }
  const T* data() const { return storage_.data(); }
  T* begin() { return data(); }
  T* end() { return data() + numel(); }
  const T* begin() const { return data(); }
  const T* end() const { return data() + numel(); }
  // Flat (row-major) element i; unchecked, like std::vector's operator[].
  T& operator[](index_t i) { return data()[i]; }
  const T& operator[](index_t i) const { return data()[i]; }

  const Shape& shape() const { return shape_; }
  Strides strides() const { return contiguous_strides(shape_); }
  int rank() const { return shape_.rank(); }
  index_t size(int axis) const { return shape_[shape_.axis(axis)]; }
  index_t numel() const { return shape_.numel(); }
  bool empty() const { return numel() == 0; }

  TensorView<T> view() { return TensorView<T>(data(), shape_); }
  TensorView<const T> view() const { return TensorView<const T>(data(), shape_); }
  operator TensorView<T>() { return view(); }
  operator TensorView<const T>() const { return view(); }

  template <class... I>
  T& operator()(I... index) {
    return view()(index...);
  }
  template <class... I>
  const T& operator()(I... index) const {
    return view()(index...);
  }
  T& at(std::initializer_list<index_t> index) { return view().at(index); }
  const T& at(std::initializer_list<index_t> index) const { return view().at(index); }

  TensorView<T> transpose(int a, int b) { return view().transpose(a, b); }
  TensorView<const T> transpose(int a, int b) const { return view().transpose(a, b); }
  TensorView<T> permute(std::initializer_list<int> order) { return view().permute(order); }
  TensorView<const T> permute(std::initializer_list<int> order) const { return view().permute(order); }
  TensorView<T> slice(int axis, index_t b, index_t e, index_t step = 1) { return view().slice(axis, b, e, step); }
  TensorView<const T> slice(int axis, index_t b, index_t e, index_t step = 1) const {
    return view().slice(axis, b, e, step);
  }
  TensorView<T> select(int axis, index_t i) { return view().select(axis, i); }
  TensorView<const T> select(int axis, index_t i) const { return view().select(axis, i); }
  TensorView<T> reshape(std::initializer_list<index_t> e) { return view().reshape(e); }
  TensorView<const T> reshape(std::initializer_list<index_t> e) const { return view().reshape(e); }
  TensorView<T> reshape(const Shape& s) { return view().reshape(s); }
  TensorView<const T> reshape(const Shape& s) const { return view().reshape(s); }

  // Gives this tensor a new shape with the same number of elements, in place.
  void set_shape(const Shape& shape) {
    NNOCR_CHECK(shape.numel() == numel(), "set_shape: shape ", shape_.str(), " cannot become ",
                shape.str());
    shape_ = shape;
  }
  // Makes this tensor `shape`, reallocating (zero-filled) only when it needs
  // more room than it has; existing elements are not preserved. Scratch
  // tensors use this to avoid allocating in steady state.
  void resize(const Shape& shape) {
    storage_.reserve_discard(shape.numel());
    shape_ = shape;
  }

  void fill(const T& value) { std::fill(begin(), end(), value); }

 private:
  Shape shape_;
  AlignedBuffer<T> storage_;
};

template <class T>
Tensor<typename TensorView<T>::value_type> TensorView<T>::contiguous() const {
  return Tensor<value_type>(TensorView<const value_type>(*this));
}

// Element-wise conversion between element types (e.g. uint8 pixels to
// float, float to bf16).
template <class To, class From>
Tensor<To> tensor_cast(TensorView<const From> src) {
  Tensor<To> out(src.shape());
  To* o = out.data();
  src.for_each([&](const From& v) {
    if constexpr (std::is_same_v<To, bf16>)
      *o++ = bf16(static_cast<float>(v));
    else if constexpr (std::is_same_v<From, bf16>)
      *o++ = static_cast<To>(static_cast<float>(v));
    else
      *o++ = static_cast<To>(v);
  });
  return out;
}
template <class To, class From>
Tensor<To> tensor_cast(const Tensor<From>& src) {
  return tensor_cast<To>(src.view());
}

}  // namespace nnocr
