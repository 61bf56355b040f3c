// gzip and IDX reading. Fixtures made by the system gzip are embedded as
// bytes; gzip data of any other content is built here from stored deflate
// blocks. The real files are data/mnist/*.gz (made by data/make_mnist.sh)
// and, where Debian's dataset-fashion-mnist is installed, Fashion-MNIST.
#include "test_util.hpp"

#include <nnocr/core/file.hpp>
#include <nnocr/data/gzip.hpp>
#include <nnocr/data/idx.hpp>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <sys/stat.h>
#include <vector>

#ifndef NNOCR_SOURCE_DIR
#error "test_idx.cpp needs NNOCR_SOURCE_DIR (the repository root, for data/mnist)"
#endif

using namespace nnocr;
using namespace nnocr::data;

namespace {

using Bytes = std::vector<std::uint8_t>;

// `printf 'TEXT' | gzip -n -9`: no name, a dynamic-Huffman block.
const Bytes kSampleN9 = {
    0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0xed, 0x8d, 0x45, 0x12, 0xc2, 0x40, 0x10, 0x00, 0xef,
    0xbc, 0x62, 0x70, 0x0f, 0xee, 0xee, 0xee, 0xee, 0xc4, 0x13, 0x64, 0x37, 0x6c, 0x08, 0x92, 0xd7, 0xc3, 0x13, 0x38,
    0x50, 0x9c, 0xb8, 0x76, 0x57, 0x75, 0x23, 0x84, 0x59, 0x02, 0x84, 0xa7, 0x39, 0x15, 0x44, 0x5d, 0x56, 0x28, 0x40,
    0x1f, 0x90, 0xb1, 0xc4, 0xc3, 0x45, 0x93, 0xd9, 0x23, 0x30, 0x04, 0xdf, 0x11, 0x08, 0xf8, 0x01, 0x07, 0xed, 0xac,
    0xa8, 0x80, 0x6f, 0x3c, 0x81, 0xeb, 0x5b, 0x9f, 0x68, 0xfd, 0x09, 0x1c, 0x16, 0xc1, 0x1f, 0x08, 0x86, 0xc2, 0x91,
    0x68, 0x2c, 0x9e, 0xa0, 0x0c, 0xe8, 0x7f, 0xfb, 0xd2, 0xcd, 0xa8, 0x3f, 0x1f, 0xf7, 0x9b, 0x76, 0x55, 0xc9, 0x45,
    0xc1, 0xe8, 0x7c, 0x3a, 0x1e, 0x64, 0x49, 0x14, 0x78, 0x8e, 0x65, 0xe8, 0xfd, 0x6e, 0xbb, 0x59, 0xaf, 0x96, 0x8b,
    0xf9, 0x6c, 0x3a, 0x19, 0x8f, 0x86, 0x83, 0x7e, 0xaf, 0xdb, 0x69, 0xb7, 0x9a, 0x8d, 0x7a, 0xad, 0x5a, 0x29, 0x97,
    0x8a, 0x85, 0x7c, 0x2e, 0x9b, 0x49, 0xa7, 0x92, 0x89, 0x78, 0x2c, 0x1a, 0x09, 0x87, 0x82, 0x01, 0xbf, 0x8f, 0xf2,
    0x7a, 0xdc, 0x2e, 0xa7, 0xc3, 0x6e, 0xb3, 0x5a, 0xcc, 0xa6, 0xdf, 0x96, 0x0d, 0x2f, 0x07, 0x59, 0xc0, 0x52, 0x81,
    0x02, 0x00, 0x00};

// `gzip -1 hello.txt` of the same text: the name "hello.txt" (FNAME), a
// time stamp, a fixed-Huffman block.
const Bytes kHelloTxtGz = {
    0x1f, 0x8b, 0x08, 0x08, 0x00, 0xe1, 0x0b, 0x5e, 0x04, 0x03, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x2e, 0x74, 0x78, 0x74,
    0x00, 0xcb, 0xcb, 0xcb, 0x4f, 0x2e, 0x52, 0x28, 0x4a, 0x4d, 0x4c, 0x29, 0x56, 0x48, 0xaf, 0xca, 0x2c, 0xd0, 0x53,
    0xc8, 0x23, 0x42, 0x24, 0x24, 0x23, 0x55, 0xa1, 0xb0, 0x34, 0x33, 0x39, 0x5b, 0x21, 0xa9, 0x28, 0xbf, 0x3c, 0x4f,
    0x21, 0x2d, 0xbf, 0x42, 0x21, 0xab, 0x34, 0xb7, 0xa0, 0x58, 0x21, 0xbf, 0x2c, 0xb5, 0x48, 0xa1, 0x04, 0x28, 0x9d,
    0x93, 0x58, 0x55, 0xa9, 0x90, 0x92, 0x9f, 0xae, 0x60, 0x60, 0x68, 0x64, 0x6c, 0x62, 0x6a, 0x66, 0x6e, 0x61, 0xa9,
    0xc7, 0x45, 0x8c, 0xd9, 0x98, 0x6a, 0x46, 0x6d, 0xc3, 0x0c, 0x49, 0xc5, 0xaa, 0xca, 0x8a, 0xf2, 0xb2, 0xd2, 0x92,
    0xe2, 0xa2, 0xc2, 0x82, 0xfc, 0xbc, 0xdc, 0x9c, 0xec, 0xac, 0xcc, 0x8c, 0xf4, 0xb4, 0xd4, 0x94, 0xe4, 0xa4, 0xc4,
    0x84, 0xf8, 0xb8, 0xd8, 0x98, 0xe8, 0xa8, 0xc8, 0x88, 0xf0, 0xb0, 0xd0, 0x90, 0xe0, 0xa0, 0xc0, 0x00, 0x7f, 0x3f,
    0x5f, 0x1f, 0x6f, 0x2f, 0x4f, 0x0f, 0x77, 0x37, 0x57, 0x17, 0x67, 0x27, 0x47, 0x07, 0x7b, 0x3b, 0x5b, 0x1b, 0x6b,
    0x2b, 0x4b, 0x0b, 0x73, 0x33, 0x53, 0x13, 0x63, 0x23, 0x43, 0x03, 0x7d, 0x3d, 0x5d, 0x1d, 0x6d, 0x2d, 0x4d, 0x0d,
    0x75, 0x35, 0x55, 0x15, 0x65, 0x25, 0xfa, 0x9a, 0xcc, 0x05, 0x00, 0x07, 0x59, 0xc0, 0x52, 0x81, 0x02, 0x00, 0x00};

// The text both fixtures hold (641 bytes; CRC-32 0x52c05907 by Python's
// zlib.crc32).
Bytes sample_text() {
  std::string line;
  for (int i = 0; i < 3; ++i) line += "nnocr reads gzip. ";
  line += "The quick brown fox jumps over the lazy dog 0123456789.\n";
  std::string text;
  for (int i = 0; i < 4; ++i) text += line;
  for (int i = 0; i < 200; ++i) text += static_cast<char>(33 + (i * 7919) % 90);
  text += "\n";
  return Bytes(text.begin(), text.end());
}

void put_le32(Bytes& out, std::uint32_t v) {
  for (int k = 0; k < 4; ++k) out.push_back(static_cast<std::uint8_t>(v >> (8 * k)));
}

// gzip of `data` made of stored (uncompressed) deflate blocks of at most
// `block` bytes.
Bytes gzip_stored(const Bytes& data, std::size_t block = 65535) {
  Bytes out = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff};
  std::size_t pos = 0;
  do {
    const std::size_t n = std::min(block, data.size() - pos);
    const bool final = pos + n == data.size();
    out.push_back(final ? 1 : 0);  // BFINAL, BTYPE 00
    out.push_back(static_cast<std::uint8_t>(n));
    out.push_back(static_cast<std::uint8_t>(n >> 8));
    out.push_back(static_cast<std::uint8_t>(~n));
    out.push_back(static_cast<std::uint8_t>(~n >> 8));
    out.insert(out.end(), data.begin() + static_cast<std::ptrdiff_t>(pos),
               data.begin() + static_cast<std::ptrdiff_t>(pos + n));
    pos += n;
  } while (pos < data.size());
  put_le32(out, crc32(data.data(), data.size()));
  put_le32(out, static_cast<std::uint32_t>(data.size()));
  return out;
}

Bytes pseudo_random(std::size_t n, std::uint32_t seed) {
  Bytes out(n);
  for (auto& b : out) {
    seed = seed * 1664525u + 1013904223u;
    b = static_cast<std::uint8_t>(seed >> 24);
  }
  return out;
}

Bytes concat(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// The message of the nnocr::Error that `f` throws ("" when it does not).
std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return {};
}

std::string gunzip_error(const Bytes& bytes, std::size_t max_output = std::size_t{1} << 30) {
  return error_of([&] { gunzip(bytes.data(), bytes.size(), "sample.gz", max_output); });
}

// IDX bytes: magic, type, big-endian extents, then `payload`.
Bytes idx(std::uint8_t type, const std::vector<std::uint32_t>& dims, const Bytes& payload) {
  Bytes out = {0, 0, type, static_cast<std::uint8_t>(dims.size())};
  for (std::uint32_t d : dims)
    for (int k = 3; k >= 0; --k) out.push_back(static_cast<std::uint8_t>(d >> (8 * k)));
  return concat(out, payload);
}

std::string idx_error(const Bytes& bytes, std::size_t max_bytes = kIdxMaxBytes) {
  return error_of([&] { parse_idx_u8(bytes, "sample.idx", max_bytes); });
}

bool file_exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

}  // namespace

TEST_CASE("crc32 gives the standard check values") {
  const std::string check = "123456789";
  const auto* p = reinterpret_cast<const std::uint8_t*>(check.data());
  CHECK(crc32(p, check.size()) == 0xCBF43926u);
  CHECK(crc32(p, 0) == 0u);
  CHECK(crc32(p + 4, 5, crc32(p, 4)) == 0xCBF43926u);  // a running checksum
  const std::string fox = "The quick brown fox jumps over the lazy dog";
  CHECK(crc32(reinterpret_cast<const std::uint8_t*>(fox.data()), fox.size()) == 0x414FA339u);
  const Bytes text = sample_text();
  CHECK(crc32(text.data(), text.size()) == 0x52C05907u);
  // Every length and start (the 8-byte steps and the tail) against the
  // definition, one bit at a time.
  const auto bitwise = [](const std::uint8_t* p, std::size_t n) {
    std::uint32_t c = 0xFFFFFFFFu;
    for (std::size_t i = 0; i < n; ++i) {
      c ^= p[i];
      for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1)));
    }
    return ~c;
  };
  const Bytes noise = pseudo_random(100, 3);
  for (std::size_t start = 0; start < 9; ++start)
    for (std::size_t n = 0; start + n <= noise.size(); ++n) {
      CAPTURE(start);
      CAPTURE(n);
      REQUIRE(crc32(noise.data() + start, n) == bitwise(noise.data() + start, n));
    }
  for (std::size_t split = 0; split <= text.size(); ++split)
    REQUIRE(crc32(text.data() + split, text.size() - split, crc32(text.data(), split)) == 0x52C05907u);
}

TEST_CASE("gunzip inflates what the system gzip wrote") {
  const Bytes text = sample_text();
  REQUIRE(text.size() == 641);
  CHECK(gunzip(kSampleN9, "sample_n9.gz") == text);     // dynamic Huffman, no name
  CHECK(gunzip(kHelloTxtGz, "hello.txt.gz") == text);  // fixed Huffman, FNAME
  // Members concatenated (cat a.gz b.gz) decode to the concatenation.
  CHECK(gunzip(concat(kSampleN9, kHelloTxtGz), "two.gz") == concat(text, text));
}

TEST_CASE("gunzip: stored blocks, empty data, limits") {
  const Bytes big = pseudo_random(200000, 7);
  CHECK(gunzip(gzip_stored(big), "big.gz") == big);  // four stored blocks
  CHECK(gunzip(gzip_stored(big, 1000), "small-blocks.gz") == big);
  CHECK(gunzip(gzip_stored({}), "empty.gz").empty());
  CHECK(gunzip(gzip_stored({}), "empty.gz", 0).empty());
  CHECK(gunzip(concat(gzip_stored(big), kSampleN9), "mixed.gz") == concat(big, sample_text()));

  // The limit counts inflated bytes over all members.
  CHECK(gunzip(kSampleN9, "sample.gz", 641).size() == 641);
  const std::string e = gunzip_error(kSampleN9, 640);
  CHECK(e.find("sample.gz: ") == 0);
  CHECK(e.find("limit of 640 bytes") != std::string::npos);
  CHECK(gunzip_error(gzip_stored(big), 100000).find("limit of 100000") != std::string::npos);
  CHECK(gunzip_error(concat(kSampleN9, kSampleN9), 1000).find("limit of 1000") != std::string::npos);
  CHECK(gunzip_error(gzip_stored({1}), 0).find("limit of 0") != std::string::npos);
  // The allocation cap of the private stb is restored afterwards.
  CHECK(image::detail::stbi_allocation_cap() == std::size_t{1} << 30);
}

TEST_CASE("gunzip reads every optional header field") {
  // FTEXT | FHCRC | FEXTRA | FNAME | FCOMMENT around kSampleN9's deflate data.
  Bytes header = {0x1f, 0x8b, 8, 1 | 2 | 4 | 8 | 16, 1, 2, 3, 4, 0, 3};
  const Bytes extra = {'A', 'B', 4, 0, 'x', 'y', 'z', 'w'};
  header.push_back(static_cast<std::uint8_t>(extra.size()));
  header.push_back(0);
  header = concat(header, extra);
  const std::string name = "digits.idx", comment = "made by hand";
  header.insert(header.end(), name.begin(), name.end());
  header.push_back(0);
  header.insert(header.end(), comment.begin(), comment.end());
  header.push_back(0);
  const std::uint32_t hcrc = crc32(header.data(), header.size());
  header.push_back(static_cast<std::uint8_t>(hcrc));
  header.push_back(static_cast<std::uint8_t>(hcrc >> 8));
  const Bytes body(kSampleN9.begin() + 10, kSampleN9.end());
  const Bytes full = concat(header, body);
  CHECK(gunzip(full, "fields.gz") == sample_text());

  Bytes bad_hcrc = full;
  bad_hcrc[header.size() - 1] ^= 0x40;
  CHECK(gunzip_error(bad_hcrc).find("header CRC mismatch") != std::string::npos);
  // The header ends inside the extra field, the name, the comment, the CRC.
  for (std::size_t n = 10; n < header.size(); ++n) {
    CAPTURE(n);
    CHECK(gunzip_error(Bytes(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n)))
              .find("truncated gzip header") != std::string::npos);
  }
}

TEST_CASE("gunzip rejects bad data with errors that say what is wrong") {
  const auto has = [](const Bytes& bytes, const char* what) {
    const std::string e = gunzip_error(bytes);
    CAPTURE(e);
    return e.find("sample.gz: ") == 0 && e.find(what) != std::string::npos;
  };
  CHECK(has({}, "empty"));
  CHECK(has({0x1f}, "not gzip"));
  CHECK(has(sample_text(), "not gzip"));
  Bytes b = kSampleN9;
  b[1] = 0x8c;
  CHECK(has(b, "not gzip"));
  CHECK(has(Bytes(kSampleN9.begin(), kSampleN9.begin() + 5), "truncated gzip header"));
  b = kSampleN9;
  b[2] = 7;
  CHECK(has(b, "method 7"));
  b = kSampleN9;
  b[3] = 0x20;
  CHECK(has(b, "reserved gzip header flags"));
  b = kSampleN9;
  b[3] = 8;  // FNAME, but no zero byte follows
  b.erase(std::remove(b.begin() + 10, b.end(), 0), b.end());
  CHECK(has(b, "file name"));
  b = kSampleN9;
  b[3] = 4;  // FEXTRA of 0xED8D bytes
  CHECK(has(b, "extra field"));

  // Trailer: CRC-32, then ISIZE.
  b = kSampleN9;
  b[b.size() - 8] ^= 1;
  CHECK(has(b, "CRC-32 mismatch"));
  b = kSampleN9;
  b[b.size() - 4] ^= 1;
  CHECK(has(b, "size mismatch"));
  // Deflate: the reserved block type 3, and a stored block whose length
  // check (NLEN) is wrong.
  b = kSampleN9;
  b[10] |= 0x06;
  CHECK(has(b, "corrupt deflate data"));
  b = gzip_stored(sample_text());
  b[13] ^= 0xFF;
  CHECK(has(b, "corrupt deflate data"));
  // What follows a member must be another member.
  CHECK(has(concat(kSampleN9, {'x', 'y', 'z'}), "3 bytes of trailing data"));
  CHECK(has(concat(kSampleN9, Bytes(16, 0)), "trailing data"));
  CHECK(has(concat(kSampleN9, {0x1f, 0x8b, 8}), "truncated gzip header"));

  // Every truncation fails, and says where.
  for (std::size_t n = 0; n < kSampleN9.size(); ++n) {
    CAPTURE(n);
    CHECK(has(Bytes(kSampleN9.begin(), kSampleN9.begin() + static_cast<std::ptrdiff_t>(n)), ""));
  }
  // Every corrupted byte of the deflate data or the trailer fails, unless
  // it only touched padding bits (then the output is unchanged).
  const Bytes text = sample_text();
  for (std::size_t i = 10; i < kSampleN9.size(); ++i) {
    for (std::uint8_t mask : {0x01, 0x10, 0x80, 0xFF}) {
      b = kSampleN9;
      b[i] ^= mask;
      CAPTURE(i);
      CAPTURE(int{mask});
      const std::string e = gunzip_error(b);
      if (e.empty())
        CHECK(gunzip(b, "sample.gz") == text);
      else
        CHECK(e.find("sample.gz: ") == 0);
    }
  }
}

TEST_CASE("IDX: u8 tensors of the file's shape, other types as float") {
  Tensor<std::uint8_t> t = parse_idx_u8(idx(0x08, {2, 3}, {1, 2, 3, 4, 5, 250}), "a.idx");
  CHECK(t.shape() == Shape{2, 3});
  CHECK(t.at({1, 2}) == 250);
  CHECK(t.at({0, 1}) == 2);

  t = parse_idx_u8(idx(0x08, {0, 28, 28}, {}), "empty.idx");
  CHECK(t.shape() == Shape{0, 28, 28});
  t = parse_idx_u8(idx(0x08, {}, {42}), "scalar.idx");
  CHECK(t.rank() == 0);
  CHECK(t[0] == 42);
  t = parse_idx_u8(idx(0x08, {1, 1, 1, 1, 2}, {7, 8}), "rank5.idx");
  CHECK(t.shape() == Shape{1, 1, 1, 1, 2});

  const auto as_float = [](std::uint8_t type, const Bytes& payload) {
    return parse_idx_float(idx(type, {2}, payload), "typed.idx");
  };
  Tensor<float> f = as_float(0x08, {0, 255});
  CHECK(f[0] == 0.0f);
  CHECK(f[1] == 255.0f);
  f = as_float(0x09, {0xFF, 0x05});  // i8
  CHECK(f[0] == -1.0f);
  CHECK(f[1] == 5.0f);
  f = as_float(0x0B, {0xFE, 0xD4, 0x03, 0xE8});  // i16: -300, 1000
  CHECK(f[0] == -300.0f);
  CHECK(f[1] == 1000.0f);
  f = as_float(0x0C, {0xFF, 0xFE, 0xEE, 0x90, 0x00, 0x01, 0xE2, 0x40});  // i32: -70000, 123456
  CHECK(f[0] == -70000.0f);
  CHECK(f[1] == 123456.0f);
  f = as_float(0x0D, {0x3F, 0xC0, 0, 0, 0xC0, 0x10, 0, 0});  // f32: 1.5, -2.25
  CHECK(f[0] == 1.5f);
  CHECK(f[1] == -2.25f);
  f = parse_idx_float(idx(0x0E, {1}, {0x3F, 0xC0, 0, 0, 0, 0, 0, 0}), "f64.idx");  // 0.125
  CHECK(f[0] == 0.125f);
}

TEST_CASE("IDX: bad headers and sizes are rejected") {
  const auto has = [](const std::string& e, const char* what) {
    CAPTURE(e);
    return e.find("sample.idx: ") == 0 && e.find(what) != std::string::npos;
  };
  CHECK(has(idx_error({}), "truncated IDX header"));
  CHECK(has(idx_error({0, 0, 8}), "truncated IDX header"));
  CHECK(has(idx_error({1, 0, 8, 1, 0, 0, 0, 1, 5}), "not an IDX file"));
  CHECK(has(idx_error(kSampleN9), "it is gzip data"));
  CHECK(has(idx_error(idx(0x0A, {1}, {0})), "unknown IDX element type 0xa"));
  CHECK(has(idx_error(idx(0x08, {1, 1, 1, 1, 1, 1}, {0})), "6 dimensions"));
  CHECK(has(idx_error({0, 0, 8, 3, 0, 0, 0, 1, 0, 0}), "truncated IDX header"));
  CHECK(has(idx_error(idx(0x08, {2, 3}, {1, 2, 3, 4, 5})), "truncated IDX data"));
  CHECK(has(idx_error(idx(0x0B, {3}, {1, 2, 3, 4, 5})), "needs 6 bytes"));
  CHECK(has(idx_error(idx(0x08, {2, 3}, {1, 2, 3, 4, 5, 6, 7})), "1 trailing bytes"));
  // Sizes that overflow 64 bits, or exceed the limit, fail before anything
  // is allocated — also when another extent is 0.
  CHECK(has(idx_error(idx(0x08, {0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF}, {})), "larger than the limit"));
  CHECK(has(idx_error(idx(0x0E, {0, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF}, {})), "larger than the limit"));
  CHECK(has(idx_error(idx(0x08, {100}, Bytes(100)), 99), "limit of 99 bytes"));
  CHECK(idx_error(idx(0x08, {100}, Bytes(100)), 100).empty());
  CHECK(has(idx_error(idx(0x0D, {1}, {0, 0, 0, 0})), "f32, not u8"));
  // Every truncation of a valid file fails.
  const Bytes good = idx(0x08, {2, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8});
  for (std::size_t n = 0; n < good.size(); ++n)
    CHECK(!idx_error(Bytes(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n))).empty());
}

TEST_CASE("read_idx_u8 reads plain and gzipped files") {
  const Bytes plain = idx(0x08, {2, 2}, {10, 20, 30, 40});
  const std::string a = "nnocr_test_idx_a.idx", b = "nnocr_test_idx_b.idx.gz", c = "nnocr_test_idx_c.idx",
                    d = "nnocr_test_idx_d.gz";
  write_file_atomic(a, plain);
  write_file_atomic(b, gzip_stored(plain));
  write_file_atomic(c, gzip_stored(plain));  // gzip found by its magic, not its name
  write_file_atomic(d, plain);               // a .gz name that is not gzip
  for (const std::string& path : {a, b, c}) {
    CAPTURE(path);
    const Tensor<std::uint8_t> t = read_idx_u8(path);
    CHECK(t.shape() == Shape{2, 2});
    CHECK(t.at({1, 0}) == 30);
  }
  CHECK(error_of([&] { read_idx_u8(d); }).find(d + ": not gzip data") == 0);
  CHECK(error_of([&] { read_idx_u8("nnocr_test_idx_missing.idx"); }).find("no such file") != std::string::npos);
  CHECK(read_idx_float(b)[3] == 40.0f);
  for (const std::string& path : {a, b, c, d}) std::remove(path.c_str());
}

TEST_CASE("load_idx_dataset checks shapes, counts and labels") {
  const std::string images = "nnocr_test_idx_images.idx", labels = "nnocr_test_idx_labels.idx";
  write_file_atomic(images, idx(0x08, {3, 2, 2}, Bytes(12, 9)));
  const auto load_with_labels = [&](const Bytes& label_file) {
    write_file_atomic(labels, label_file);
    return load_idx_dataset(images, labels);
  };
  const auto error_with_labels = [&](const Bytes& label_file) {
    return error_of([&] { load_with_labels(label_file); });
  };
  IdxDataset set = load_with_labels(idx(0x08, {3}, {0, 9, 255}));
  CHECK(set.images.shape() == Shape{3, 2, 2});
  CHECK(set.labels.shape() == Shape{3});
  CHECK(set.labels[2] == 255);
  set = load_with_labels(idx(0x0C, {3}, {0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 200}));  // i32 labels
  CHECK(set.labels[2] == 200);

  CHECK(error_with_labels(idx(0x08, {4}, {0, 1, 2, 3})).find("holds 3 images but") != std::string::npos);
  CHECK(error_with_labels(idx(0x08, {3, 1}, {0, 1, 2})).find("expected labels of shape [N]") != std::string::npos);
  CHECK(error_with_labels(idx(0x0B, {3}, {0, 1, 0, 2, 0x01, 0x2C})).find("label 300 of item 2") !=
        std::string::npos);
  CHECK(error_with_labels(idx(0x09, {3}, {0, 0xFF, 2})).find("label -1 of item 1") != std::string::npos);
  CHECK(error_with_labels(idx(0x0D, {3}, Bytes(12))).find("integer type") != std::string::npos);
  write_file_atomic(images, idx(0x08, {3, 4}, Bytes(12, 9)));
  CHECK(error_with_labels(idx(0x08, {3}, {0, 1, 2})).find("[N, H, W]") != std::string::npos);
  std::remove(images.c_str());
  std::remove(labels.c_str());
}

TEST_CASE("the bundled MNIST subset: 8000 + 2000 digits, every class in both") {
  const std::string dir = std::string(NNOCR_SOURCE_DIR) + "/data/mnist/";
  // CRC-32 of the inflated files, from Python's zlib.crc32 (an oracle
  // independent of ours).
  const Bytes raw = gunzip(read_file(dir + "t10k-images-idx3-ubyte.gz"), "t10k-images");
  CHECK(raw.size() == 16 + 2000 * 784);
  CHECK(crc32(raw.data(), raw.size()) == 0xB3827391u);

  // Per-class counts of the stratified split (data/mnist/README.md).
  const std::array<int, 10> train_counts = {801, 902, 793, 826, 784, 690, 811, 856, 755, 782};
  const std::array<int, 10> test_counts = {200, 225, 198, 206, 196, 173, 203, 214, 189, 196};
  for (const char* split : {"train", "t10k"}) {
    CAPTURE(split);
    const IdxDataset set = load_idx_dataset(dir + split + "-images-idx3-ubyte.gz",
                                            dir + split + "-labels-idx1-ubyte.gz");
    const bool train = std::string(split) == "train";
    const index_t n = train ? 8000 : 2000;
    REQUIRE(set.images.shape() == Shape{n, 28, 28});
    REQUIRE(set.labels.shape() == Shape{n});
    std::array<int, 10> counts{};
    for (index_t i = 0; i < n; ++i) {
      REQUIRE(set.labels[i] >= 0);
      REQUIRE(set.labels[i] <= 9);
      ++counts[static_cast<std::size_t>(set.labels[i])];
    }
    CHECK(counts == (train ? train_counts : test_counts));
    // Shuffled, not sorted by class.
    CHECK(set.labels[0] != set.labels[1]);
    double sum = 0;
    int max_pixel = 0;
    for (const std::uint8_t p : set.images) {
      sum += p;
      max_pixel = std::max(max_pixel, int{p});
    }
    const double mean = sum / static_cast<double>(set.images.numel());
    CHECK(max_pixel == 255);
    CHECK(mean > 30.0);  // MNIST's mean pixel is about 33.3 (0.1307 * 255)
    CHECK(mean < 37.0);
    // The border is background: MNIST digits sit in a 20x20 box.
    int border = 0;
    for (index_t i = 0; i < n; ++i) border += set.images(i, 0, 0) + set.images(i, 27, 27);
    CHECK(border == 0);
  }
}

TEST_CASE("Fashion-MNIST from Debian's dataset-fashion-mnist, when installed") {
  const std::string dir = "/usr/share/datasets/fashion-mnist/";
  if (!file_exists(dir + "t10k-images-idx3-ubyte.gz")) {
    MESSAGE("skipped: " << dir << " is absent (apt-get install dataset-fashion-mnist)");
    return;
  }
  const IdxDataset set = load_idx_dataset(dir + "t10k-images-idx3-ubyte.gz", dir + "t10k-labels-idx1-ubyte.gz");
  CHECK(set.images.shape() == Shape{10000, 28, 28});
  std::array<int, 10> counts{};
  for (const std::int32_t label : set.labels) {
    REQUIRE(label >= 0);
    REQUIRE(label <= 9);
    ++counts[static_cast<std::size_t>(label)];
  }
  for (int c : counts) CHECK(c == 1000);  // 1000 test items per class
}
