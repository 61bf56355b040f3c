#include "test_util.hpp"

#include <nnocr/core/rng.hpp>
#include <nnocr/image/image_all.hpp>

#include <algorithm>
#include <cmath>

#include <string>
#include <vector>

using namespace nnocr;
using namespace nnocr::image;

namespace {

std::vector<std::uint8_t> bytes(const std::string& s) { return {s.begin(), s.end()}; }

Image decode(const std::string& s, std::int64_t max_pixels = kDefaultMaxPixels) {
  const auto b = bytes(s);
  return decode_pnm(b.data(), b.size(), "test.pnm", max_pixels);
}

// The error message of decoding s (empty when it decodes).
std::string decode_error(const std::string& s, std::int64_t max_pixels = kDefaultMaxPixels) {
  try {
    decode(s, max_pixels);
  } catch (const Error& e) {
    return e.what();
  }
  return {};
}

}  // namespace

TEST_CASE("image: sizes are validated") {
  Image img(3, 2, 3, 7);
  CHECK(img.width() == 3);
  CHECK(img.height() == 2);
  CHECK(img.channels() == 3);
  CHECK(img.at(2, 1, 2) == 7);
  CHECK_THROWS_AS(Image(0, 5, 1), Error);
  CHECK_THROWS_AS(Image(5, 5, 5), Error);
  CHECK_THROWS_AS(Image(100000, 100000, 1), Error);  // over 2^28 pixels
}

TEST_CASE("PNM: binary, ASCII, comments, 16-bit, and round trip") {
  Image g = decode(std::string("P5\n# a comment\n3 2\n255\n") + std::string("\x00\x10\x20\x30\x40\xff", 6));
  CHECK(g.channels() == 1);
  CHECK(g.at(1, 0) == 0x10);
  CHECK(g.at(2, 1) == 0xff);
  Image a = decode("P2 2 1 15 0 15");
  CHECK(a.at(0, 0) == 0);
  CHECK(a.at(1, 0) == 255);
  Image rgb = decode("P3\n1 1\n255\n10 20 30\n");
  CHECK(rgb.channels() == 3);
  CHECK(rgb.at(0, 0, 2) == 30);
  Image wide = decode(std::string("P5 1 1 65535\n") + std::string("\xff\xff", 2));
  CHECK(wide.at(0, 0) == 255);
  const auto enc = encode_pnm(g);
  Image back = decode_pnm(enc.data(), enc.size(), "round trip");
  CHECK(back.pixels().numel() == g.pixels().numel());
  CHECK(std::equal(g.data(), g.data() + 6, back.data()));
}

TEST_CASE("PNM: bad input gets an error naming the file and offset") {
  CHECK(decode_error("").find("not a PGM/PPM") != std::string::npos);
  CHECK(decode_error("P7 1 1 255 x").find("not a PGM/PPM") != std::string::npos);
  const std::string truncated = decode_error("P5 4 4 255\nabc");
  CHECK(truncated.find("test.pnm") != std::string::npos);
  CHECK(truncated.find("truncated raster") != std::string::npos);
  CHECK(truncated.find("at byte") != std::string::npos);
  CHECK(decode_error("P5 0 4 255\n").find("empty") != std::string::npos);
  CHECK(decode_error("P5 100000 100000 255\n").find("exceeds the limit") != std::string::npos);
  CHECK(decode_error("P5 10 10 255\n", 50).find("exceeds the limit") != std::string::npos);
  CHECK(decode_error("P2 1 1 10 11").find("exceeds maxval") != std::string::npos);
  CHECK(decode_error("P5 1 1 0\n\x01").find("maxval") != std::string::npos);
  CHECK(decode_error("P2 1 1 255").find("end of file") != std::string::npos);
  CHECK(decode_error("P5 99999999999 1 255").find("too large") != std::string::npos);
}

TEST_CASE("to_gray: BT.601 weights, alpha over white") {
  Image rgb(2, 1, 3);
  rgb.at(0, 0, 0) = 255;  // pure red
  rgb.at(1, 0, 1) = 255;  // pure green
  Image g = to_gray(rgb);
  CHECK(g.at(0, 0) == 76);   // 0.299 * 255
  CHECK(g.at(1, 0) == 150);  // 0.587 * 255
  Image ga(1, 1, 2);         // black, fully transparent: paper
  Image white = to_gray(ga);
  CHECK(white.at(0, 0) == 255);
}

TEST_CASE("resize: identity, constant images, ramps, area averaging, fixed height") {
  Image ramp(8, 4, 1);
  for (int y = 0; y < 4; ++y)
    for (int x = 0; x < 8; ++x) ramp.at(x, y) = static_cast<std::uint8_t>(x * 30);
  Image same = resize_bilinear(ramp, 8, 4);
  CHECK(std::equal(ramp.data(), ramp.data() + 32, same.data()));
  Image flat(7, 5, 3, 99);
  for (const Image& r : {resize_bilinear(flat, 13, 2), resize_area(flat, 3, 2)})
    for (int i = 0; i < r.width() * r.height() * 3; ++i) REQUIRE(r.data()[i] == 99);
  Image checker(4, 4, 1);
  for (int y = 0; y < 4; ++y)
    for (int x = 0; x < 4; ++x) checker.at(x, y) = (x + y) % 2 ? 255 : 0;
  Image half = resize_area(checker, 2, 2);
  for (int i = 0; i < 4; ++i) CHECK(half.data()[i] == 128);  // 127.5 rounds up
  Image up = resize_bilinear(ramp, 16, 4);  // x = 2 samples the source at 0.75: 0.75 * 30 = 22.5
  CHECK(up.at(2, 0) == 23);
  Image line(300, 60, 1, 200);
  Image h32 = resize_to_height(line, 32);
  CHECK(h32.height() == 32);
  CHECK(h32.width() == 160);
}

TEST_CASE("Otsu separates two populations; Sauvola survives uneven lighting") {
  Image bimodal(10, 10, 1, 200);
  for (int y = 2; y < 5; ++y)
    for (int x = 2; x < 8; ++x) bimodal.at(x, y) = 50;
  const int t = otsu_threshold(bimodal);
  CHECK(t >= 50);
  CHECK(t < 200);
  Image bin = otsu_binarize(bimodal);
  CHECK(bin.at(3, 3) == 0);
  CHECK(bin.at(0, 0) == 255);

  // Paper brightening from 60 (left) to 250 (right); ink a third of the local paper.
  Image page(200, 40, 1);
  for (int y = 0; y < 40; ++y)
    for (int x = 0; x < 200; ++x) {
      const int paper = 60 + x * 190 / 199;
      const bool ink = (x % 20 < 3) && y > 10 && y < 30;
      page.at(x, y) = static_cast<std::uint8_t>(ink ? paper / 3 : paper);
    }
  Image s = sauvola_binarize(page, {15, 0.2, 128.0});
  int wrong = 0;
  for (int y = 12; y < 28; ++y)
    for (int x = 0; x < 200; ++x) {
      const bool ink = (x % 20 < 3);
      wrong += (s.at(x, y) == 0) != ink;
    }
  CHECK(wrong < 200 * 16 / 50);  // under 2 % wrong
  Image o = otsu_binarize(page);  // one threshold cannot: the dark left paper turns to ink
  int otsu_wrong = 0;
  for (int y = 12; y < 28; ++y)
    for (int x = 0; x < 200; ++x) otsu_wrong += (o.at(x, y) == 0) != (x % 20 < 3);
  CHECK(otsu_wrong > 4 * wrong);
}

TEST_CASE("connected components: 8-connectivity, boxes, pixel counts") {
  Image g(10, 8, 1, 255);
  // A diagonal stroke (one component under 8-connectivity) and a 2x3 block.
  for (int i = 0; i < 4; ++i) g.at(i, i) = 0;
  for (int y = 1; y < 4; ++y)
    for (int x = 7; x < 9; ++x) g.at(x, y) = 10;
  // A U shape whose arms meet only at the bottom: labels must merge.
  g.at(3, 7) = 0;
  g.at(4, 7) = 0;
  g.at(5, 7) = 0;
  g.at(3, 6) = 0;
  g.at(5, 6) = 0;
  Components cc = connected_components(g);
  REQUIRE(cc.items.size() == 3);
  const Component& diag = cc.items[0];
  CHECK(diag.box.x == 0);
  CHECK(diag.box.width == 4);
  CHECK(diag.pixels == 4);
  const Component& block = cc.items[1];
  CHECK(block.box.x == 7);
  CHECK(block.box.y == 1);
  CHECK(block.box.width == 2);
  CHECK(block.box.height == 3);
  CHECK(block.pixels == 6);
  const Component& u = cc.items[2];
  CHECK(u.pixels == 5);
  CHECK(u.box.width == 3);
  CHECK(cc.labels[static_cast<std::size_t>(6 * 10 + 3)] == cc.labels[static_cast<std::size_t>(6 * 10 + 5)]);
  CHECK(cc.labels[0] == 0);
  CHECK(cc.labels[1] == -1);
}

TEST_CASE("Gaussian blur: constant stays, impulse spreads symmetrically and keeps its mass") {
  Image flat(9, 9, 1, 77);
  Image b = gaussian_blur(flat, 1.5);
  for (int i = 0; i < 81; ++i) REQUIRE(b.data()[i] == 77);
  Image dot(21, 21, 1, 0);
  dot.at(10, 10) = 255;
  Image spread = gaussian_blur(dot, 1.0);
  CHECK(spread.at(10, 10) < 255);
  CHECK(spread.at(9, 10) == spread.at(11, 10));
  CHECK(spread.at(10, 8) == spread.at(12, 10));
  int mass = 0;
  for (int i = 0; i < 21 * 21; ++i) mass += spread.data()[i];
  CHECK(std::abs(mass - 255) < 12);  // rounding of each pixel
  CHECK_THROWS_AS(gaussian_blur(dot, 0.0), Error);
}

TEST_CASE("median filter removes salt-and-pepper noise and keeps edges") {
  Image img(12, 12, 1, 200);
  for (int y = 0; y < 12; ++y)
    for (int x = 6; x < 12; ++x) img.at(x, y) = 20;  // a vertical edge
  img.at(2, 3) = 0;    // pepper on the light side
  img.at(9, 8) = 255;  // salt on the dark side
  Image m = median_filter(img, 1);
  CHECK(m.at(2, 3) == 200);
  CHECK(m.at(9, 8) == 20);
  CHECK(m.at(5, 5) == 200);  // the edge stays where it was
  CHECK(m.at(6, 5) == 20);
}

TEST_CASE("crop, pad and to_tensor") {
  Image img(5, 4, 1);
  for (int y = 0; y < 4; ++y)
    for (int x = 0; x < 5; ++x) img.at(x, y) = static_cast<std::uint8_t>(10 * y + x);
  Image c = crop(img, {1, 2, 3, 2});
  CHECK(c.width() == 3);
  CHECK(c.at(0, 0) == 21);
  CHECK(c.at(2, 1) == 33);
  CHECK_THROWS_AS(crop(img, {3, 0, 3, 1}), Error);
  Image p = pad(c, 2, 1, 0, 3, 255);
  CHECK(p.width() == 5);
  CHECK(p.height() == 6);
  CHECK(p.at(0, 0) == 255);
  CHECK(p.at(2, 1) == 21);
  Tensor<float> t = to_tensor(img, 0.5f, 0.5f);
  CHECK(t.shape() == Shape{1, 4, 5});
  CHECK(t(0, 3, 4) == doctest::Approx((34 / 255.0 - 0.5) / 0.5));
  Image rgb(2, 1, 3);
  rgb.at(1, 0, 2) = 255;
  Tensor<float> tr = to_tensor(rgb);
  CHECK(tr.shape() == Shape{3, 1, 2});
  CHECK(tr(2, 0, 1) == 1.0f);
  CHECK(tr(0, 0, 1) == 0.0f);
}

namespace {

// A synthetic page: lines of dark "words" (blocks of varying width) on
// white, the layout statistics of printed text without needing a font.
Image synthetic_page(int width, int height, std::uint64_t seed) {
  Image page(width, height, 1, 255);
  Rng rng(seed);
  for (int top = 40; top + 14 < height - 40; top += 28) {
    int x = 40 + static_cast<int>(rng.uniform_int(0, 30));
    while (x < width - 80) {
      const int word = static_cast<int>(rng.uniform_int(15, 70));
      for (int y = top; y < top + 12; ++y)
        for (int i = x; i < std::min(width - 40, x + word); ++i)
          if (rng.uniform() < 0.55f) page.at(i, y) = 0;  // strokes, not solid bars
      x += word + static_cast<int>(rng.uniform_int(8, 16));
    }
  }
  return page;
}

}  // namespace

TEST_CASE("rotate: zero is the identity, a quarter turn moves pixels where expected") {
  Image img(5, 5, 1, 255);
  img.at(4, 2) = 0;  // right of centre
  Image same = rotate(img, 0.0);
  CHECK(std::equal(img.data(), img.data() + 25, same.data()));
  Image quarter = rotate(img, 90.0);  // counter-clockwise: right of centre goes above it
  CHECK(quarter.at(2, 0) == 0);
  CHECK(quarter.at(4, 2) == 255);
}

TEST_CASE("deskew: the skew of a rotated page is found within 0.3 degrees") {
  const Image page = synthetic_page(900, 700, 17);
  CHECK(std::fabs(estimate_skew(page)) <= 0.1);
  const std::vector<double> angles =
      test::slow_config ? std::vector<double>{-2.0, 9.0} : std::vector<double>{-7.5, -2.0, 0.6, 3.0, 9.0};
  for (double angle : angles) {
    CAPTURE(angle);
    const Image tilted = rotate(page, angle);
    CHECK(std::fabs(estimate_skew(tilted) - angle) <= 0.3);
  }
  const Image straight = deskew(rotate(page, 4.0));
  CHECK(std::fabs(estimate_skew(straight)) <= 0.3);
  CHECK(estimate_skew(Image(50, 50, 1, 255)) == 0.0);  // no ink
}

TEST_CASE("deskew: a rendered page (the sample page: text in two columns) rotated by a known angle") {
  const Image page = to_gray(read_image(std::string(NNOCR_SOURCE_DIR) + "/data/samples/page.png"));
  CHECK(std::fabs(estimate_skew(page)) <= 0.3);
  const std::vector<double> angles =
      test::slow_config ? std::vector<double>{-4.0, 7.0} : std::vector<double>{-9.5, -4.0, -1.2, 0.4, 2.5, 7.0};
  for (double angle : angles) {
    CAPTURE(angle);
    const Image tilted = rotate(page, angle);
    CHECK(std::fabs(estimate_skew(tilted) - angle) <= 0.3);
  }
  const Image straight = deskew(rotate(page, -5.5));
  CHECK(std::fabs(estimate_skew(straight)) <= 0.3);
}
