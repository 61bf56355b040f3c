// aligned.hpp — 64-byte aligned buffers (one cache line, one AVX-512 register).
#pragma once

#include <cstddef>
#include <cstring>
#include <limits>
#include <new>
#include <type_traits>

#include "config.hpp"
#include "error.hpp"

namespace nnocr {

inline constexpr std::size_t kAlignment = 64;

// Tag for storage whose every element the caller writes before reading
// (a kernel's output): no zero fill.
struct Uninitialized {};
inline constexpr Uninitialized uninitialized{};

// An owning, uninitialised-then-zeroed array of trivially copyable T, aligned
// to kAlignment. Moves are cheap; copies copy the elements.
template <class T>
class AlignedBuffer {
  static_assert(std::is_trivially_copyable_v<T>, "AlignedBuffer holds plain data only");

 public:
  AlignedBuffer() = default;
  explicit AlignedBuffer(index_t n) { allocate(n); }
  AlignedBuffer(index_t n, Uninitialized) { allocate(n, false); }
  AlignedBuffer(const AlignedBuffer& o) {
    allocate(o.size_, false);
    if (size_) std::memcpy(data_, o.data_, bytes());
  }
  AlignedBuffer(AlignedBuffer&& o) noexcept : data_(o.data_), size_(o.size_) {
    o.data_ = nullptr;
    o.size_ = 0;
  }
  AlignedBuffer& operator=(AlignedBuffer o) noexcept {
    std::swap(data_, o.data_);
    std::swap(size_, o.size_);
    return *this;
  }
  ~AlignedBuffer() { release(); }

  T* data() { return data_; }
  const T* data() const { return data_; }
  index_t size() const { return size_; }
  std::size_t bytes() const { return static_cast<std::size_t>(size_) * sizeof(T); }

  // Grows to at least n elements; contents are not kept. Used for scratch.
  void reserve_discard(index_t n) {
    if (n > size_) {
      release();
      allocate(n);
    }
  }

 private:
  void allocate(index_t n, bool zero = true) {
    NNOCR_CHECK(n >= 0, "negative buffer size ", n);
    NNOCR_CHECK(static_cast<std::size_t>(n) <= std::numeric_limits<std::size_t>::max() / sizeof(T) / 2,
                "buffer of ", n, " elements is too large");
    if (n == 0) return;
    std::size_t nbytes = static_cast<std::size_t>(n) * sizeof(T);
    nbytes = (nbytes + kAlignment - 1) / kAlignment * kAlignment;
    data_ = static_cast<T*>(::operator new(nbytes, std::align_val_t{kAlignment}));
    if (zero) std::memset(static_cast<void*>(data_), 0, nbytes);
    size_ = n;
  }
  void release() {
    if (data_) ::operator delete(data_, std::align_val_t{kAlignment});
    data_ = nullptr;
    size_ = 0;
  }

  T* data_ = nullptr;
  index_t size_ = 0;
};

}  // namespace nnocr
