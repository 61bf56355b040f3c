// io.hpp — reading images: PNG, JPEG, BMP, TGA, GIF (first frame) through a
// private copy of stb_image, and PGM/PPM through our own parser. Every
// failure is an nnocr::Error naming the file and the decoder's reason.
//
// The header is checked before any pixel is decoded: the size must be
// positive and width * height within max_pixels, and stb's allocations are
// capped to what an image of that size can need.
#pragma once

#include <algorithm>
#include <climits>
#include <cstring>
#include <cstdint>
#include <string>
#include <vector>

#include "../core/error.hpp"
#include "../core/file.hpp"
#include "detail/stb_image.hpp"
#include "image.hpp"
#include "pnm.hpp"

namespace nnocr::image {

struct DecodeOptions {
  std::int64_t max_pixels = kDefaultMaxPixels;
  std::int64_t max_file_bytes = std::int64_t{1} << 30;  // 1 GiB
};

namespace detail {

inline std::uint32_t read_le32(const std::uint8_t* p) {
  return p[0] | (std::uint32_t{p[1]} << 8) | (std::uint32_t{p[2]} << 16) | (std::uint32_t{p[3]} << 24);
}

// stb_image 2.27 trusts the symbol counts of a JPEG Huffman table (DHT
// segment): counts adding up to more than 256 make it write past its
// 257-entry code-length and 256-entry symbol arrays (found by fuzzing; its
// header-only stbi_info reads DHT segments too). Walk the markers as stb
// does — skipping bytes up to the next 0xFF, segments by their length, and
// stuffed bytes and restart markers in entropy-coded data — and check every
// DHT segment it could reach, reading its tables as stb does.
inline void check_jpeg_huffman_tables(const std::uint8_t* data, std::size_t size, const std::string& name) {
  const auto byte = [&](std::size_t i) -> std::size_t { return i < size ? data[i] : 0; };  // stb reads 0 past the end
  std::size_t start = 0;  // stb takes FF D8, after any number of FF fill bytes, for a JPEG
  while (start < size && data[start] == 0xff) ++start;
  if (start < 1 || start >= size || data[start] != 0xd8) return;
  for (std::size_t pos = start + 1; pos < size;) {
    if (data[pos] != 0xff) {
      ++pos;
      continue;
    }
    std::size_t at = pos + 1;
    while (at < size && data[at] == 0xff) ++at;
    if (at + 2 >= size) return;
    const std::uint8_t marker = data[at];
    pos = at + 1;
    if (marker == 0x00 || marker == 0x01 || (marker >= 0xd0 && marker <= 0xd8)) continue;  // no length field
    if (marker == 0xd9) return;  // end of image: stb stops
    const std::size_t length = (std::size_t{data[pos]} << 8) | data[pos + 1];
    if (length < 2) return;  // stb skips to the end of the data
    if (marker == 0xc4) {
      std::size_t table = pos + 2;
      for (std::ptrdiff_t left = static_cast<std::ptrdiff_t>(length) - 2; left > 0 && table < size;) {
        std::size_t symbols = 0;
        for (std::size_t i = 1; i <= 16; ++i) symbols += byte(table + i);
        NNOCR_CHECK(symbols <= 256, name, ": corrupt JPEG: Huffman table of ", symbols,
                    " symbols (at most 256) at byte ", table);
        left -= static_cast<std::ptrdiff_t>(17 + symbols);
        table += 17 + symbols;
      }
    }
    pos += length;
  }
}

inline std::uint32_t read_be32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}
inline int read_le16(const std::uint8_t* p) { return p[0] | (p[1] << 8); }

// The format stb will take the bytes for, by their first bytes as stb's own
// tests look at them; anything else that passed stbi_info is a TGA (TGA has
// no signature, stb tries it last, and its header check rejects the other
// formats' first bytes).
enum class StbFormat { png, jpeg, bmp, gif, tga };
inline StbFormat stb_format(const std::uint8_t* data, std::size_t size) {
  static const std::uint8_t png[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (size >= 8 && std::memcmp(data, png, 8) == 0) return StbFormat::png;
  std::size_t fill = 0;  // stb takes FF D8, after any number of FF fill bytes, for a JPEG
  while (fill < size && data[fill] == 0xff) ++fill;
  if (fill >= 1 && fill < size && data[fill] == 0xd8) return StbFormat::jpeg;
  if (size >= 2 && data[0] == 'B' && data[1] == 'M') return StbFormat::bmp;
  if (size >= 4 && std::memcmp(data, "GIF8", 4) == 0) return StbFormat::gif;
  return StbFormat::tga;
}

// The pixel count of a GIF image's LZW data (the sub-blocks' bytes joined),
// decoded as stb decodes it, stopping at `enough` pixels; -1 when the data
// is invalid (stb then fails with its own reason).
inline std::int64_t gif_lzw_pixels(const std::vector<std::uint8_t>& bytes, int min_code_size, std::int64_t enough) {
  if (min_code_size > 12) return -1;
  const int clear = 1 << min_code_size;
  std::vector<std::int64_t> length(8192, 1);  // pixels each code stands for
  int code_size = min_code_size + 1, avail = clear + 2, old = -1;
  std::uint32_t bits = 0;
  int valid = 0;
  std::int64_t pixels = 0;
  for (std::size_t i = 0; pixels < enough;) {
    if (valid < code_size) {
      if (i == bytes.size()) break;
      bits |= std::uint32_t{bytes[i++]} << valid;
      valid += 8;
      continue;
    }
    const int code = static_cast<int>(bits & ((1u << code_size) - 1));
    bits >>= code_size;
    valid -= code_size;
    if (code == clear) {
      code_size = min_code_size + 1, avail = clear + 2, old = -1;
    } else if (code == clear + 1) {
      break;
    } else if (code <= avail) {
      if (old >= 0) {
        if (avail >= 8192) return -1;
        length[static_cast<std::size_t>(avail)] = length[static_cast<std::size_t>(old)] + 1;
        ++avail;
      } else if (code == avail) {
        return -1;
      }
      pixels += length[static_cast<std::size_t>(code)];
      if ((avail & ((1 << code_size) - 1)) == 0 && avail <= 0x0fff) ++code_size;
      old = code;
    } else {
      return -1;
    }
  }
  return pixels;
}

// stb_image reads zeros past the end of a file instead of failing, and
// stops at the end of its data without complaint, so a truncated file
// would decode into a partly black (or background) image. Catch the
// truncation from the file's own structure first: PNG needs every chunk
// up to IEND, JPEG an end-of-image marker after its last scan, BMP the
// rows its header promises, TGA the pixels (or RLE packets) its header
// promises, GIF every block up to its trailer and, in its first image,
// LZW data for every pixel.
inline void check_complete(const std::uint8_t* data, std::size_t size, int w, int h, const std::string& name) {
  const StbFormat format = stb_format(data, size);
  if (format == StbFormat::png) {
    for (std::size_t pos = 8;;) {
      NNOCR_CHECK(pos + 8 <= size, name, ": truncated PNG: no IEND chunk (chunk header cut at byte ", pos, ")");
      const std::uint64_t length = read_be32(data + pos);
      NNOCR_CHECK(length < (std::uint64_t{1} << 31), name, ": corrupt PNG: chunk length ", length, " at byte ", pos);
      NNOCR_CHECK(pos + 12 + length <= size, name, ": truncated PNG: chunk at byte ", pos, " needs ",
                  12 + length, " bytes, ", size - pos, " left");
      if (std::memcmp(data + pos + 4, "IEND", 4) == 0) break;
      pos += 12 + static_cast<std::size_t>(length);
    }
  } else if (format == StbFormat::jpeg) {
    // Entropy-coded data stuffs every 0xFF, so after the last start-of-scan
    // marker the only FF D9 is the end-of-image marker.
    std::size_t last_sos = 0;
    for (std::size_t i = 2; i + 1 < size; ++i)
      if (data[i] == 0xff && data[i + 1] == 0xda) last_sos = i;
    bool eoi = false;
    for (std::size_t i = last_sos; last_sos && i + 1 < size && !eoi; ++i) eoi = data[i] == 0xff && data[i + 1] == 0xd9;
    NNOCR_CHECK(eoi, name, ": truncated JPEG (no end-of-image marker after the last scan)");
  } else if (format == StbFormat::bmp) {
    NNOCR_CHECK(size >= 26, name, ": truncated BMP header (", size, " bytes)");
    const std::uint32_t offset = read_le32(data + 10), header = read_le32(data + 14);
    NNOCR_CHECK(size >= 14 + std::uint64_t{header}, name, ": truncated BMP header (", size, " bytes, the header needs ",
                14 + std::uint64_t{header}, ")");
    // The 12-byte OS/2 header has 16-bit sizes and no compression field.
    const int bpp = read_le16(data + (header == 12 ? 24 : 28));
    const std::uint32_t compression = header == 12 ? 0 : read_le32(data + 30);
    if ((compression == 0 || compression == 3) && bpp > 0) {  // uncompressed rows, padded to 4 bytes
      const std::uint64_t row = (static_cast<std::uint64_t>(bpp) * static_cast<std::uint64_t>(w) + 31) / 32 * 4;
      const std::uint64_t need = offset + row * static_cast<std::uint64_t>(h);
      NNOCR_CHECK(size >= need, name, ": truncated BMP: ", size, " bytes, the header needs ", need);
    }
  } else if (format == StbFormat::tga) {
    NNOCR_CHECK(size >= 18, name, ": truncated TGA header (", size, " of 18 bytes)");
    const bool indexed = data[1] != 0, rle = data[2] >= 8;
    const int bits = data[16];
    // What stb reads, in its order: the ID field, for indexed images the
    // bytes it skips (it takes the first-entry field for a byte count) and
    // the palette, then the pixels: indices of 1 or 2 bytes, or samples of
    // (bits + 7) / 8 bytes (15-bit RGB takes two).
    std::uint64_t pos = 18 + std::uint64_t{data[0]};
    if (indexed) pos += static_cast<std::uint64_t>(read_le16(data + 3)) + static_cast<std::uint64_t>(read_le16(data + 5)) * ((data[7] + 7u) / 8);
    const std::uint64_t pixel = indexed ? (bits == 8 ? 1 : 2) : (static_cast<std::uint64_t>(bits) + 7) / 8;
    const std::uint64_t pixels = static_cast<std::uint64_t>(w) * static_cast<std::uint64_t>(h);
    if (!rle) {
      NNOCR_CHECK(size >= pos + pixels * pixel, name, ": truncated TGA: ", size, " bytes, the header needs ",
                  pos + pixels * pixel);
    } else {
      for (std::uint64_t done = 0; done < pixels;) {
        NNOCR_CHECK(pos < size, name, ": truncated TGA: RLE data ends after ", done, " of ", pixels, " pixels");
        const std::uint8_t packet = data[pos++];
        const std::uint64_t count = std::min<std::uint64_t>(1 + (packet & 127), pixels - done);
        pos += (packet & 128) ? pixel : count * pixel;
        NNOCR_CHECK(pos <= size, name, ": truncated TGA: RLE data ends within the packet for pixels ", done, " to ",
                    done + count - 1, " of ", pixels);
        done += count;
      }
    }
  } else {  // GIF
    std::size_t pos = 13;
    NNOCR_CHECK(size >= pos, name, ": truncated GIF header (", size, " of 13 bytes)");
    auto color_table = [](std::uint8_t flags) -> std::size_t { return flags & 0x80 ? std::size_t{3} << ((flags & 7) + 1) : 0; };
    pos += color_table(data[10]);
    auto need = [&](std::size_t n, const char* what) {
      NNOCR_CHECK(n <= size && pos <= size - n, name, ": truncated GIF: ", what, " at byte ", pos, " cut (",
                  size, " bytes; no trailer)");
    };
    // Sub-blocks up to the empty one; their bytes go to `into` when given.
    auto sub_blocks = [&](std::vector<std::uint8_t>* into) {
      for (;;) {
        need(1, "data sub-block");
        const std::size_t n = data[pos++];
        if (n == 0) return;
        need(n, "data sub-block");
        if (into) into->insert(into->end(), data + pos, data + pos + n);
        pos += n;
      }
    };
    bool first = true;
    for (;;) {
      need(1, "block");
      const std::uint8_t block = data[pos++];
      if (block == 0x3b) break;  // trailer
      if (block == 0x21) {  // extension: label, sub-blocks
        need(1, "extension");
        ++pos;
        sub_blocks(nullptr);
      } else if (block == 0x2c) {  // image: descriptor, colour table, LZW code size, sub-blocks
        need(9, "image descriptor");
        const int x = read_le16(data + pos), y = read_le16(data + pos + 2);
        const int fw = read_le16(data + pos + 4), fh = read_le16(data + pos + 6);
        const std::int64_t frame = std::int64_t{fw} * fh;
        const bool inside = x + fw <= w && y + fh <= h;  // else stb rejects the descriptor itself
        const std::uint8_t flags = data[pos + 8];
        pos += 9;
        need(color_table(flags) + 1, "image colour table and LZW code size");
        pos += color_table(flags);
        const int min_code_size = data[pos++];
        std::vector<std::uint8_t> lzw;
        sub_blocks(first ? &lzw : nullptr);
        if (first && inside) {
          const std::int64_t decoded = gif_lzw_pixels(lzw, min_code_size, frame);
          NNOCR_CHECK(decoded < 0 || decoded >= frame, name, ": truncated GIF: the first image's data ends after ",
                      decoded, " of ", frame, " pixels");
        }
        first = false;
      } else {
        throw Error(name + ": corrupt GIF: unknown block type " + std::to_string(block) + " at byte " +
                    std::to_string(pos - 1));
      }
    }
    NNOCR_CHECK(!first, name, ": GIF without an image");
  }
}

}  // namespace detail

inline Image decode_image(const std::uint8_t* data, std::size_t size, const std::string& name,
                          const DecodeOptions& options = {}) {
  NNOCR_CHECK(data != nullptr || size == 0, name, ": null data");
  NNOCR_CHECK(size > 0, name, ": empty file");
  NNOCR_CHECK(static_cast<std::int64_t>(size) <= options.max_file_bytes && size <= static_cast<std::size_t>(INT_MAX),
              name, ": file of ", size, " bytes exceeds the limit");
  if (looks_like_pnm(data, size)) return decode_pnm(data, size, name, options.max_pixels);
  namespace stb = detail::stb;
  detail::check_jpeg_huffman_tables(data, size, name);
  int w = 0, h = 0, c = 0;
  const int len = static_cast<int>(size);
  if (!stb::stbi_info_from_memory(data, len, &w, &h, &c)) {
    const char* why = stb::stbi_failure_reason();
    throw Error(name + ": not a readable PNG, JPEG, BMP, TGA, GIF or PGM/PPM image (" + (why ? why : "unknown") +
                ")");
  }
  Image::check_size(w, h, c, options.max_pixels, name);
  detail::check_complete(data, size, w, h, name);
  // Room for the decoded pixels at 16 bits per sample, plus the decoder's
  // own buffers (compressed data, one row of filters, JPEG components).
  detail::stbi_allocation_cap() = static_cast<std::size_t>(w) * h * 4 * 2 + 4 * size + (std::size_t{1} << 24);
  int w2 = 0, h2 = 0, c2 = 0;
  std::uint8_t* pixels = stb::stbi_load_from_memory(data, len, &w2, &h2, &c2, 0);
  detail::stbi_allocation_cap() = std::size_t{1} << 30;
  if (!pixels) {
    const char* why = stb::stbi_failure_reason();
    throw Error(name + ": cannot decode: " + (why ? why : "unknown error"));
  }
  if (w2 != w || h2 != h || c2 != c) {
    stb::stbi_image_free(pixels);
    throw Error(name + ": decoder returned a different size than the header");
  }
  Image img(w, h, c, 0, options.max_pixels);
  std::memcpy(img.data(), pixels, static_cast<std::size_t>(w) * h * c);
  stb::stbi_image_free(pixels);
  return img;
}

// Whole-file reading lives in core/file.hpp; the name stays here for
// existing callers.
using nnocr::read_file;

inline Image read_image(const std::string& path, const DecodeOptions& options = {}) {
  const std::vector<std::uint8_t> bytes = read_file(path, options.max_file_bytes);
  return decode_image(bytes.data(), bytes.size(), path, options);
}

}  // namespace nnocr::image
