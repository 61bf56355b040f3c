// safetensors.hpp — reading and writing the safetensors format, the model
// file format of Hugging Face and of nnocr (its metadata carries our
// architecture and charset).
//
// Layout of a file:
//
//   bytes 0..7       N, the header length, unsigned 64-bit little-endian
//   bytes 8..8+N-1   the header: UTF-8 JSON, possibly padded with spaces
//   bytes 8+N..      the data buffer: every tensor's elements, row-major,
//                    little-endian, back to back
//
// The header is one JSON object. Each member but "__metadata__" describes a
// tensor, with offsets relative to the start of the data buffer:
//
//   {"__metadata__": {"format": "pt"},
//    "conv1.weight": {"dtype": "F32", "shape": [8, 1, 3, 3], "data_offsets": [0, 288]}}
//
// The reader trusts nothing: a model file may come from anywhere. It checks
// every field and that the tensors cover the data buffer exactly — no gaps,
// no overlaps — as the reference implementation does, and reports the first
// problem with the file and tensor name:
//
//   m.safetensors: tensor 'conv1.weight': data_offsets [0, 96] end past the data buffer (80 bytes)
//
// The writer orders tensors as they were added and pads the header with
// spaces so the data buffer starts at a multiple of 8 bytes, as the
// reference writer does. The library targets little-endian CPUs only
// (x86-64, aarch64), so elements are copied as they are in memory.
#pragma once

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "../core/bf16.hpp"
#include "../core/error.hpp"
#include "../core/file.hpp"
#include "../core/shape.hpp"
#include "../core/tensor.hpp"
#include "json.hpp"

#if defined(__BYTE_ORDER__) && defined(__ORDER_LITTLE_ENDIAN__)
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "nnocr reads and writes safetensors on little-endian CPUs only");
#endif

namespace nnocr::io {

// Element types of safetensors that nnocr reads and writes.
enum class DType { F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL };

namespace detail {

struct DTypeInfo {
  DType dtype;
  const char* name;
  std::size_t size;
};

// The one table of dtypes: name in the header and bytes per element, in
// the order of the enum.
inline constexpr DTypeInfo kDTypes[] = {
    {DType::F64, "F64", 8}, {DType::F32, "F32", 4}, {DType::F16, "F16", 2}, {DType::BF16, "BF16", 2},
    {DType::I64, "I64", 8}, {DType::I32, "I32", 4}, {DType::I16, "I16", 2}, {DType::I8, "I8", 1},
    {DType::U8, "U8", 1},   {DType::BOOL, "BOOL", 1},
};

constexpr bool dtype_table_in_enum_order() {
  for (std::size_t i = 0; i < sizeof kDTypes / sizeof kDTypes[0]; ++i)
    if (static_cast<std::size_t>(kDTypes[i].dtype) != i) return false;
  return sizeof kDTypes / sizeof kDTypes[0] == static_cast<std::size_t>(DType::BOOL) + 1;
}
static_assert(dtype_table_in_enum_order(), "kDTypes must list every DType in enum order");

inline const char* dtype_list() { return "F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL"; }

}  // namespace detail

// "F32", "BF16", ... as written in a header.
inline const char* dtype_name(DType d) { return detail::kDTypes[static_cast<int>(d)].name; }
// Bytes per element.
inline std::size_t dtype_size(DType d) { return detail::kDTypes[static_cast<int>(d)].size; }
// The dtype named `name` in a header, or nothing for an unknown name.
inline std::optional<DType> dtype_from_name(std::string_view name) {
  for (const detail::DTypeInfo& info : detail::kDTypes)
    if (name == info.name) return info.dtype;
  return std::nullopt;
}

// IEEE binary16 to float, exactly (every half is a float): zeros,
// subnormals, normals, infinities, and NaN with its payload.
inline float f16_to_float(std::uint16_t h) {
  const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
  const std::uint32_t exponent = (h >> 10) & 0x1fu;
  std::uint32_t mantissa = h & 0x3ffu;
  std::uint32_t bits;
  if (exponent == 0x1f) {  // infinity or NaN
    bits = sign | 0x7f800000u | (mantissa << 13);
  } else if (exponent != 0) {  // normal: rebias 15 -> 127
    bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {  // signed zero
    bits = sign;
  } else {  // subnormal: mantissa * 2^-24; shift until the implicit 1 appears
    std::uint32_t e = 113;  // the biased float exponent of 2^-14
    while (!(mantissa & 0x400u)) {
      mantissa <<= 1;
      --e;
    }
    bits = sign | (e << 23) | ((mantissa & 0x3ffu) << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

// Float to IEEE binary16, rounding to nearest even; values beyond the
// largest half (65504) round to infinity, NaN stays NaN.
inline std::uint16_t float_to_f16(float f) {
  std::uint32_t u;
  std::memcpy(&u, &f, 4);
  const std::uint16_t sign = static_cast<std::uint16_t>((u >> 16) & 0x8000u);
  const std::uint32_t a = u & 0x7fffffffu;
  if (a > 0x7f800000u) return static_cast<std::uint16_t>(sign | 0x7e00u | ((a >> 13) & 0x3ffu));  // NaN
  if (a >= 0x477ff000u) return static_cast<std::uint16_t>(sign | 0x7c00u);  // >= 65520 (and inf) -> inf
  if (a < 0x38800000u) {  // below 2^-14: a half subnormal or zero
    if (a <= 0x33000000u) return sign;  // <= 2^-25 rounds to zero (the tie goes to even, zero)
    const std::uint32_t mantissa = (a & 0x7fffffu) | 0x800000u;
    const std::uint32_t shift = 126 - (a >> 23);  // value / 2^-24 = mantissa >> shift
    std::uint32_t h = mantissa >> shift;
    const std::uint32_t rest = mantissa & ((1u << shift) - 1), half = 1u << (shift - 1);
    if (rest > half || (rest == half && (h & 1u))) ++h;
    return static_cast<std::uint16_t>(sign | h);
  }
  std::uint32_t h = (a >> 13) - (112u << 10);  // rebias 127 -> 15
  const std::uint32_t rest = a & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) ++h;  // a carry into the exponent is right
  return static_cast<std::uint16_t>(sign | h);
}

// One tensor of a file: begin and end are byte offsets into the data buffer.
struct SafeTensorEntry {
  std::string name;
  DType dtype = DType::F32;
  Shape shape;
  std::size_t begin = 0, end = 0;

  std::size_t nbytes() const { return end - begin; }
};

struct SafeTensorsLimits {
  std::uint64_t max_header_bytes = 100'000'000;          // the reference implementation's limit
  std::uint64_t max_total_bytes = std::uint64_t{2} << 30;  // 2 GiB, the whole file
  std::uint64_t max_tensor_bytes = std::uint64_t{1} << 30;  // 1 GiB, any one tensor
};

class SafeTensorsFile;
inline SafeTensorsFile parse_safetensors(std::vector<std::uint8_t> bytes, const std::string& where,
                                         const SafeTensorsLimits& limits = {});

// A validated safetensors file held in memory. Getters convert the stored
// elements into nnocr tensors; every error names the file and the tensor.
class SafeTensorsFile {
 public:
  // An empty file: no tensors, no metadata.
  SafeTensorsFile() = default;

  // The file name (or other label) used in error messages.
  const std::string& where() const { return where_; }
  // The "__metadata__" members, in header order.
  const std::vector<std::pair<std::string, std::string>>& metadata() const { return metadata_; }
  // The metadata value for `key`, or nullptr.
  const std::string* find_metadata(std::string_view key) const {
    for (const auto& [k, v] : metadata_)
      if (k == key) return &v;
    return nullptr;
  }
  // Every tensor, in header order.
  const std::vector<SafeTensorEntry>& entries() const { return entries_; }
  std::size_t size() const { return entries_.size(); }
  bool has(std::string_view name) const { return index_.find(name) != index_.end(); }

  // The tensor called `name`; throws "no tensor 'name' in FILE".
  const SafeTensorEntry& entry(std::string_view name) const {
    const auto it = index_.find(name);
    NNOCR_CHECK(it != index_.end(), "no tensor '", name, "' in ", where_);
    return entries_[it->second];
  }
  // The tensor called `name`, which must have shape `shape`; throws
  // "FILE: tensor 'x' has shape [a, b], the architecture expects [c, d]".
  const SafeTensorEntry& expect(std::string_view name, const Shape& shape) const {
    const SafeTensorEntry& e = entry(name);
    NNOCR_CHECK(e.shape == shape, where_, ": tensor '", name, "' has shape ", e.shape.str(),
                ", the architecture expects ", shape.str());
    return e;
  }

  // The raw little-endian elements of a tensor (e.nbytes() bytes, not
  // necessarily aligned).
  const std::uint8_t* data(const SafeTensorEntry& e) const { return bytes_.data() + data_start_ + e.begin; }
  // The whole file.
  const std::vector<std::uint8_t>& bytes() const { return bytes_; }

  // A float copy of a F32, F16, BF16 or F64 tensor. F64 values beyond the
  // float range are an error.
  Tensor<float> to_float(std::string_view name) const {
    const SafeTensorEntry& e = entry(name);
    Tensor<float> out(e.shape);
    const std::uint8_t* p = data(e);
    float* o = out.data();
    const std::size_t n = static_cast<std::size_t>(e.shape.numel());
    switch (e.dtype) {
      case DType::F32:
        if (n) std::memcpy(o, p, n * 4);
        break;
      case DType::F16:
        for (std::size_t i = 0; i < n; ++i) o[i] = f16_to_float(load<std::uint16_t>(p, i));
        break;
      case DType::BF16:
        for (std::size_t i = 0; i < n; ++i) o[i] = bf16::to_float(load<std::uint16_t>(p, i));
        break;
      case DType::F64:
        for (std::size_t i = 0; i < n; ++i) {
          const double d = load<double>(p, i);
          NNOCR_CHECK(!(std::fabs(d) > static_cast<double>(FLT_MAX)) || std::isinf(d), where_, ": tensor '", name,
                      "': element ", i, " (", d, ") is outside the float range");
          o[i] = static_cast<float>(d);
        }
        break;
      default:
        throw Error(::nnocr::detail::concat(where_, ": tensor '", name, "' has dtype ", dtype_name(e.dtype),
                                            "; a float tensor is read from F32, F16, BF16 or F64"));
    }
    return out;
  }
  // to_float after expect(name, shape).
  Tensor<float> to_float(std::string_view name, const Shape& shape) const {
    expect(name, shape);
    return to_float(name);
  }

  // Integer copies of an integer tensor (I8, I16, I32, I64, U8, BOOL); a
  // value that does not fit the result type is an error.
  Tensor<std::int64_t> to_int64(std::string_view name) const { return to_integer<std::int64_t>(name, "int64"); }
  Tensor<std::int32_t> to_int32(std::string_view name) const { return to_integer<std::int32_t>(name, "int32"); }
  Tensor<std::uint8_t> to_uint8(std::string_view name) const { return to_integer<std::uint8_t>(name, "uint8"); }

 private:
  friend SafeTensorsFile parse_safetensors(std::vector<std::uint8_t>, const std::string&, const SafeTensorsLimits&);

  template <class T>
  static T load(const std::uint8_t* p, std::size_t i) {
    T v;
    std::memcpy(&v, p + i * sizeof(T), sizeof(T));
    return v;
  }

  // Every source type (I64, I32, I16, I8, U8, BOOL) fits in int64, and so
  // do the limits of every result type, so range checks happen there.
  template <class Dst, class Src>
  void copy_integers(const SafeTensorEntry& e, Dst* o, const char* type_name, bool is_bool) const {
    const std::uint8_t* p = data(e);
    const std::size_t n = static_cast<std::size_t>(e.shape.numel());
    for (std::size_t i = 0; i < n; ++i) {
      const std::int64_t v = load<Src>(p, i);
      if constexpr (!std::is_same_v<Dst, std::int64_t>) {
        NNOCR_CHECK(v >= static_cast<std::int64_t>(std::numeric_limits<Dst>::min()) &&
                        v <= static_cast<std::int64_t>(std::numeric_limits<Dst>::max()),
                    where_, ": tensor '", e.name, "': element ", i, " (", v, ") does not fit in ", type_name);
      }
      NNOCR_CHECK(!is_bool || v == 0 || v == 1, where_, ": tensor '", e.name, "': element ", i, " (", v,
                  ") is not a BOOL (0 or 1)");
      o[i] = static_cast<Dst>(v);
    }
  }

  template <class T>
  Tensor<T> to_integer(std::string_view name, const char* type_name) const {
    const SafeTensorEntry& e = entry(name);
    Tensor<T> out(e.shape);
    T* o = out.data();
    switch (e.dtype) {
      case DType::I64: copy_integers<T, std::int64_t>(e, o, type_name, false); break;
      case DType::I32: copy_integers<T, std::int32_t>(e, o, type_name, false); break;
      case DType::I16: copy_integers<T, std::int16_t>(e, o, type_name, false); break;
      case DType::I8: copy_integers<T, std::int8_t>(e, o, type_name, false); break;
      case DType::U8: copy_integers<T, std::uint8_t>(e, o, type_name, false); break;
      case DType::BOOL: copy_integers<T, std::uint8_t>(e, o, type_name, true); break;
      default:
        throw Error(::nnocr::detail::concat(where_, ": tensor '", name, "' has dtype ", dtype_name(e.dtype),
                                            "; an ", type_name, " tensor is read from I64, I32, I16, I8, U8 or BOOL"));
    }
    return out;
  }

  std::string where_;
  std::vector<std::uint8_t> bytes_;
  std::size_t data_start_ = 0;
  std::vector<SafeTensorEntry> entries_;
  std::map<std::string, std::size_t, std::less<>> index_;
  std::vector<std::pair<std::string, std::string>> metadata_;
};

namespace detail {

// A JSON value for an error message, cut to a readable length.
inline std::string json_excerpt(const Json& v) {
  std::string s = to_json(v);
  if (s.size() > 60) s = s.substr(0, 57) + "...";
  return s;
}

inline std::string offsets_text(std::size_t begin, std::size_t end) {
  return "[" + std::to_string(begin) + ", " + std::to_string(end) + "]";
}

// Reads the one tensor description `info` of the header; `data_size` is
// the size of the data buffer.
inline SafeTensorEntry parse_safetensor_entry(const std::string& name, const Json& info, std::size_t data_size,
                                              const std::string& where, std::uint64_t max_tensor_bytes) {
  const std::string ctx = where + ": tensor '" + name + "'";
  NNOCR_CHECK(info.is_object(), ctx, ": expected an object with dtype, shape and data_offsets, got ",
              json_type_name(info.type()));
  for (const auto& member : info.as_object()) {
    const std::string& key = member.first;
    NNOCR_CHECK(key == "dtype" || key == "shape" || key == "data_offsets", ctx, ": unexpected field '", key,
                "' (expected dtype, shape and data_offsets)");
  }
  const Json* dtype = info.find("dtype");
  const Json* shape = info.find("shape");
  const Json* offsets = info.find("data_offsets");
  NNOCR_CHECK(dtype, ctx, ": missing field 'dtype'");
  NNOCR_CHECK(shape, ctx, ": missing field 'shape'");
  NNOCR_CHECK(offsets, ctx, ": missing field 'data_offsets'");

  SafeTensorEntry e;
  e.name = name;
  NNOCR_CHECK(dtype->is_string(), ctx, ": dtype must be a string, got ", json_excerpt(*dtype));
  const std::optional<DType> dt = dtype_from_name(dtype->as_string());
  NNOCR_CHECK(dt.has_value(), ctx, ": unknown dtype '", dtype->as_string(), "' (nnocr reads ", dtype_list(), ")");
  e.dtype = *dt;

  NNOCR_CHECK(shape->is_array(), ctx, ": shape must be a list of non-negative integers, got ", json_excerpt(*shape));
  for (const Json& d : shape->as_array())
    NNOCR_CHECK(d.is_integer() && d.as_int() >= 0, ctx, ": shape must be a list of non-negative integers, got ",
                json_excerpt(*shape));
  NNOCR_CHECK(shape->size() <= static_cast<std::size_t>(Shape::max_rank), ctx, ": shape ", json_excerpt(*shape),
              " has rank ", shape->size(), ", more than nnocr's maximum of ", Shape::max_rank);
  std::uint64_t numel = 1;
  for (const Json& d : shape->as_array()) {
    const std::uint64_t extent = static_cast<std::uint64_t>(d.as_int());
    NNOCR_CHECK(extent == 0 || numel <= std::numeric_limits<std::uint64_t>::max() / extent, ctx, ": shape ",
                json_excerpt(*shape), " has too many elements (overflow)");
    numel *= extent;
    e.shape.push_back(static_cast<index_t>(extent));
  }
  const std::uint64_t element = dtype_size(e.dtype);
  NNOCR_CHECK(numel <= std::numeric_limits<std::uint64_t>::max() / element, ctx, ": shape ", e.shape.str(),
              " has too many elements (overflow)");
  const std::uint64_t need = numel * element;
  NNOCR_CHECK(need <= max_tensor_bytes, ctx, ": dtype ", dtype_name(e.dtype), " and shape ", e.shape.str(), " need ",
              need, " bytes, more than the limit of ", max_tensor_bytes, " bytes per tensor");

  NNOCR_CHECK(offsets->is_array() && offsets->size() == 2 && offsets->at(std::size_t{0}).is_integer() &&
                  offsets->at(std::size_t{0}).as_int() >= 0 && offsets->at(std::size_t{1}).is_integer() &&
                  offsets->at(std::size_t{1}).as_int() >= 0,
              ctx, ": data_offsets must be two non-negative integers [begin, end], got ", json_excerpt(*offsets));
  const std::uint64_t begin = static_cast<std::uint64_t>(offsets->at(std::size_t{0}).as_int());
  const std::uint64_t end = static_cast<std::uint64_t>(offsets->at(std::size_t{1}).as_int());
  const std::string range = "[" + std::to_string(begin) + ", " + std::to_string(end) + "]";
  NNOCR_CHECK(begin <= end, ctx, ": data_offsets ", range, " begin after end");
  NNOCR_CHECK(end <= data_size, ctx, ": data_offsets ", range, " end past the data buffer (", data_size, " bytes)");
  NNOCR_CHECK(end - begin == need, ctx, ": data_offsets ", range, " hold ", end - begin, " bytes, but dtype ",
              dtype_name(e.dtype), " and shape ", e.shape.str(), " need ", need);
  e.begin = static_cast<std::size_t>(begin);
  e.end = static_cast<std::size_t>(end);
  return e;
}

}  // namespace detail

// Validates a whole safetensors file held in `bytes` (see the top of this
// file for what is checked) and takes ownership of it. `where` names the
// file in errors.
inline SafeTensorsFile parse_safetensors(std::vector<std::uint8_t> bytes, const std::string& where,
                                         const SafeTensorsLimits& limits) {
  SafeTensorsFile file;
  file.where_ = where;
  file.bytes_ = std::move(bytes);
  const std::vector<std::uint8_t>& b = file.bytes_;
  const std::uint64_t size = b.size();
  NNOCR_CHECK(size <= limits.max_total_bytes, where, ": ", size, " bytes exceeds the limit of ", limits.max_total_bytes,
              " bytes");
  NNOCR_CHECK(size >= 8, where, ": ", size, " bytes is too short for a safetensors file (it starts with an 8-byte header length)");
  std::uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | b[static_cast<std::size_t>(i)];
  NNOCR_CHECK(n <= limits.max_header_bytes, where, ": header length ", n, " exceeds the limit of ",
              limits.max_header_bytes, " bytes");
  NNOCR_CHECK(n <= size - 8, where, ": header length ", n, " is past the end of the file (", size - 8,
              " bytes follow the length)");
  const std::string_view text(reinterpret_cast<const char*>(b.data() + 8), static_cast<std::size_t>(n));
  const std::string header_where = where + " header";
  NNOCR_CHECK(!text.empty() && text[0] == '{', header_where, ": byte 0: the header must be a JSON object starting with '{'");
  JsonLimits json_limits;
  json_limits.max_bytes = text.size();
  const Json header = parse_json(text, header_where, json_limits);
  NNOCR_CHECK(header.is_object(), header_where, ": expected a JSON object");

  file.data_start_ = static_cast<std::size_t>(8 + n);
  const std::size_t data_size = static_cast<std::size_t>(size - 8 - n);
  for (const auto& [name, info] : header.as_object()) {
    if (name == "__metadata__") {
      if (info.is_null()) continue;
      NNOCR_CHECK(info.is_object(), where, ": __metadata__ must be an object of strings, got ",
                  json_type_name(info.type()));
      for (const auto& [key, value] : info.as_object()) {
        NNOCR_CHECK(value.is_string(), where, ": __metadata__ value of '", key, "' must be a string, got ",
                    detail::json_excerpt(value));
        file.metadata_.emplace_back(key, value.as_string());
      }
      continue;
    }
    file.index_.emplace(name, file.entries_.size());
    file.entries_.push_back(detail::parse_safetensor_entry(name, info, data_size, where, limits.max_tensor_bytes));
  }

  // The tensors must cover the data buffer exactly: sorted by offset, each
  // begins where the previous one ended, and the last ends at the end.
  std::vector<const SafeTensorEntry*> order;
  for (const SafeTensorEntry& e : file.entries_) order.push_back(&e);
  std::stable_sort(order.begin(), order.end(), [](const SafeTensorEntry* x, const SafeTensorEntry* y) {
    return x->begin != y->begin ? x->begin < y->begin : x->end < y->end;
  });
  std::size_t cursor = 0;
  const SafeTensorEntry* previous = nullptr;
  for (const SafeTensorEntry* e : order) {
    if (e->begin < cursor)
      throw Error(::nnocr::detail::concat(where, ": tensor '", e->name, "' (data_offsets ",
                                          detail::offsets_text(e->begin, e->end), ") overlaps tensor '",
                                          previous->name, "' (data_offsets ",
                                          detail::offsets_text(previous->begin, previous->end), ")"));
    NNOCR_CHECK(e->begin == cursor, where, ": bytes [", cursor, ", ", e->begin,
                ") of the data buffer belong to no tensor (a gap before tensor '", e->name, "')");
    cursor = e->end;
    previous = e;
  }
  NNOCR_CHECK(cursor == data_size, where, ": bytes [", cursor, ", ", data_size,
              ") at the end of the data buffer belong to no tensor");
  return file;
}

// Reads and validates the safetensors file at `path`.
inline SafeTensorsFile load_safetensors(const std::string& path, const SafeTensorsLimits& limits = {}) {
  const std::uint64_t cap = std::min<std::uint64_t>(limits.max_total_bytes,
                                                    static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()));
  return parse_safetensors(read_file(path, static_cast<std::int64_t>(cap)), path, limits);
}

// Builds a safetensors file: metadata and tensors, written in the order
// they were added.
//
//   SafeTensorsWriter w;
//   w.set_metadata("format", "pt");
//   w.add("conv1.weight", weights);          // Tensor<float>, stored as F32
//   w.add("embed", table, DType::F16);       // stored as F16
//   w.save("model.safetensors");             // atomic
class SafeTensorsWriter {
 public:
  // Sets a "__metadata__" entry (replacing an earlier value for `key`).
  void set_metadata(const std::string& key, const std::string& value) {
    NNOCR_CHECK(detail::is_valid_utf8(key) && detail::is_valid_utf8(value), "safetensors metadata '", key,
                "': keys and values must be UTF-8");
    for (auto& [k, v] : metadata_)
      if (k == key) {
        v = value;
        return;
      }
    metadata_.emplace_back(key, value);
  }

  // A float tensor, stored as F32 (default), F16, BF16 or F64.
  void add(const std::string& name, TensorView<const float> t, DType stored_as = DType::F32) {
    std::vector<std::uint8_t> out(static_cast<std::size_t>(t.numel()) * dtype_size(stored_as));
    std::uint8_t* o = out.data();
    std::size_t i = 0;
    switch (stored_as) {
      case DType::F32: t.for_each([&](float v) { store(o, i++, v); }); break;
      case DType::F64: t.for_each([&](float v) { store(o, i++, static_cast<double>(v)); }); break;
      case DType::F16: t.for_each([&](float v) { store(o, i++, float_to_f16(v)); }); break;
      case DType::BF16: t.for_each([&](float v) { store(o, i++, bf16::from_float(v)); }); break;
      default:
        throw Error(::nnocr::detail::concat("safetensors tensor '", name, "': a float tensor is stored as F32, F16, ",
                                            "BF16 or F64, not ", dtype_name(stored_as)));
    }
    append(name, stored_as, t.shape(), std::move(out));
  }
  void add(const std::string& name, TensorView<const bf16> t) { add_elements(name, DType::BF16, t); }
  void add(const std::string& name, TensorView<const std::int64_t> t) { add_elements(name, DType::I64, t); }
  void add(const std::string& name, TensorView<const std::int32_t> t) { add_elements(name, DType::I32, t); }
  void add(const std::string& name, TensorView<const std::uint8_t> t) { add_elements(name, DType::U8, t); }

  // Elements already encoded as `dtype` (little-endian, row-major): `size`
  // must be shape.numel() * dtype_size(dtype).
  void add_raw(const std::string& name, DType dtype, const Shape& shape, const void* data, std::size_t size) {
    NNOCR_CHECK(size == static_cast<std::size_t>(shape.numel()) * dtype_size(dtype), "safetensors tensor '", name,
                "': ", size, " bytes given, dtype ", dtype_name(dtype), " and shape ", shape.str(), " need ",
                static_cast<std::size_t>(shape.numel()) * dtype_size(dtype));
    NNOCR_CHECK(data != nullptr || size == 0, "safetensors tensor '", name, "': null data");
    const auto* p = static_cast<const std::uint8_t*>(data);
    append(name, dtype, shape, std::vector<std::uint8_t>(p, p + size));
  }

  std::size_t size() const { return tensors_.size(); }

  // The whole file.
  std::vector<std::uint8_t> bytes() const {
    Json header = Json::object();
    if (!metadata_.empty()) {
      Json meta = Json::object();
      for (const auto& [k, v] : metadata_) meta.set(k, v);
      header.set("__metadata__", std::move(meta));
    }
    std::size_t offset = 0;
    for (const Pending& t : tensors_) {
      Json::Array dims;
      for (index_t d : t.shape) dims.emplace_back(static_cast<std::int64_t>(d));
      Json shape(std::move(dims));
      Json info = Json::object();
      info.set("dtype", dtype_name(t.dtype));
      info.set("shape", std::move(shape));
      info.set("data_offsets", Json(Json::Array{Json(offset), Json(offset + t.data.size())}));
      header.as_object().emplace_back(t.name, std::move(info));  // names are unique already
      offset += t.data.size();
    }
    std::string text = to_json(header);
    text.append((8 - text.size() % 8) % 8, ' ');  // the data buffer starts 8-byte aligned
    std::vector<std::uint8_t> out;
    out.reserve(8 + text.size() + offset);
    std::uint64_t n = text.size();
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<std::uint8_t>(n >> (8 * i)));
    out.insert(out.end(), text.begin(), text.end());
    for (const Pending& t : tensors_) out.insert(out.end(), t.data.begin(), t.data.end());
    return out;
  }

  // Writes the file atomically (core/file.hpp).
  void save(const std::string& path) const { write_file_atomic(path, bytes()); }

 private:
  struct Pending {
    std::string name;
    DType dtype;
    Shape shape;
    std::vector<std::uint8_t> data;
  };

  template <class T>
  static void store(std::uint8_t* o, std::size_t i, T v) {
    std::memcpy(o + i * sizeof(T), &v, sizeof(T));
  }

  template <class T>
  void add_elements(const std::string& name, DType dtype, TensorView<const T> t) {
    std::vector<std::uint8_t> out(static_cast<std::size_t>(t.numel()) * sizeof(T));
    std::size_t i = 0;
    t.for_each([&](const T& v) { store(out.data(), i++, v); });
    append(name, dtype, t.shape(), std::move(out));
  }

  void append(const std::string& name, DType dtype, const Shape& shape, std::vector<std::uint8_t> data) {
    NNOCR_CHECK(name != "__metadata__", "safetensors: '__metadata__' is reserved and cannot name a tensor");
    NNOCR_CHECK(detail::is_valid_utf8(name), "safetensors: tensor name '", name, "' is not valid UTF-8");
    NNOCR_CHECK(names_.insert(name).second, "safetensors: tensor '", name, "' added twice");
    tensors_.push_back(Pending{name, dtype, shape, std::move(data)});
  }

  std::vector<std::pair<std::string, std::string>> metadata_;
  std::vector<Pending> tensors_;
  std::set<std::string> names_;
};

}  // namespace nnocr::io
