// flat_map.hpp — a uint64 -> Value hash map with open addressing (linear
// probing) for the decoders' hot lookups: the beam search's prefix tree and
// the character LM's n-gram tables. One flat array, no allocation per
// entry, no erase. The key ~0 is reserved.
#pragma once

#include <cstdint>
#include <vector>

namespace nnocr::decode::detail {

template <class Value>
class FlatMap {
 public:
  explicit FlatMap(std::size_t expected = 0) {
    std::size_t cap = 16;
    while (cap < 2 * expected) cap *= 2;
    keys_.assign(cap, kEmpty);
    values_.resize(cap);
  }

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  // The value for key, or nullptr.
  const Value* find(std::uint64_t key) const {
    for (std::size_t i = slot(key);; i = (i + 1) & (keys_.size() - 1)) {
      if (keys_[i] == key) return &values_[i];
      if (keys_[i] == kEmpty) return nullptr;
    }
  }
  Value* find(std::uint64_t key) {
    return const_cast<Value*>(static_cast<const FlatMap&>(*this).find(key));
  }
  // The value for key, inserted as `value` when absent; `inserted` says which.
  Value& emplace(std::uint64_t key, const Value& value, bool& inserted) {
    if (2 * (size_ + 1) > keys_.size()) grow();
    std::size_t i = slot(key);
    while (keys_[i] != kEmpty && keys_[i] != key) i = (i + 1) & (keys_.size() - 1);
    inserted = keys_[i] == kEmpty;
    if (inserted) {
      ++size_;
      keys_[i] = key;
      values_[i] = value;
    }
    return values_[i];
  }
  Value& operator[](std::uint64_t key) {
    bool inserted = false;
    return emplace(key, Value{}, inserted);
  }
  // Calls f(key, value) for every entry, in table order.
  template <class F>
  void for_each(F&& f) const {
    for (std::size_t i = 0; i < keys_.size(); ++i)
      if (keys_[i] != kEmpty) f(keys_[i], values_[i]);
  }
  template <class F>
  void for_each(F&& f) {
    for (std::size_t i = 0; i < keys_.size(); ++i)
      if (keys_[i] != kEmpty) f(keys_[i], values_[i]);
  }

 private:
  static constexpr std::uint64_t kEmpty = ~std::uint64_t{0};
  std::size_t slot(std::uint64_t key) const {
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdULL;
    key ^= key >> 33;
    return static_cast<std::size_t>(key) & (keys_.size() - 1);
  }
  void grow() {
    std::vector<std::uint64_t> keys(keys_.size() * 2, kEmpty);
    std::vector<Value> values(keys.size());
    keys.swap(keys_);
    values.swap(values_);
    size_ = 0;
    bool inserted = false;
    for (std::size_t i = 0; i < keys.size(); ++i)
      if (keys[i] != kEmpty) emplace(keys[i], values[i], inserted);
  }

  std::vector<std::uint64_t> keys_;
  std::vector<Value> values_;
  std::size_t size_ = 0;
};

}  // namespace nnocr::decode::detail
