#include "test_util.hpp"

#include <nnocr/core/rng.hpp>
#include <nnocr/image/augment.hpp>
#include <nnocr/image/filter.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>
#include <tuple>
#include <string>
#include <vector>

using namespace nnocr;
using namespace nnocr::image;

namespace {

// A line-like test image: light paper, a few dark strokes.
Image text_like(int w, int h, int channels = 1) {
  Image img(w, h, channels, 235);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      if ((x / 3) % 4 == 0 && y > h / 4 && y < 3 * h / 4)
        for (int k = 0; k < channels; ++k) img.at(x, y, k) = 20;
  return img;
}

Image random_image(int w, int h, Rng& rng, int channels = 1) {
  Image img(w, h, channels);
  for (int i = 0; i < w * h * channels; ++i) img.data()[i] = static_cast<std::uint8_t>(rng.next_u32());
  return img;
}

bool same(const Image& a, const Image& b) {
  return a.width() == b.width() && a.height() == b.height() && a.channels() == b.channels() &&
         std::equal(a.data(), a.data() + a.width() * a.height() * a.channels(), b.data());
}

int max_difference(const Image& a, const Image& b) {
  int d = 0;
  for (int i = 0; i < a.width() * a.height() * a.channels(); ++i) d = std::max(d, std::abs(a.data()[i] - b.data()[i]));
  return d;
}

struct Op {
  const char* name;
  std::function<Image(const Image&, Rng&)> run;
  bool keeps_size;
};

// Every augmentation, with parameters strong enough to change things.
std::vector<Op> all_ops() {
  return {
      {"rotate_shear (same size)", [](const Image& i, Rng&) { return rotate_shear(i, 3.0, 0.2, 255, false); }, true},
      {"rotate_shear (expand)", [](const Image& i, Rng&) { return rotate_shear(i, 3.0, 0.2, 255, true); }, false},
      {"random_perspective", [](const Image& i, Rng& r) { return random_perspective(i, r, 0.1, 255); }, true},
      {"elastic_distortion", [](const Image& i, Rng& r) { return elastic_distortion(i, r, 1.5, 6, 255); }, true},
      {"crop_pad", [](const Image& i, Rng&) { return crop_pad(i, 2, -1, -3, 4, 255); }, false},
      {"min_filter", [](const Image& i, Rng&) { return min_filter(i, 1); }, true},
      {"max_filter", [](const Image& i, Rng&) { return max_filter(i, 2); }, true},
      {"adjust_ink_thickness +", [](const Image& i, Rng&) { return adjust_ink_thickness(i, 0.6); }, true},
      {"adjust_ink_thickness -", [](const Image& i, Rng&) { return adjust_ink_thickness(i, -0.6); }, true},
      {"adjust_contrast", [](const Image& i, Rng&) { return adjust_contrast(i, 0.6, 20, 1.3); }, true},
      {"invert", [](const Image& i, Rng&) { return invert(i); }, true},
      {"uneven_illumination", [](const Image& i, Rng& r) { return uneven_illumination(i, r, 0.5); }, true},
      {"paper_texture", [](const Image& i, Rng& r) { return paper_texture(i, r, 0.4); }, true},
      {"add_gaussian_noise", [](const Image& i, Rng& r) { return add_gaussian_noise(i, r, 10); }, true},
      {"salt_and_pepper", [](const Image& i, Rng& r) { return salt_and_pepper(i, r, 0.05); }, true},
      {"add_speckles", [](const Image& i, Rng& r) { return add_speckles(i, r, 0.01, 1.5); }, true},
      {"blur", [](const Image& i, Rng&) { return blur(i, 1.2); }, true},
      {"resolution_loss", [](const Image& i, Rng&) { return resolution_loss(i, 0.5); }, true},
      {"jpeg_artifacts", [](const Image& i, Rng&) { return jpeg_artifacts(i, 20); }, true},
  };
}

AugmentConfig everything() {
  AugmentConfig c;
  c.p_ink = c.p_rotate = c.p_shear = c.p_perspective = c.p_elastic = c.p_crop_pad = c.p_paper = 1;
  c.p_illumination = c.p_contrast = c.p_invert = c.p_speckles = c.p_salt_pepper = c.p_blur = 1;
  c.p_resolution = c.p_noise = c.p_jpeg = 1;
  c.p_threshold = 0.5;  // threshold and JPEG exclude each other
  return c;
}

}  // namespace

TEST_CASE("augment: every step keeps the size (or says so), is deterministic, and survives tiny images") {
  const std::vector<std::pair<int, int>> sizes = {{1, 1}, {1, 200}, {200, 1}, {2, 2}, {7, 3}, {160, 32}};
  for (const Op& op : all_ops()) {
    CAPTURE(op.name);
    for (const auto& size : sizes)
      for (int channels : {1, 3}) {
        const int w = size.first, h = size.second;
        CAPTURE(w);
        CAPTURE(h);
        CAPTURE(channels);
        const Image src = text_like(w, h, channels);
        Rng a(17), b(17);
        const Image x = op.run(src, a), y = op.run(src, b);
        CHECK(same(x, y));
        CHECK(x.channels() == channels);
        CHECK(x.width() >= 1);
        CHECK(x.height() >= 1);
        if (op.keeps_size) {
          CHECK(x.width() == w);
          CHECK(x.height() == h);
        }
      }
    // It does something on a real-sized image.
    Rng r(5);
    const Image src = text_like(160, 32);
    const Image out = op.run(src, r);
    CHECK_FALSE(same(out, src));
  }
}

TEST_CASE("augment: the random pipeline is deterministic and survives tiny images") {
  for (const AugmentConfig& cfg : {AugmentConfig{}, everything()}) {
    for (const auto& size : std::vector<std::pair<int, int>>{{1, 1}, {1, 200}, {200, 1}, {3, 2}, {300, 32}}) {
      const int w = size.first, h = size.second;
      CAPTURE(w);
      CAPTURE(h);
      const Image src = text_like(w, h);
      for (std::uint64_t seed = 0; seed < 20; ++seed) {
        Rng a(seed), b(seed);
        const Image x = augment(src, a, cfg), y = augment(src, b, cfg);
        CHECK(same(x, y));
        CHECK(x.width() >= 1);
        CHECK(x.height() >= 1);
      }
    }
  }
  // No step enabled: the input comes back.
  Rng r(1);
  const Image src = text_like(50, 20);
  CHECK(same(augment(src, r, AugmentConfig::none()), src));
  // Different seeds give different images.
  Rng a(1), b(2);
  CHECK_FALSE(same(augment(text_like(200, 32), a, everything()), augment(text_like(200, 32), b, everything())));
}

TEST_CASE("augment: crops never cut the ink") {
  AugmentConfig cfg = AugmentConfig::none();
  cfg.p_crop_pad = 1;
  cfg.max_crop = 50;
  cfg.max_pad = 0;
  Image src(100, 40, 1, 240);
  for (int y = 10; y < 30; ++y)
    for (int x = 20; x < 70; ++x) src.at(x, y) = 10;
  for (std::uint64_t seed = 0; seed < 30; ++seed) {
    Rng r(seed);
    const Image out = augment(src, r, cfg);
    int ink = 0;
    for (int y = 0; y < out.height(); ++y)
      for (int x = 0; x < out.width(); ++x) ink += out.at(x, y) == 10;
    CHECK(ink == 50 * 20);
    CHECK(out.width() >= 50);
    CHECK(out.height() >= 20);
  }
}

TEST_CASE("augment: DCT round trip, JPEG quality, quantization table") {
  Rng rng(8);
  float block[64], coef[64], back[64];
  for (float& v : block) v = rng.uniform(-128.0f, 127.0f);
  dct8x8(block, coef);
  idct8x8(coef, back);
  for (int i = 0; i < 64; ++i) CHECK(back[i] == doctest::Approx(block[i]).epsilon(1e-4).scale(128));
  // DC of a constant block: 8 * value (orthonormal).
  float flat[64];
  std::fill(flat, flat + 64, 10.0f);
  dct8x8(flat, coef);
  CHECK(coef[0] == doctest::Approx(80.0f));
  for (int i = 1; i < 64; ++i) CHECK(std::abs(coef[i]) < 1e-4f);

  CHECK(jpeg_quant_table(50)[0] == 16);
  CHECK(jpeg_quant_table(100)[63] == 1);
  CHECK(jpeg_quant_table(10)[0] > jpeg_quant_table(90)[0]);
  CHECK_THROWS_AS(jpeg_quant_table(0), Error);

  // Quality 100 is nearly the identity; lower quality loses more.
  const Image src = random_image(37, 21, rng);
  const Image text = text_like(64, 32);
  CHECK(max_difference(jpeg_artifacts(src, 100), src) <= 2);
  CHECK(max_difference(jpeg_artifacts(text, 100), text) <= 2);
  auto error = [&](int q) {
    const Image out = jpeg_artifacts(text, q);
    double e = 0;
    for (int i = 0; i < text.width() * text.height(); ++i) e += std::abs(out.data()[i] - text.data()[i]);
    return e;
  };
  CHECK(error(10) > error(50));
  CHECK(error(50) > error(95));
}

// The textbook separable Gaussian (clamped edges, float passes, rounding):
// the reference the row-pointer implementation in image/filter.hpp must
// reproduce exactly.
static Image reference_gaussian_blur(const Image& src, double sigma) {
  const int radius = static_cast<int>(std::ceil(3 * sigma)), c = src.channels(), w = src.width(), h = src.height();
  std::vector<float> kernel(static_cast<std::size_t>(2 * radius + 1));
  float total = 0;
  for (int i = -radius; i <= radius; ++i)
    total += kernel[static_cast<std::size_t>(i + radius)] = static_cast<float>(std::exp(-0.5 * i * i / (sigma * sigma)));
  for (float& k : kernel) k /= total;
  std::vector<float> tmp(static_cast<std::size_t>(w) * h * c);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int k = 0; k < c; ++k) {
        float s = 0;
        for (int i = -radius; i <= radius; ++i)
          s += kernel[static_cast<std::size_t>(i + radius)] * src.at(std::clamp(x + i, 0, w - 1), y, k);
        tmp[(static_cast<std::size_t>(y) * w + x) * c + k] = s;
      }
  Image out(w, h, c);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int k = 0; k < c; ++k) {
        float s = 0;
        for (int i = -radius; i <= radius; ++i)
          s += kernel[static_cast<std::size_t>(i + radius)] *
               tmp[(static_cast<std::size_t>(std::clamp(y + i, 0, h - 1)) * w + x) * c + k];
        out.at(x, y, k) = static_cast<std::uint8_t>(std::clamp(std::lround(s), 0L, 255L));
      }
  return out;
}

TEST_CASE("augment: blur matches the textbook separable Gaussian exactly") {
  Rng rng(4);
  for (const auto& [w, h, c] : std::vector<std::tuple<int, int, int>>{{1, 1, 1}, {1, 9, 1}, {33, 17, 1}, {20, 10, 3}})
    for (double sigma : {0.3, 0.8, 1.7, 4.0}) {
      const Image src = random_image(w, h, rng, c);
      CAPTURE(sigma);
      CHECK(same(blur(src, sigma), reference_gaussian_blur(src, sigma)));
    }
}

TEST_CASE("augment: geometry") {
  const Image src = text_like(60, 20);
  CHECK(same(rotate_shear(src, 0, 0, 255, false), src));
  CHECK(same(rotate_shear(src, 0, 0, 255, true), src));
  const Image turned = rotate_shear(src, 10, 0, 255, true);
  CHECK(turned.height() > src.height());
  const Image slanted = rotate_shear(src, 0, 0.5, 255, true);
  CHECK(slanted.width() > src.width());
  CHECK(slanted.height() == src.height());
  // A 90 degree turn of a 2x1 image (counter-clockwise: the right pixel goes up).
  Image two(2, 1, 1);
  two.at(0, 0) = 10;
  two.at(1, 0) = 200;
  const Image up = rotate_shear(two, 90, 0, 0, true);
  REQUIRE(up.width() == 1);
  REQUIRE(up.height() == 2);
  CHECK(up.at(0, 0) == 200);
  CHECK(up.at(0, 1) == 10);
  // The projective map takes the corners where asked.
  const std::array<double, 8> from = {0, 0, 10, 0, 10, 5, 0, 5}, to = {1, 2, 12, 1, 9, 7, -1, 6};
  const auto hm = perspective_transform(from, to);
  for (int i = 0; i < 4; ++i) {
    const double x = from[2 * i], y = from[2 * i + 1], z = hm[6] * x + hm[7] * y + hm[8];
    CHECK((hm[0] * x + hm[1] * y + hm[2]) / z == doctest::Approx(to[2 * i]));
    CHECK((hm[3] * x + hm[4] * y + hm[5]) / z == doctest::Approx(to[2 * i + 1]));
  }
  // warp_affine with the identity is the identity.
  CHECK(same(warp_affine(src, {1, 0, 0, 0, 1, 0}, 60, 20), src));
  // crop_pad: negative crops, positive pads, never below one pixel.
  const Image cp = crop_pad(src, -5, 2, 3, -4, 7);
  CHECK(cp.width() == 58);
  CHECK(cp.height() == 18);
  CHECK(cp.at(57, 0) == 7);
  CHECK(cp.at(0, 2) == src.at(5, 0));
  const Image tiny = crop_pad(src, -100, -100, -100, -100);
  CHECK(tiny.width() == 1);
  CHECK(tiny.height() == 1);
}

TEST_CASE("augment: tone, ink and noise do what they say") {
  Image dot(5, 5, 1, 255);
  dot.at(2, 2) = 0;
  const Image thick = min_filter(dot, 1);
  CHECK(thick.at(1, 1) == 0);
  CHECK(thick.at(0, 0) == 255);
  CHECK(max_filter(dot, 1).at(2, 2) == 255);
  CHECK(adjust_ink_thickness(dot, 0.5).at(1, 2) == 128);
  CHECK(same(adjust_ink_thickness(dot, 0), dot));
  CHECK(adjust_contrast(dot, 1, 0, 1).at(2, 2) == 0);
  CHECK(adjust_contrast(dot, 0, 0, 1).at(0, 0) == 128);
  CHECK(invert(dot).at(2, 2) == 255);
  CHECK_THROWS_AS(adjust_ink_thickness(dot, 2), Error);
  CHECK_THROWS_AS(blur(dot, 0), Error);
  CHECK_THROWS_AS(add_gaussian_noise(Image(), *std::make_unique<Rng>(1), 1), Error);

  // Noise: mean kept, standard deviation about sigma.
  Rng rng(3);
  const Image gray(400, 100, 1, 128);
  const Image noisy = add_gaussian_noise(gray, rng, 10);
  double sum = 0, sq = 0;
  const int n = 400 * 100;
  for (int i = 0; i < n; ++i) sum += noisy.data()[i], sq += (noisy.data()[i] - 128.0) * (noisy.data()[i] - 128.0);
  CHECK(sum / n == doctest::Approx(128).epsilon(0.01));
  CHECK(std::sqrt(sq / n) == doctest::Approx(10).epsilon(0.05));
  // Illumination and paper only darken; a white page takes their texture.
  const Image white(100, 30, 1, 255);
  const Image lit = uneven_illumination(white, rng, 0.5), paper = paper_texture(white, rng, 0.3);
  int lo = 255;
  for (int i = 0; i < 100 * 30; ++i) lo = std::min<int>(lo, paper.data()[i]);
  CHECK(lo < 255);
  CHECK(lo >= 255 * 0.7 - 1);
  for (int i = 0; i < 100 * 30; ++i) lo = std::min<int>(lo, lit.data()[i]);
  CHECK(lo >= 127);
  // Salt and pepper sets only 0 or 255.
  const Image sp = salt_and_pepper(gray, rng, 0.1);
  int changed = 0;
  for (int i = 0; i < n; ++i)
    if (sp.data()[i] != 128) {
      ++changed;
      CHECK((sp.data()[i] == 0 || sp.data()[i] == 255));
    }
  CHECK(changed > n / 20);
}
