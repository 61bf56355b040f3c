// gzip.hpp — reading gzip data (RFC 1952) in memory, and CRC-32.
//
// A gzip file is one or more members, each: a 10-byte header (magic 1f 8b,
// method 8 = deflate, flags, time, extra flags, OS), optional fields chosen
// by the flags (FEXTRA: 2-byte length + data; FNAME and FCOMMENT:
// zero-terminated strings; FHCRC: the low 16 bits of the CRC-32 of the
// header so far), the raw deflate stream (RFC 1951), and an 8-byte trailer:
// CRC-32 of the uncompressed data and its size mod 2^32 (ISIZE), both
// little-endian. Members decode to the concatenation of their data.
//
// Inflating is done by the private copy of stb_image's zlib decoder (see
// image/detail/stb_image.hpp), with its allocations capped by the output
// limit. stb's public zlib calls do not say where the deflate stream ended,
// which the trailer and a next member need, so gunzip drives stb's internal
// decoder state (stbi__zbuf, stbi__do_zlib) directly: after decoding, the
// input consumed is the bytes read minus the bits still buffered.
//
// Every failure is an nnocr::Error naming the input and the byte offset.
#pragma once

#include <algorithm>
#include <array>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "../core/error.hpp"
#include "../image/detail/stb_image.hpp"

namespace nnocr::data {

namespace detail {

// CRC-32 of ISO 3309 / ITU-T V.42 (gzip, zlib, PNG): the bit-reflected
// polynomial 0xEDB88320. Table 0 advances the CRC by one byte; table k by
// one byte followed by k zero bytes, which lets crc32() fold in 8 bytes per
// step ("slicing-by-8", Kounavis and Berry, Intel 2005) — about 3x faster
// than one byte per step, and the same result.
using Crc32Tables = std::array<std::array<std::uint32_t, 256>, 8>;
constexpr Crc32Tables make_crc32_tables() {
  Crc32Tables t{};
  for (std::uint32_t n = 0; n < 256; ++n) {
    std::uint32_t c = n;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    t[0][n] = c;
  }
  for (std::size_t k = 1; k < 8; ++k)
    for (std::size_t n = 0; n < 256; ++n) t[k][n] = (t[k - 1][n] >> 8) ^ t[0][t[k - 1][n] & 0xFF];
  return t;
}
inline constexpr Crc32Tables kCrc32Tables = make_crc32_tables();

inline std::uint32_t load_le32(const std::uint8_t* p) {
  return p[0] | (std::uint32_t{p[1]} << 8) | (std::uint32_t{p[2]} << 16) | (std::uint32_t{p[3]} << 24);
}

// Restores stb's per-thread allocation cap when a decode ends either way.
class StbCapGuard {
 public:
  explicit StbCapGuard(std::size_t cap) : saved_(image::detail::stbi_allocation_cap()) {
    image::detail::stbi_allocation_cap() = cap;
  }
  ~StbCapGuard() { image::detail::stbi_allocation_cap() = saved_; }
  StbCapGuard(const StbCapGuard&) = delete;
  StbCapGuard& operator=(const StbCapGuard&) = delete;

 private:
  std::size_t saved_;
};

// Parses one member header starting at `pos`; returns the offset of its
// deflate data.
inline std::size_t parse_gzip_header(const std::uint8_t* data, std::size_t size, std::size_t pos,
                                     const std::string& where);

}  // namespace detail

// CRC-32 of `size` bytes; pass a previous result as `crc` to continue a
// running checksum (crc32("ab") == crc32("b", crc32("a"))).
inline std::uint32_t crc32(const std::uint8_t* data, std::size_t size, std::uint32_t crc = 0) {
  const auto& t = detail::kCrc32Tables;
  crc = ~crc;
  for (; size >= 8; size -= 8, data += 8) {
    const std::uint32_t lo = crc ^ detail::load_le32(data), hi = detail::load_le32(data + 4);
    crc = t[7][lo & 0xFF] ^ t[6][(lo >> 8) & 0xFF] ^ t[5][(lo >> 16) & 0xFF] ^ t[4][lo >> 24] ^
          t[3][hi & 0xFF] ^ t[2][(hi >> 8) & 0xFF] ^ t[1][(hi >> 16) & 0xFF] ^ t[0][hi >> 24];
  }
  for (; size > 0; --size, ++data) crc = t[0][(crc ^ *data) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

// True when `data` starts with the gzip magic bytes 1f 8b.
inline bool looks_like_gzip(const std::uint8_t* data, std::size_t size) {
  return size >= 2 && data[0] == 0x1F && data[1] == 0x8B;
}

// Decompresses gzip data (one or more members) held in memory. `where`
// names the input in errors (usually the file name). Throws nnocr::Error
// when the data is not gzip, a header or trailer is truncated, the deflate
// data is corrupt, a CRC-32 or size in a trailer does not match, bytes
// other than another member follow a member, or the output would exceed
// `max_output` bytes (at most 2^31 - 1, stb's limit; larger is clamped).
inline std::vector<std::uint8_t> gunzip(const std::uint8_t* data, std::size_t size, const std::string& where,
                                        std::size_t max_output = std::size_t{1} << 30) {
  namespace stb = image::detail::stb;
  NNOCR_CHECK(data != nullptr || size == 0, where, ": null gzip data");
  NNOCR_CHECK(size > 0, where, ": empty input, not gzip data");
  NNOCR_CHECK(looks_like_gzip(data, size), where, ": not gzip data (no 1f 8b magic at byte 0)");
  max_output = std::min<std::size_t>(max_output, INT_MAX);

  std::vector<std::uint8_t> out;
  std::size_t pos = 0;
  for (int member = 0;; ++member) {
    const std::size_t deflate_begin = detail::parse_gzip_header(data, size, pos, where);
    const std::size_t remaining = max_output - out.size();

    // First output buffer: the last member's ISIZE is a good guess (exact
    // for a single member), bounded by the limit and by deflate's best
    // ratio (a 258-byte match in 2 bits: 1032 to 1), and never 0, which
    // stb's buffer doubling could not grow from.
    std::size_t guess = size - deflate_begin >= 8 ? detail::load_le32(data + size - 4) : 0;
    const std::size_t in_bytes = size - deflate_begin;
    const std::size_t ratio_bound = in_bytes > INT_MAX / 1032 ? std::size_t{INT_MAX} : in_bytes * 1032 + 64;
    guess = std::max<std::size_t>(1, std::min({guess, remaining, ratio_bound}));
    // stb grows the buffer by doubling; allow exactly the doublings that
    // can hold `remaining` bytes, so the cap never stops a legal stream.
    std::size_t cap = guess;
    while (cap < remaining) cap *= 2;

    stb::stbi__zbuf z;
    std::memset(&z, 0, sizeof z);
    z.zbuffer = const_cast<stb::stbi_uc*>(data + deflate_begin);
    z.zbuffer_end = const_cast<stb::stbi_uc*>(data + size);
    char* buffer = nullptr;
    int ok = 0;
    {
      const detail::StbCapGuard cap_guard(cap);
      buffer = static_cast<char*>(image::detail::stbi_malloc_capped(guess));
      NNOCR_CHECK(buffer != nullptr, where, ": out of memory allocating ", guess, " bytes for gzip member ", member);
      stb::stbi__g_failure_reason = nullptr;
      ok = stb::stbi__do_zlib(&z, buffer, static_cast<int>(guess), /*exp=*/1, /*parse_header=*/0);
    }
    // On failure z.zout_start is still the last buffer stb held.
    struct FreeOnExit {
      char* p;
      ~FreeOnExit() { std::free(p); }
    } owned{z.zout_start};
    if (!ok) {
      const char* why = stb::stbi_failure_reason();
      NNOCR_CHECK(!(why && std::strcmp(why, "outofmem") == 0), where, ": gzip member ", member,
                  " inflates to more than the limit of ", max_output, " bytes in all");
      // stb reads at most 4 bytes ahead of the bits it has decoded.
      const std::size_t near = static_cast<std::size_t>(z.zbuffer - data);
      throw Error(where + ": corrupt deflate data in gzip member " + std::to_string(member) + " (" +
                  (why ? why : "invalid block type") + ") near byte offset " + std::to_string(near));
    }
    const std::size_t produced = static_cast<std::size_t>(z.zout - z.zout_start);

    // stb reads up to 4 bytes ahead and invents zeros past the end of its
    // input; a stream that reached the end left no room for the 8-byte
    // trailer, so it was cut short (or is corrupt).
    NNOCR_CHECK(z.zbuffer < z.zbuffer_end, where, ": truncated gzip data: the deflate stream of member ", member,
                " runs to the end of the input with no trailer");
    const std::size_t bytes_read = static_cast<std::size_t>(z.zbuffer - (data + deflate_begin));
    const std::size_t bits_used = bytes_read * 8 - static_cast<std::size_t>(z.num_bits);
    const std::size_t trailer = deflate_begin + (bits_used + 7) / 8;
    NNOCR_CHECK(size - trailer >= 8, where, ": truncated gzip trailer of member ", member, " at byte offset ",
                trailer, " (", size - trailer, " of 8 bytes)");
    NNOCR_CHECK(produced <= remaining, where, ": gzip data inflates to more than the limit of ", max_output,
                " bytes");
    const std::uint32_t stored_crc = detail::load_le32(data + trailer);
    const std::uint32_t stored_size = detail::load_le32(data + trailer + 4);
    NNOCR_CHECK(stored_size == static_cast<std::uint32_t>(produced), where, ": size mismatch in gzip member ",
                member, ": the trailer says ", stored_size, " bytes (mod 2^32), the data inflated to ", produced);
    const auto* bytes = reinterpret_cast<const std::uint8_t*>(z.zout_start);
    const std::uint32_t actual_crc = crc32(bytes, produced);
    if (actual_crc != stored_crc) {
      std::ostringstream msg;
      msg << where << ": CRC-32 mismatch in gzip member " << member << ": the trailer says 0x" << std::hex
          << stored_crc << ", the data has 0x" << actual_crc;
      throw Error(msg.str());
    }
    out.insert(out.end(), bytes, bytes + produced);
    pos = trailer + 8;
    if (pos == size) return out;
    NNOCR_CHECK(looks_like_gzip(data + pos, size - pos), where, ": ", size - pos,
                " bytes of trailing data after gzip member ", member, " at byte offset ", pos);
  }
}

inline std::vector<std::uint8_t> gunzip(const std::vector<std::uint8_t>& bytes, const std::string& where,
                                        std::size_t max_output = std::size_t{1} << 30) {
  return gunzip(bytes.data(), bytes.size(), where, max_output);
}

namespace detail {

inline std::size_t parse_gzip_header(const std::uint8_t* data, std::size_t size, std::size_t pos,
                                     const std::string& where) {
  constexpr std::uint8_t kText = 1, kHeaderCrc = 2, kExtra = 4, kName = 8, kComment = 16;
  const std::size_t start = pos;
  NNOCR_CHECK(size - pos >= 10, where, ": truncated gzip header at byte offset ", pos, " (", size - pos,
              " of 10 bytes)");
  NNOCR_CHECK(looks_like_gzip(data + pos, size - pos), where, ": not gzip data at byte offset ", pos);
  NNOCR_CHECK(data[pos + 2] == 8, where, ": gzip compression method ", int{data[pos + 2]}, " at byte offset ",
              pos + 2, " is not deflate (8)");
  const std::uint8_t flags = data[pos + 3];
  NNOCR_CHECK((flags & ~(kText | kHeaderCrc | kExtra | kName | kComment)) == 0, where,
              ": reserved gzip header flags set (0x", std::hex, int{flags}, std::dec, ") at byte offset ", pos + 3);
  pos += 10;
  if (flags & kExtra) {
    NNOCR_CHECK(size - pos >= 2, where, ": truncated gzip header: the extra field's length at byte offset ", pos,
                " is cut off");
    const std::size_t length = data[pos] | (std::size_t{data[pos + 1]} << 8);
    pos += 2;
    NNOCR_CHECK(size - pos >= length, where, ": truncated gzip header: the extra field of ", length,
                " bytes at byte offset ", pos, " is cut off");
    pos += length;
  }
  for (const std::uint8_t field : {kName, kComment}) {
    if (!(flags & field)) continue;
    const void* end = pos < size ? std::memchr(data + pos, 0, size - pos) : nullptr;
    NNOCR_CHECK(end != nullptr, where, ": truncated gzip header: the ", field == kName ? "file name" : "comment",
                " at byte offset ", pos, " has no terminating zero");
    pos = static_cast<std::size_t>(static_cast<const std::uint8_t*>(end) - data) + 1;
  }
  if (flags & kHeaderCrc) {
    NNOCR_CHECK(size - pos >= 2, where, ": truncated gzip header: the header CRC at byte offset ", pos,
                " is cut off");
    const std::uint32_t stored = data[pos] | (std::uint32_t{data[pos + 1]} << 8);
    NNOCR_CHECK(stored == (crc32(data + start, pos - start) & 0xFFFF), where,
                ": gzip header CRC mismatch at byte offset ", pos);
    pos += 2;
  }
  return pos;
}

}  // namespace detail
}  // namespace nnocr::data
