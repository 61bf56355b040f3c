// idx.hpp — the IDX format of MNIST, Fashion-MNIST, EMNIST and KMNIST.
//
// Layout (LeCun et al., http://yann.lecun.com/exdb/mnist/): 2 zero bytes,
// one byte for the element type, one byte for the number of dimensions D,
// then D big-endian 32-bit extents, then the elements in row-major order,
// each big-endian. Element types: 0x08 u8, 0x09 i8, 0x0B i16, 0x0C i32,
// 0x0D f32, 0x0E f64. Example: MNIST's training images start
// 00 00 08 03  00 00 EA 60  00 00 00 1C  00 00 00 1C — u8, [60000, 28, 28].
//
// Files are read whole; names ending in .gz, or data starting with the gzip
// magic, are gunzipped first (see gzip.hpp). Parsing is strict: the data
// must be exactly as long as the header says, and at most D = 5 (the rank
// limit of nnocr::Shape). Every error names the file.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "../core/error.hpp"
#include "../core/file.hpp"
#include "../core/shape.hpp"
#include "../core/tensor.hpp"
#include "gzip.hpp"

namespace nnocr::data {

// Element types of IDX files (the third byte).
enum class IdxType : std::uint8_t { u8 = 0x08, i8 = 0x09, i16 = 0x0B, i32 = 0x0C, f32 = 0x0D, f64 = 0x0E };

// Bytes one element of type `type` takes in the file.
inline std::size_t idx_element_size(IdxType type) {
  switch (type) {
    case IdxType::u8:
    case IdxType::i8: return 1;
    case IdxType::i16: return 2;
    case IdxType::i32:
    case IdxType::f32: return 4;
    case IdxType::f64: return 8;
  }
  return 0;
}

inline const char* idx_type_name(IdxType type) {
  switch (type) {
    case IdxType::u8: return "u8";
    case IdxType::i8: return "i8";
    case IdxType::i16: return "i16";
    case IdxType::i32: return "i32";
    case IdxType::f32: return "f32";
    case IdxType::f64: return "f64";
  }
  return "unknown";
}

// Default cap on an IDX file's data, and on a .gz file's inflated size.
inline constexpr std::size_t kIdxMaxBytes = std::size_t{1} << 30;

// What an IDX header says: element type, shape, and where the elements
// start (4 + 4 * rank).
struct IdxHeader {
  IdxType type = IdxType::u8;
  Shape shape;
  std::size_t data_offset = 0;
};

// Parses and checks the header of IDX bytes: magic, element type, rank <= 5,
// the data size (elements times element size, with extents of 0 counted as
// 1) within `max_bytes` without overflow, and exactly that many bytes after
// the header — no fewer, no more.
inline IdxHeader parse_idx_header(const std::uint8_t* data, std::size_t size, const std::string& where,
                                  std::size_t max_bytes = kIdxMaxBytes) {
  NNOCR_CHECK(data != nullptr || size == 0, where, ": null IDX data");
  NNOCR_CHECK(size >= 4, where, ": truncated IDX header (", size, " of at least 4 bytes)");
  if (data[0] != 0 || data[1] != 0) {
    std::ostringstream msg;
    msg << where << ": not an IDX file (the first two bytes are 0x" << std::hex << int{data[0]} << " 0x"
        << int{data[1]} << ", not 0x0 0x0)" << (looks_like_gzip(data, size) ? "; it is gzip data" : "");
    throw Error(msg.str());
  }
  const std::uint8_t type_byte = data[2];
  IdxHeader header;
  header.type = static_cast<IdxType>(type_byte);
  const std::size_t element = idx_element_size(header.type);
  if (element == 0) {
    std::ostringstream msg;
    msg << where << ": unknown IDX element type 0x" << std::hex << int{type_byte}
        << " (known: 0x8 u8, 0x9 i8, 0xb i16, 0xc i32, 0xd f32, 0xe f64)";
    throw Error(msg.str());
  }
  const int rank = data[3];
  NNOCR_CHECK(rank <= Shape::max_rank, where, ": IDX file with ", rank, " dimensions; at most ", Shape::max_rank,
              " are supported");
  header.data_offset = 4 + 4 * static_cast<std::size_t>(rank);
  NNOCR_CHECK(size >= header.data_offset, where, ": truncated IDX header (", size, " of ", header.data_offset,
              " bytes for ", rank, " dimensions)");
  std::size_t bytes = element;  // product of max(extent, 1), times the element size
  bool too_big = false;
  for (int d = 0; d < rank; ++d) {
    const std::uint8_t* p = data + 4 + 4 * d;
    const std::uint32_t extent = (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) |
                                 (std::uint32_t{p[2]} << 8) | std::uint32_t{p[3]};
    header.shape.push_back(static_cast<index_t>(extent));
    if (extent > 1) too_big = too_big || bytes > max_bytes / extent;
    if (!too_big && extent > 1) bytes *= extent;
  }
  NNOCR_CHECK(!too_big && bytes <= max_bytes, where, ": IDX ", idx_type_name(header.type), " data of shape ",
              header.shape.str(), " is larger than the limit of ", max_bytes, " bytes");
  const std::size_t need = static_cast<std::size_t>(header.shape.numel()) * element;
  const std::size_t have = size - header.data_offset;
  NNOCR_CHECK(have >= need, where, ": truncated IDX data: shape ", header.shape.str(), " of ",
              idx_type_name(header.type), " needs ", need, " bytes after the header, the file holds ", have);
  NNOCR_CHECK(have == need, where, ": ", have - need, " trailing bytes after the IDX data (shape ",
              header.shape.str(), " of ", idx_type_name(header.type), " ends at byte ", header.data_offset + need,
              ")");
  return header;
}

namespace detail {

inline std::uint64_t load_be(const std::uint8_t* p, std::size_t n) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < n; ++i) v = (v << 8) | p[i];
  return v;
}

// Element i of IDX data as a double (exact for every type but f64 beyond
// double; f32 and f64 are reinterpreted bit for bit).
inline double idx_value(IdxType type, const std::uint8_t* elements, std::size_t i) {
  switch (type) {
    case IdxType::u8: return elements[i];
    case IdxType::i8: return static_cast<std::int8_t>(elements[i]);
    case IdxType::i16: return static_cast<std::int16_t>(static_cast<std::uint16_t>(load_be(elements + 2 * i, 2)));
    case IdxType::i32: return static_cast<std::int32_t>(static_cast<std::uint32_t>(load_be(elements + 4 * i, 4)));
    case IdxType::f32: {
      const auto bits = static_cast<std::uint32_t>(load_be(elements + 4 * i, 4));
      float f;
      std::memcpy(&f, &bits, sizeof f);
      return f;
    }
    case IdxType::f64: {
      const std::uint64_t bits = load_be(elements + 8 * i, 8);
      double f;
      std::memcpy(&f, &bits, sizeof f);
      return f;
    }
  }
  return 0;
}

}  // namespace detail

// IDX bytes of type u8 as a tensor of the file's shape. Throws nnocr::Error
// naming `where` for anything parse_idx_header rejects, and for other types.
inline Tensor<std::uint8_t> parse_idx_u8(const std::uint8_t* data, std::size_t size, const std::string& where,
                                         std::size_t max_bytes = kIdxMaxBytes) {
  const IdxHeader header = parse_idx_header(data, size, where, max_bytes);
  NNOCR_CHECK(header.type == IdxType::u8, where, ": IDX elements are ", idx_type_name(header.type),
              ", not u8 (read them with read_idx_float)");
  Tensor<std::uint8_t> out(header.shape);
  if (!out.empty()) std::memcpy(out.data(), data + header.data_offset, static_cast<std::size_t>(out.numel()));
  return out;
}

inline Tensor<std::uint8_t> parse_idx_u8(const std::vector<std::uint8_t>& bytes, const std::string& where,
                                         std::size_t max_bytes = kIdxMaxBytes) {
  return parse_idx_u8(bytes.data(), bytes.size(), where, max_bytes);
}

// IDX bytes of any element type, converted to float (i32 values beyond
// 2^24 and f64 values round to the nearest float).
inline Tensor<float> parse_idx_float(const std::uint8_t* data, std::size_t size, const std::string& where,
                                     std::size_t max_bytes = kIdxMaxBytes) {
  const IdxHeader header = parse_idx_header(data, size, where, max_bytes);
  Tensor<float> out(header.shape);
  const std::uint8_t* elements = data + header.data_offset;
  float* o = out.data();
  for (index_t i = 0; i < out.numel(); ++i)
    o[i] = static_cast<float>(detail::idx_value(header.type, elements, static_cast<std::size_t>(i)));
  return out;
}

inline Tensor<float> parse_idx_float(const std::vector<std::uint8_t>& bytes, const std::string& where,
                                     std::size_t max_bytes = kIdxMaxBytes) {
  return parse_idx_float(bytes.data(), bytes.size(), where, max_bytes);
}

// The bytes of an IDX file, gunzipped when the name ends in .gz or the data
// starts with the gzip magic. `max_bytes` caps the file and the inflated
// data alike.
inline std::vector<std::uint8_t> read_idx_bytes(const std::string& path, std::size_t max_bytes = kIdxMaxBytes) {
  // Room for the largest header on top of the data limit (kept far from
  // overflow; gunzip itself stops at 2 GiB).
  const std::size_t limit = std::min<std::size_t>(max_bytes, std::size_t{1} << 62) + 4 + 4 * Shape::max_rank;
  std::vector<std::uint8_t> bytes = read_file(path, static_cast<std::int64_t>(limit));
  const bool gz_name = path.size() >= 3 && path.compare(path.size() - 3, 3, ".gz") == 0;
  if (gz_name || looks_like_gzip(bytes.data(), bytes.size())) return gunzip(bytes, path, limit);
  return bytes;
}

// Reads an IDX file of u8 elements (optionally gzipped) as a tensor of the
// file's shape, e.g. [N, 28, 28] for MNIST images or [N] for its labels.
inline Tensor<std::uint8_t> read_idx_u8(const std::string& path, std::size_t max_bytes = kIdxMaxBytes) {
  return parse_idx_u8(read_idx_bytes(path, max_bytes), path, max_bytes);
}

// Reads an IDX file of any element type (optionally gzipped) as floats.
inline Tensor<float> read_idx_float(const std::string& path, std::size_t max_bytes = kIdxMaxBytes) {
  return parse_idx_float(read_idx_bytes(path, max_bytes), path, max_bytes);
}

// An image classification set in the MNIST layout.
struct IdxDataset {
  Tensor<std::uint8_t> images;  // [N, H, W], 0 = background for MNIST
  Tensor<std::int32_t> labels;  // [N], class ids in [0, 255]
};

// Loads an images file ([N, H, W] of u8) and a labels file ([N] of u8, i8,
// i16 or i32, every label in [0, 255]), either gzipped, e.g.
// load_idx_dataset("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz").
// Throws nnocr::Error naming the file when a shape is wrong, the counts
// differ or a label is out of range.
inline IdxDataset load_idx_dataset(const std::string& images_path, const std::string& labels_path,
                                   std::size_t max_bytes = kIdxMaxBytes) {
  IdxDataset set;
  set.images = read_idx_u8(images_path, max_bytes);
  NNOCR_CHECK(set.images.rank() == 3, images_path, ": expected images of shape [N, H, W], got ",
              set.images.shape().str());

  const std::vector<std::uint8_t> bytes = read_idx_bytes(labels_path, max_bytes);
  const IdxHeader header = parse_idx_header(bytes.data(), bytes.size(), labels_path, max_bytes);
  NNOCR_CHECK(header.shape.rank() == 1, labels_path, ": expected labels of shape [N], got ", header.shape.str());
  NNOCR_CHECK(header.type != IdxType::f32 && header.type != IdxType::f64, labels_path, ": labels are ",
              idx_type_name(header.type), ", expected an integer type");
  const index_t n = header.shape[0];
  NNOCR_CHECK(n == set.images.shape()[0], images_path, " holds ", set.images.shape()[0], " images but ",
              labels_path, " holds ", n, " labels");
  set.labels = Tensor<std::int32_t>(header.shape);
  const std::uint8_t* elements = bytes.data() + header.data_offset;
  for (index_t i = 0; i < n; ++i) {
    const double v = detail::idx_value(header.type, elements, static_cast<std::size_t>(i));
    NNOCR_CHECK(v >= 0 && v <= 255, labels_path, ": label ", v, " of item ", i, " is outside [0, 255]");
    set.labels[i] = static_cast<std::int32_t>(v);
  }
  return set;
}

}  // namespace nnocr::data
