// Layers: shapes, semantics on hand-computed cases, and every backward
// against central finite differences (train/gradcheck.hpp).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <utility>
#include <vector>
#include <nnocr/nn/nn.hpp>
#include <nnocr/train/gradcheck.hpp>

#include "golden_util.hpp"
#include "test_util.hpp"

using namespace nnocr;
using nnocr::nn::Size2;

namespace {

using test::random_tensor;

// Values spread at least `gap` apart (no ties, no kinks within a finite
// difference step), in random order.
Tensor<float> distinct_tensor(const Shape& s, Rng& rng, float gap = 0.05f) {
  Tensor<float> t(s);
  const index_t n = t.numel();
  for (index_t i = 0; i < n; ++i) t[i] = (static_cast<float>(i) - 0.5f * static_cast<float>(n) + 0.5f) * gap;
  for (index_t i = n - 1; i > 0; --i)
    std::swap(t[i], t[static_cast<index_t>(rng.uniform_index(static_cast<std::uint64_t>(i + 1)))]);
  return t;
}

void require_gradients(nn::Layer& layer, const Tensor<float>& x, train::GradCheckOptions options = {}) {
  const auto result = train::check_gradients(layer, x, options);
  INFO(layer.describe(), ": worst ", result.worst, " (ratio ", result.worst_ratio, ")");
  CHECK(result.checked > 0);
  CHECK(result.ok());
}

}  // namespace

TEST_CASE("Conv2d forward matches a direct convolution") {
  Rng rng(1);
  struct Case {
    index_t cin, cout, groups;
    Size2 k, s, p, d;
    index_t h, w;
  };
  const Case cases[] = {
      {1, 1, 1, 3, 1, 0, 1, 5, 5},          {3, 4, 1, 3, 1, 1, 1, 7, 6},       {2, 6, 2, {3, 2}, {2, 1}, {1, 0}, 1, 9, 8},
      {4, 4, 4, 3, 1, 1, 1, 5, 5},          {3, 5, 1, 1, 1, 0, 1, 4, 3},       {2, 3, 1, 3, 2, 2, 2, 11, 10},
      {6, 4, 2, {1, 3}, 1, {0, 1}, 1, 3, 17}, {1, 2, 1, 5, 3, 2, {1, 2}, 13, 14},
      // im2col blocks over 64K floats: convolved one band of output rows at a time
      {32, 3, 1, 3, {2, 1}, 1, 1, 5, 240},
      // one image to a GEMM (over 512 output positions), 3x3, stride 1, 8+
      // channels: Winograd F(2x2, 3x3) in bands of rows; odd and even output
      // sizes, paddings 0, 1, 2 and (0, 1), output channels not a multiple
      // of any micro-kernel's rows, several chunks of tiles per band
      {16, 12, 1, 3, 1, 1, 1, 9, 71},      {8, 9, 1, 3, 1, 0, 1, 12, 60},     {24, 40, 1, 3, 1, 2, 1, 7, 90},
      {8, 8, 1, 3, 1, {0, 1}, 1, 6, 100},  {64, 96, 1, 3, 1, 1, 1, 4, 300},
      // one output column (a tall, narrow image), padded and not
      {8, 10, 1, 3, 1, 1, 1, 600, 1},      {9, 8, 1, 3, 1, 0, 1, 601, 3},
      // one input channel, one image to a GEMM (im2col in bands), paddings
      // 1, 0 and (2, 1)
      {1, 32, 1, 3, 1, 1, 1, 9, 77},       {1, 5, 1, 3, 1, 0, 1, 12, 70},     {1, 7, 1, 3, 1, {2, 1}, 1, 8, 90},
  };
  for (const Case& c : cases) {
    nn::Conv2dConfig cfg;
    cfg.in_channels = c.cin;
    cfg.out_channels = c.cout;
    cfg.groups = c.groups;
    cfg.kernel = c.k;
    cfg.stride = c.s;
    cfg.padding = c.p;
    cfg.dilation = c.d;
    nn::Conv2d conv(cfg, rng);
    const index_t N = 2;
    Tensor<float> x = random_tensor({N, c.cin, c.h, c.w}, rng);
    for (simd::Isa isa : test::isas()) {
      simd::IsaScope scope(isa);
      Tensor<float> y = conv.infer(x);
      const index_t Ho = y.size(2), Wo = y.size(3);
      CHECK(Ho == (c.h + 2 * c.p.h - c.d.h * (c.k.h - 1) - 1) / c.s.h + 1);
      const index_t cin_g = c.cin / c.groups, cout_g = c.cout / c.groups;
      double worst = 0.0;
      for (index_t n = 0; n < N; ++n)
        for (index_t o = 0; o < c.cout; ++o)
          for (index_t oy = 0; oy < Ho; ++oy)
            for (index_t ox = 0; ox < Wo; ++ox) {
              double s = conv.bias.value[o];
              const index_t g = o / cout_g;
              for (index_t ci = 0; ci < cin_g; ++ci)
                for (index_t i = 0; i < c.k.h; ++i)
                  for (index_t j = 0; j < c.k.w; ++j) {
                    const index_t iy = oy * c.s.h - c.p.h + i * c.d.h, ix = ox * c.s.w - c.p.w + j * c.d.w;
                    if (iy < 0 || iy >= c.h || ix < 0 || ix >= c.w) continue;
                    s += static_cast<double>(conv.weight.value(o, ci, i, j)) * x(n, g * cin_g + ci, iy, ix);
                  }
              worst = std::max(worst, std::abs(s - y(n, o, oy, ox)));
            }
      INFO(test::isa_label(isa), " ", conv.describe());
      CHECK(worst < 1e-4);
    }
  }
}

TEST_CASE("Conv2d::infer_affine equals Conv2d, then BatchNorm2d (eval) and ReLU") {
  Rng rng(4);
  // 3 -> 5 channels on small images: im2col, several images to a GEMM;
  // 8 -> 12 on one image to a GEMM: Winograd, finished by its output
  // transform (and, turned off, im2col in bands).
  for (const index_t cin : {3, 8}) {
    for (bool with_bias : {false, true})
      for (bool relu : {false, true}) {
        const index_t cout = cin == 3 ? 5 : 12;
        nn::Conv2dConfig cfg;
        cfg.in_channels = cin;
        cfg.out_channels = cout;
        cfg.kernel = 3;
        cfg.padding = 1;
        cfg.bias = with_bias;
        nn::Conv2d conv(cfg, rng);
        nn::BatchNorm2d bn(cout);
        for (index_t c = 0; c < cout; ++c) {
          bn.running_mean[c] = rng.uniform(-1.0f, 1.0f);
          bn.running_var[c] = rng.uniform(0.3f, 2.0f);
          bn.weight.value[c] = rng.uniform(-1.5f, 1.5f);
          bn.bias.value[c] = rng.uniform(-1.0f, 1.0f);
        }
        bn.eval();
        const Tensor<float> x = cin == 3 ? random_tensor({2, 3, 6, 9}, rng) : random_tensor({2, 8, 7, 80}, rng);
        Tensor<float> want = bn.infer(conv.infer(x));
        if (relu)
          for (index_t i = 0; i < want.numel(); ++i) want[i] = std::max(want[i], 0.0f);
        std::vector<float> scale, shift;
        bn.eval_affine(scale, shift);
        const Tensor<float> got = conv.infer_affine(x, scale.data(), shift.data(), relu);
        REQUIRE(got.shape() == want.shape());
        double worst = 0.0;
        index_t zeros = 0;
        for (index_t i = 0; i < want.numel(); ++i) {
          worst = std::max(worst, static_cast<double>(std::abs(got[i] - want[i])));
          zeros += got[i] == 0.0f;
        }
        INFO("channels ", cin, " bias ", with_bias, " relu ", relu);
        CHECK(worst < 1e-5);
        CHECK((zeros > 0) == relu);  // the ReLU really clamps something
        if (cin == 8) {
          conv.use_winograd(false);
          const Tensor<float> direct = conv.infer_affine(x, scale.data(), shift.data(), relu);
          index_t unequal = 0;
          for (index_t i = 0; i < want.numel(); ++i) unequal += got[i] != direct[i];
          CHECK(test::max_abs_difference(got, direct) < 1e-5);
          CHECK(unequal > 0);  // the two really are different arithmetic
        }
      }
  }
}

TEST_CASE("Conv2d: the kept Winograd weights follow changes to the weights and to the ISA") {
  Rng rng(9);
  nn::Conv2dConfig cfg;
  cfg.in_channels = 8;
  cfg.out_channels = 8;
  cfg.padding = 1;
  nn::Conv2d conv(cfg, rng);
  const Tensor<float> x = random_tensor({1, 8, 6, 100}, rng), dy = random_tensor({1, 8, 6, 100}, rng);
  // Each ISA in turn (its micro-kernel's weights are rebuilt), then three
  // calls with the weights changed in between.
  for (simd::Isa isa : test::isas()) {
    simd::IsaScope scope(isa);
    for (int round = 0; round < 3; ++round) {
      conv.use_winograd(true);
      const Tensor<float> y = conv.infer(x);
      conv.forward(x);
      const Tensor<float> dx = conv.backward(dy);
      conv.use_winograd(false);
      const Tensor<float> y_ref = conv.infer(x);
      conv.forward(x);
      const Tensor<float> dx_ref = conv.backward(dy);
      INFO(test::isa_label(isa), " round ", round);
      CHECK(test::max_abs_difference(y, y_ref) < 1e-5);
      CHECK(test::max_abs_difference(dx, dx_ref) < 1e-5);
      conv.weight.value[static_cast<index_t>(round) * 37] += 0.5f;  // an optimizer step, say
    }
  }
}

TEST_CASE("MaxPool2d: inference (no argmax kept) equals the training forward, NaN and ties included") {
  Rng rng(12);
  const std::vector<std::pair<Size2, Size2>> shapes = {{2, 2}, {{2, 1}, {2, 1}}, {3, 2}, {{2, 3}, {2, 3}}};
  for (const auto& shape : shapes) {
    nn::MaxPool2d pool(shape.first, shape.second);
    Tensor<float> x = random_tensor({2, 3, 8, 13}, rng);
    for (index_t i = 0; i + 1 < x.numel(); i += 7) x[i] = x[i + 1];  // ties
    x[5] = std::nanf("");
    x[100] = std::nanf("");
    const Tensor<float> a = pool.forward(x), b = pool.infer(x);
    REQUIRE(a.shape() == b.shape());
    index_t nans = 0, mismatches = 0;
    for (index_t i = 0; i < a.numel(); ++i) {
      if (std::isnan(a[i]) || std::isnan(b[i])) {
        nans += std::isnan(a[i]) && std::isnan(b[i]);
        mismatches += std::isnan(a[i]) != std::isnan(b[i]);
      } else {
        mismatches += a[i] != b[i];
      }
    }
    INFO(pool.describe());
    CHECK(mismatches == 0);
    CHECK(nans >= 1);
  }
}

TEST_CASE("Conv2d gradients") {
  Rng rng(2);
  nn::Conv2dConfig cfg;
  cfg.in_channels = 4;
  cfg.out_channels = 6;
  cfg.kernel = {3, 2};
  cfg.stride = {2, 1};
  cfg.padding = {1, 1};
  cfg.dilation = {1, 2};
  cfg.groups = 2;
  nn::Conv2d conv(cfg, rng);
  require_gradients(conv, random_tensor({3, 4, 7, 6}, rng));
  nn::Conv2dConfig pw;
  pw.in_channels = 5;
  pw.out_channels = 3;
  pw.kernel = 1;
  nn::Conv2d pointwise(pw, rng);
  require_gradients(pointwise, random_tensor({2, 5, 3, 4}, rng));
  // A batch larger than the gradient chunk count exercises the chunked sums.
  nn::Conv2dConfig small;
  small.in_channels = 1;
  small.out_channels = 2;
  small.padding = 1;
  nn::Conv2d conv_small(small, rng);
  require_gradients(conv_small, random_tensor({11, 1, 4, 4}, rng));
  // 3x3, stride 1, 8 channels each side: the input gradient by Winograd
  // (the kernel turned, padding 2 - p), with paddings 1 and (0, 2); it
  // equals the im2col path's (use_winograd(false)) up to rounding.
  for (const Size2 pad : {Size2(1, 1), Size2(0, 2)}) {
    nn::Conv2dConfig wc;
    wc.in_channels = 8;
    wc.out_channels = 9;
    wc.padding = pad;
    nn::Conv2d wconv(wc, rng);
    const Tensor<float> x = random_tensor({2, 8, 5, 6}, rng);
    require_gradients(wconv, x);
    const Tensor<float> y = wconv.forward(x);
    const Tensor<float> dy = random_tensor(y.shape(), rng);
    const Tensor<float> dx_winograd = wconv.backward(dy);
    wconv.use_winograd(false);
    wconv.forward(x);
    const Tensor<float> dx_im2col = wconv.backward(dy);
    REQUIRE(dx_winograd.shape() == x.shape());
    CHECK(test::max_abs_difference(dx_winograd, dx_im2col) < 1e-5);
  }
}

TEST_CASE("Conv2d: images convolved several to a GEMM equal images convolved one by one; no input gradient") {
  // Small images (P = 30 columns) go several to a GEMM, a single image alone
  // (Conv2d::images_per_gemm); the weight gradient of the batch is the sum
  // of the images' gradients. Groups, bias and a stride included.
  Rng rng(31);
  nn::Conv2dConfig cfg;
  cfg.in_channels = 4;
  cfg.out_channels = 6;
  cfg.groups = 2;
  cfg.kernel = 3;
  cfg.stride = {1, 2};
  cfg.padding = 1;
  nn::Conv2d conv(cfg, rng);
  const index_t N = 7;
  Tensor<float> x = random_tensor({N, 4, 6, 9}, rng);
  Tensor<float> y = conv.forward(x);
  Tensor<float> dy = random_tensor(y.shape(), rng);
  conv.zero_grad();
  Tensor<float> dx = conv.backward(dy);
  const Tensor<float> dw = conv.weight.grad, db = conv.bias.grad;
  Tensor<float> dw_sum(dw.shape(), 0.0f), db_sum(db.shape(), 0.0f);
  const index_t in_image = 4 * 6 * 9, out_image = y.numel() / N;
  for (index_t n = 0; n < N; ++n) {
    Tensor<float> xn({1, 4, 6, 9});
    std::copy(x.data() + n * in_image, x.data() + (n + 1) * in_image, xn.data());
    Tensor<float> dyn({1, y.size(1), y.size(2), y.size(3)});
    std::copy(dy.data() + n * out_image, dy.data() + (n + 1) * out_image, dyn.data());
    Tensor<float> yn = conv.forward(xn);
    conv.zero_grad();
    Tensor<float> dxn = conv.backward(dyn);
    for (index_t i = 0; i < out_image; ++i) CHECK(yn[i] == doctest::Approx(y[n * out_image + i]).epsilon(1e-5));
    for (index_t i = 0; i < in_image; ++i) CHECK(dxn[i] == doctest::Approx(dx[n * in_image + i]).epsilon(1e-5));
    for (index_t i = 0; i < dw.numel(); ++i) dw_sum[i] += conv.weight.grad[i];
    for (index_t i = 0; i < db.numel(); ++i) db_sum[i] += conv.bias.grad[i];
  }
  for (index_t i = 0; i < dw.numel(); ++i) CHECK(dw_sum[i] == doctest::Approx(dw[i]).epsilon(1e-4));
  for (index_t i = 0; i < db.numel(); ++i) CHECK(db_sum[i] == doctest::Approx(db[i]).epsilon(1e-4));

  // Without the input gradient: an empty result, the same parameter gradients.
  conv.set_input_gradient(false);
  (void)conv.forward(x);
  conv.zero_grad();
  CHECK(conv.backward(dy).empty());
  CHECK(std::equal(dw.begin(), dw.end(), conv.weight.grad.begin()));
  CHECK(std::equal(db.begin(), db.end(), conv.bias.grad.begin()));
}

TEST_CASE("Conv2d results do not depend on the thread count") {
  Rng rng(3);
  nn::Conv2dConfig cfg;
  cfg.in_channels = 3;
  cfg.out_channels = 8;
  cfg.padding = 1;
  nn::Conv2d conv(cfg, rng);
  Tensor<float> x = random_tensor({13, 3, 9, 10}, rng);
  Tensor<float> dy = random_tensor({13, 8, 9, 10}, rng);
  std::vector<Tensor<float>> results;
  for (int threads : {1, 2, 3}) {
    set_num_threads(threads);
    conv.zero_grad();
    Tensor<float> y = conv.forward(x);
    Tensor<float> dx = conv.backward(dy);
    results.push_back(y);
    results.push_back(dx);
    results.push_back(conv.weight.grad);
  }
  set_num_threads(default_thread_count());
  for (std::size_t r = 3; r < results.size(); ++r)
    CHECK(std::equal(results[r].begin(), results[r].end(), results[r % 3].begin()));
}

TEST_CASE("Conv2d rejects bad configurations and inputs") {
  Rng rng(4);
  nn::Conv2dConfig cfg;
  cfg.in_channels = 3;
  cfg.out_channels = 4;
  cfg.groups = 2;
  CHECK_THROWS_AS(nn::Conv2d(cfg, rng), Error);
  cfg.groups = 1;
  nn::Conv2d conv(cfg, rng);
  CHECK_THROWS_WITH_AS(conv.infer(Tensor<float>({1, 2, 5, 5})), doctest::Contains("C = 3"), Error);
  CHECK_THROWS_WITH_AS(conv.infer(Tensor<float>({1, 3, 2, 5})), doctest::Contains("smaller than the kernel"), Error);
  CHECK_THROWS_AS(conv.infer(Tensor<float>({3, 5, 5})), Error);
  CHECK_THROWS_WITH_AS(conv.backward(Tensor<float>({1, 4, 3, 3})), doctest::Contains("without a forward"), Error);
  conv.forward(Tensor<float>({1, 3, 5, 5}));
  CHECK_THROWS_WITH_AS(conv.backward(Tensor<float>({1, 4, 3, 4})), doctest::Contains("[1, 4, 3, 3]"), Error);
}

TEST_CASE("Linear forward, gradients and shapes") {
  Rng rng(5);
  nn::Linear fc(5, 3, rng);
  Tensor<float> x = random_tensor({2, 4, 5}, rng);
  Tensor<float> y = fc.infer(x);
  CHECK(y.shape() == Shape{2, 4, 3});
  double expect = fc.bias.value[2];
  for (index_t i = 0; i < 5; ++i) expect += static_cast<double>(fc.weight.value(2, i)) * x(1, 3, i);
  CHECK(std::abs(y(1, 3, 2) - expect) < 1e-5);
  require_gradients(fc, x);
  nn::Linear no_bias(7, 4, rng, false);
  CHECK(no_bias.parameter_count() == 28);
  require_gradients(no_bias, random_tensor({3, 7}, rng));
  CHECK_THROWS_WITH_AS(fc.infer(Tensor<float>({2, 6})), doctest::Contains("[..., 5]"), Error);
}

TEST_CASE("Pooling: values, asymmetric kernels and gradients") {
  Rng rng(6);
  Tensor<float> x({1, 1, 2, 4}, {1, 5, 2, 0, 3, -1, 7, 4});
  nn::MaxPool2d max22(2);
  Tensor<float> y = max22.infer(x);
  CHECK(y.shape() == Shape{1, 1, 1, 2});
  CHECK(y[0] == 5.0f);
  CHECK(y[1] == 7.0f);
  nn::AvgPool2d avg22(2);
  Tensor<float> a = avg22.infer(x);
  CHECK(a[0] == doctest::Approx(2.0));
  CHECK(a[1] == doctest::Approx(3.25));
  // CRNN-style (2, 1) pooling keeps the width.
  nn::MaxPool2d max21({2, 1}, {2, 1});
  CHECK(max21.infer(x).shape() == Shape{1, 1, 1, 4});
  // (2, 2) kernel, stride (2, 1), padding (0, 1): width W + 1.
  nn::MaxPool2d crnn({2, 2}, {2, 1}, {0, 1});
  CHECK(crnn.infer(Tensor<float>({2, 3, 8, 25})).shape() == Shape{2, 3, 4, 26});

  require_gradients(max22, distinct_tensor({2, 3, 6, 8}, rng));
  require_gradients(crnn, distinct_tensor({2, 2, 4, 7}, rng));
  nn::MaxPool2d overlap(3, 2, 1);
  require_gradients(overlap, distinct_tensor({1, 2, 7, 7}, rng));
  require_gradients(avg22, random_tensor({2, 3, 5, 7}, rng));
  nn::AvgPool2d avg_pad(3, 2, 1, true), avg_nopad(3, 2, 1, false);
  require_gradients(avg_pad, random_tensor({2, 2, 7, 6}, rng));
  require_gradients(avg_nopad, random_tensor({2, 2, 7, 6}, rng));
  // Divisors at a padded corner: 9 with count_include_pad, 4 without.
  Tensor<float> ones({1, 1, 4, 4}, 1.0f);
  CHECK(avg_pad.infer(ones)[0] == doctest::Approx(4.0 / 9.0));
  CHECK(avg_nopad.infer(ones)[0] == doctest::Approx(1.0));
}

TEST_CASE("BatchNorm2d: train and eval modes, running statistics, gradients") {
  Rng rng(7);
  nn::BatchNorm2d bn(3);
  for (index_t c = 0; c < 3; ++c) {
    bn.weight.value[c] = 0.5f + static_cast<float>(c);
    bn.bias.value[c] = 0.1f * static_cast<float>(c);
  }
  Tensor<float> x = random_tensor({4, 3, 5, 6}, rng, -2.0f, 3.0f);
  Tensor<float> y = bn.forward(x);
  // Normalised per channel: mean beta, std gamma (biased variance).
  for (index_t c = 0; c < 3; ++c) {
    double s = 0.0, ss = 0.0, xs = 0.0, xss = 0.0;
    for (index_t n = 0; n < 4; ++n)
      for (index_t i = 0; i < 30; ++i) {
        const double v = y(n, c, i / 6, i % 6), u = x(n, c, i / 6, i % 6);
        s += v, ss += v * v, xs += u, xss += u * u;
      }
    const double mean = s / 120.0, var = ss / 120.0 - mean * mean;
    CHECK(mean == doctest::Approx(bn.bias.value[c]).epsilon(1e-4));
    CHECK(std::sqrt(var) == doctest::Approx(bn.weight.value[c]).epsilon(1e-3));
    const double xmean = xs / 120.0, xvar_unbiased = (xss / 120.0 - xmean * xmean) * 120.0 / 119.0;
    CHECK(bn.running_mean[c] == doctest::Approx(0.1 * xmean).epsilon(1e-4));
    CHECK(bn.running_var[c] == doctest::Approx(0.9 + 0.1 * xvar_unbiased).epsilon(1e-4));
  }
  require_gradients(bn, x);
  bn.eval();
  CHECK(!bn.training());
  Tensor<float> ye = bn.forward(x);
  Tensor<float> yi = bn.infer(x);
  for (index_t i = 0; i < x.numel(); ++i) CHECK(ye[i] == doctest::Approx(yi[i]).epsilon(1e-5));
  require_gradients(bn, x);
  nn::BatchNorm1d bn1(4);
  require_gradients(bn1, random_tensor({5, 4}, rng));
  require_gradients(bn1, random_tensor({3, 4, 6}, rng));
  nn::BatchNorm2d train_bn(2);
  CHECK_THROWS_WITH_AS(train_bn.forward(Tensor<float>({1, 2, 1, 1})), doctest::Contains("more than one value"),
                       Error);
}

TEST_CASE("Activations: values and gradients") {
  Rng rng(8);
  Tensor<float> x = distinct_tensor({3, 7, 5}, rng, 0.037f);
  nn::ReLU relu;
  nn::LeakyReLU leaky(0.1f);
  nn::GELU gelu;
  nn::GELU gelu_tanh(true);
  nn::Sigmoid sigmoid;
  nn::Tanh tanh_layer;
  nn::Layer* layers[] = {&relu, &leaky, &gelu, &gelu_tanh, &sigmoid, &tanh_layer};
  for (nn::Layer* layer : layers) require_gradients(*layer, x);
  Tensor<float> v({4}, {-2.0f, -0.5f, 0.5f, 2.0f});
  CHECK(relu.infer(v)[0] == 0.0f);
  CHECK(leaky.infer(v)[0] == doctest::Approx(-0.2));
  CHECK(gelu.infer(v)[3] == doctest::Approx(1.9544997361));
  CHECK(gelu_tanh.infer(v)[3] == doctest::Approx(1.9545976));
  CHECK(sigmoid.infer(v)[2] == doctest::Approx(0.6224593312));
  CHECK(tanh_layer.infer(v)[1] == doctest::Approx(-0.4621171573));
}

TEST_CASE("Dropout: train mask, scaling, eval identity") {
  nn::Dropout drop(0.25f, 9);
  Tensor<float> x({10000}, 1.0f);
  Tensor<float> y = drop.forward(x);
  index_t zeros = 0;
  for (float v : y) {
    CHECK((v == 0.0f || v == doctest::Approx(1.0 / 0.75)));
    zeros += v == 0.0f;
  }
  CHECK(zeros > 2300);
  CHECK(zeros < 2700);
  Tensor<float> dy({10000}, 2.0f);
  Tensor<float> dx = drop.backward(dy);
  for (index_t i = 0; i < dx.numel(); ++i) CHECK(dx[i] == doctest::Approx(2.0f * y[i]));
  drop.eval();
  Tensor<float> e = drop.forward(x);
  CHECK(std::all_of(e.begin(), e.end(), [](float v) { return v == 1.0f; }));
  CHECK_THROWS_AS(nn::Dropout(1.0f), Error);
}

TEST_CASE("LayerNorm, Softmax, LogSoftmax, Flatten: values and gradients") {
  Rng rng(10);
  nn::LayerNorm ln(6);
  for (index_t i = 0; i < 6; ++i) {
    ln.weight.value[i] = 0.5f + 0.1f * static_cast<float>(i);
    ln.bias.value[i] = -0.2f * static_cast<float>(i);
  }
  Tensor<float> x = random_tensor({2, 11, 6}, rng, -2.0f, 2.0f);
  Tensor<float> y = nn::LayerNorm(6).infer(x);
  double s = 0.0, ss = 0.0;
  for (index_t i = 0; i < 6; ++i) s += y(1, 4, i), ss += static_cast<double>(y(1, 4, i)) * y(1, 4, i);
  CHECK(std::abs(s / 6) < 1e-5);
  CHECK(ss / 6 == doctest::Approx(1.0).epsilon(1e-3));
  require_gradients(ln, x);

  nn::Softmax softmax;
  nn::LogSoftmax log_softmax;
  Tensor<float> z({2, 3}, {1.0f, 2.0f, 3.0f, 1000.0f, 1000.0f, -1000.0f});
  Tensor<float> p = softmax.infer(z);
  CHECK(p[2] == doctest::Approx(0.6652409558));
  CHECK(p[3] == doctest::Approx(0.5));
  CHECK(p[5] == 0.0f);
  Tensor<float> lp = log_softmax.infer(z);
  CHECK(lp[0] == doctest::Approx(-2.4076059644));
  CHECK(std::isfinite(lp[5]));
  require_gradients(softmax, random_tensor({4, 5}, rng, -2.0f, 2.0f));
  require_gradients(log_softmax, random_tensor({4, 5}, rng, -2.0f, 2.0f));

  nn::Flatten flatten;
  Tensor<float> f = flatten.forward(random_tensor({2, 3, 4, 5}, rng));
  CHECK(f.shape() == Shape{2, 60});
  require_gradients(flatten, random_tensor({2, 3, 4}, rng));
}

TEST_CASE("Embedding: lookup, gradient accumulation, padding id") {
  Rng rng(11);
  nn::Embedding emb(5, 3, rng, 0);
  Tensor<std::int32_t> ids({2, 2}, {1, 0, 1, 4});
  Tensor<float> y = emb.forward(ids);
  CHECK(y.shape() == Shape{2, 2, 3});
  CHECK(y(0, 1, 2) == 0.0f);
  CHECK(y(1, 1, 0) == emb.weight.value(4, 0));
  Tensor<float> dy(y.shape(), 1.0f);
  emb.backward(dy);
  CHECK(emb.weight.grad(1, 0) == 2.0f);
  CHECK(emb.weight.grad(4, 2) == 1.0f);
  CHECK(emb.weight.grad(0, 0) == 0.0f);
  CHECK_THROWS_WITH_AS(emb.infer(Tensor<std::int32_t>({1}, {5})), doctest::Contains("out of range"), Error);
}

TEST_CASE("Module tree: names, counts, modes") {
  Rng rng(12);
  struct Net : nn::Module {
    nn::Sequential features;
    nn::Linear head;
    explicit Net(Rng& r) : head(8, 3, r) {
      nn::Conv2dConfig c;
      c.in_channels = 1;
      c.out_channels = 2;
      features.emplace<nn::Conv2d>(c, r);
      features.emplace<nn::BatchNorm2d>(2);
      features.emplace<nn::ReLU>();
      register_module("features", features);
      register_module("head", head);
    }
    std::string kind() const override { return "Net"; }
  } net(rng);
  std::vector<std::string> names;
  for (auto& np : net.named_parameters()) names.push_back(np.first);
  CHECK(names == std::vector<std::string>{"features.0.weight", "features.0.bias", "features.1.weight",
                                          "features.1.bias", "head.weight", "head.bias"});
  std::vector<std::string> buffers;
  for (auto& nb : net.named_buffers()) buffers.push_back(nb.first);
  CHECK(buffers == std::vector<std::string>{"features.1.running_mean", "features.1.running_var"});
  CHECK(net.parameter_count() == 2 * 9 + 2 + 2 + 2 + 8 * 3 + 3);
  net.eval();
  CHECK(!net.features[1].training());
  net.train();
  CHECK(net.features[1].training());
  CHECK(net.summary().find("Conv2d(1, 2, kernel=3") != std::string::npos);
}

TEST_CASE("check_gradients catches a wrong backward") {
  // y = x * w with a backward that forgets the factor w: the check must fail.
  struct Wrong : nn::Layer {
    nn::Parameter w;
    Wrong() {
      w.reset({1});
      w.value[0] = 3.0f;
      register_parameter("w", w);
    }
    std::string kind() const override { return "Wrong"; }
    Tensor<float> x_;
    Tensor<float> forward(const Tensor<float>& x) override {
      x_ = x;
      return infer(x);
    }
    Tensor<float> infer(const Tensor<float>& x) const override {
      Tensor<float> y(x.shape());
      for (index_t i = 0; i < x.numel(); ++i) y[i] = x[i] * w.value[0];
      return y;
    }
    Tensor<float> backward(const Tensor<float>& dy) override {
      for (index_t i = 0; i < dy.numel(); ++i) w.grad[0] += dy[i] * x_[i];
      return dy;  // should be dy * w
    }
  } wrong;
  Rng rng(13);
  const auto result = train::check_gradients(wrong, random_tensor({4, 3}, rng));
  CHECK(!result.ok());
  CHECK(result.worst.find("input") == 0);
}

TEST_CASE("Layer outputs allocated without a zero fill are written in full (poisoned heap)") {
  // Outputs are allocated uninitialised (Tensor(shape, uninitialized)). Just
  // before each call, blocks of the output's size are filled with NaN and
  // freed, so the allocator hands them to the call (glibc reuses a freed
  // block of the same size first); an element the layer failed to write
  // would come out NaN, and the result would differ from the same call made
  // on memory filled with zeros.
  Rng rng(21);
  auto poison = [](const Shape& s, float value) {
    std::vector<Tensor<float>> blocks;
    for (int i = 0; i < 6; ++i) blocks.emplace_back(s, value);
  };
  auto same_after_poison = [&](const char* what, const Shape& out_shape, auto&& call) {
    poison(out_shape, 0.0f);
    const Tensor<float> clean = call();
    poison(out_shape, std::numeric_limits<float>::quiet_NaN());
    const Tensor<float> again = call();
    INFO(what);
    REQUIRE(clean.shape() == out_shape);
    REQUIRE(std::equal(clean.begin(), clean.end(), again.begin(),
                       [](float a, float b) { return std::memcmp(&a, &b, sizeof a) == 0; }));
  };
  const Tensor<float> x = random_tensor({3, 4, 9, 10}, rng);
  nn::Conv2dConfig cc;
  cc.in_channels = 4;
  cc.out_channels = 5;
  cc.padding = 1;
  nn::Conv2d conv(cc, rng);
  const Shape conv_out{3, 5, 9, 10};
  same_after_poison("Conv2d::forward", conv_out, [&] { return conv.forward(x); });
  same_after_poison("Conv2d::infer", conv_out, [&] { return conv.infer(x); });
  const std::vector<float> scale(5, 0.5f), shift(5, 0.25f);
  same_after_poison("Conv2d::infer_affine", conv_out,
                    [&] { return conv.infer_affine(x, scale.data(), shift.data(), true); });
  nn::BatchNorm2d bn(4);
  const Tensor<float> dy = random_tensor(x.shape(), rng);
  same_after_poison("BatchNorm2d::forward", x.shape(), [&] { return bn.forward(x); });
  same_after_poison("BatchNorm2d::backward", x.shape(), [&] {
    bn.forward(x);
    return bn.backward(dy);
  });
  same_after_poison("BatchNorm2d::infer", x.shape(), [&] { return bn.infer(x); });
  nn::ReLU relu;
  same_after_poison("ReLU::forward", x.shape(), [&] { return relu.forward(x); });
  same_after_poison("ReLU::backward", x.shape(), [&] {
    relu.forward(x);
    return relu.backward(dy);
  });
  nn::Sigmoid sigmoid;
  same_after_poison("Sigmoid::infer", x.shape(), [&] { return sigmoid.infer(x); });
  nn::Pool2dConfig pc;
  nn::MaxPool2d max_pool(pc);
  same_after_poison("MaxPool2d::forward", {3, 4, 4, 5}, [&] { return max_pool.forward(x); });
  same_after_poison("MaxPool2d::infer", {3, 4, 4, 5}, [&] { return max_pool.infer(x); });
  pc.kernel = Size2{2, 1};
  pc.padding = Size2{1, 0};
  nn::MaxPool2d padded_pool(pc);
  same_after_poison("MaxPool2d padded", {3, 4, 5, 10}, [&] { return padded_pool.forward(x); });
  nn::AvgPool2d avg_pool(pc);
  same_after_poison("AvgPool2d::infer", {3, 4, 5, 10}, [&] { return avg_pool.infer(x); });
  nn::Dropout drop(0.3f, 5);
  same_after_poison("Dropout::forward", x.shape(), [&] {
    drop.reseed_streams(3);
    return drop.forward(x);
  });
  same_after_poison("Dropout::backward", x.shape(), [&] {
    drop.reseed_streams(3);
    drop.forward(x);
    return drop.backward(dy);
  });
}
