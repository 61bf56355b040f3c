#include "test_util.hpp"

#include <nnocr/core/core.hpp>

#include <cmath>

using namespace nnocr;

TEST_CASE("shape: rank, numel, string form and errors") {
  Shape s{2, 3, 4};
  CHECK(s.rank() == 3);
  CHECK(s.numel() == 24);
  CHECK(s.str() == "[2, 3, 4]");
  CHECK(Shape{}.numel() == 1);
  CHECK(s.axis(-1) == 2);
  CHECK_THROWS_AS(s.axis(3), Error);
  CHECK_THROWS_AS((Shape{1, 2, 3, 4, 5, 6}), Error);
  CHECK_THROWS_AS((Shape{2, -1}), Error);
  const Strides st = contiguous_strides(s);
  CHECK(st[0] == 12);
  CHECK(st[1] == 4);
  CHECK(st[2] == 1);
}

TEST_CASE("tensor: owning storage is zeroed, aligned, and copies deeply") {
  Tensor<float> t({3, 5});
  CHECK(t.numel() == 15);
  CHECK(reinterpret_cast<std::uintptr_t>(t.data()) % 64 == 0);
  for (float v : t) CHECK(v == 0.0f);
  t(1, 2) = 7.0f;
  Tensor<float> copy = t;
  copy(1, 2) = 1.0f;
  CHECK(t(1, 2) == 7.0f);
  Tensor<float> moved = std::move(copy);
  CHECK(moved(1, 2) == 1.0f);

  Tensor<std::int8_t> i8({4}, std::int8_t{-3});
  CHECK(i8(3) == -3);
  Tensor<std::uint8_t> u8({2, 2}, {1, 2, 3, 250});
  CHECK(u8(1, 1) == 250);
  Tensor<std::int32_t> i32({2}, {-100000, 100000});
  CHECK(i32(0) == -100000);
  CHECK_THROWS_AS((Tensor<float>({2, 2}, {1.0f, 2.0f, 3.0f})), Error);
}

TEST_CASE("tensor: checked access names the shape") {
  Tensor<float> t({2, 3});
  CHECK_NOTHROW(t.at({1, 2}));
  try {
    t.at({2, 0});
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("[2, 3]") != std::string::npos);
  }
  CHECK_THROWS_AS(t.at({1}), Error);
}

TEST_CASE("views: transpose, permute, slice and select share memory") {
  Tensor<float> t({2, 3, 4});
  for (index_t i = 0; i < t.numel(); ++i) t.data()[i] = static_cast<float>(i);

  auto tr = t.transpose(0, 2);  // [4, 3, 2]
  CHECK(tr.shape() == Shape{4, 3, 2});
  CHECK_FALSE(tr.is_contiguous());
  CHECK(tr(3, 1, 0) == t(0, 1, 3));
  tr(3, 1, 0) = -1.0f;  // writes through
  CHECK(t(0, 1, 3) == -1.0f);

  auto p = t.permute({2, 0, 1});  // [4, 2, 3]
  CHECK(p.shape() == Shape{4, 2, 3});
  CHECK(p(2, 1, 0) == t(1, 0, 2));
  CHECK_THROWS_AS(t.permute({0, 0, 1}), Error);

  auto s = t.slice(2, 1, 4, 2);  // columns 1 and 3
  CHECK(s.shape() == Shape{2, 3, 2});
  CHECK(s(1, 2, 1) == t(1, 2, 3));
  CHECK_THROWS_AS(t.slice(2, 3, 5), Error);

  auto row = t.select(0, 1);  // [3, 4]
  CHECK(row.shape() == Shape{3, 4});
  CHECK(row(2, 3) == t(1, 2, 3));
  CHECK(row.is_contiguous());

  auto u = row.unsqueeze(0);
  CHECK(u.shape() == Shape{1, 3, 4});
  CHECK(u(0, 2, 1) == t(1, 2, 1));
}

TEST_CASE("views: reshape is a view when contiguous and refuses otherwise") {
  Tensor<float> t({2, 6});
  for (index_t i = 0; i < 12; ++i) t.data()[i] = static_cast<float>(i);
  auto r = t.reshape({3, -1});
  CHECK(r.shape() == Shape{3, 4});
  CHECK(r.data() == t.data());
  CHECK(r(2, 3) == 11.0f);
  try {
    (void)t.reshape({5, 2});
    FAIL("expected an error");
  } catch (const Error& e) {
    const std::string msg = e.what();
    CHECK(msg.find("[2, 6]") != std::string::npos);
    CHECK(msg.find("[5, 2]") != std::string::npos);
  }
  auto tr = t.transpose(0, 1);
  CHECK_THROWS_AS((void)tr.reshape({12}), Error);
  Tensor<float> c = tr.contiguous();
  CHECK(c.shape() == Shape{6, 2});
  CHECK(c(4, 1) == t(1, 4));
  CHECK(c.reshape({12})(9) == t(1, 4));
}

TEST_CASE("views: fill and copy_from through strides") {
  Tensor<float> t({4, 4});
  t.slice(1, 0, 4, 2).fill(2.0f);
  CHECK(t(3, 2) == 2.0f);
  CHECK(t(3, 1) == 0.0f);
  Tensor<float> src({4, 2}, 5.0f);
  t.slice(1, 1, 4, 2).copy_from(src);
  CHECK(t(0, 1) == 5.0f);
  CHECK(t(0, 3) == 5.0f);
  CHECK(t(0, 2) == 2.0f);
  CHECK_THROWS_AS(t.view().copy_from(src), Error);
}

TEST_CASE("resize reuses storage") {
  Tensor<float> t({8, 8});
  const float* before = t.data();
  t.resize({4, 4});
  CHECK(t.data() == before);
  CHECK(t.numel() == 16);
  t.resize({10, 10});
  CHECK(t.numel() == 100);
  CHECK_THROWS_AS(t.set_shape({3, 3}), Error);
}

TEST_CASE("bf16 rounds to nearest even and keeps NaN") {
  CHECK(static_cast<float>(bf16(1.0f)) == 1.0f);
  CHECK(static_cast<float>(bf16(-2.5f)) == -2.5f);
  // 1 + 2^-8 is exactly halfway between two bf16 values: ties go to even (1.0).
  CHECK(static_cast<float>(bf16(1.0f + 1.0f / 256)) == 1.0f);
  CHECK(static_cast<float>(bf16(1.0f + 3.0f / 256)) == 1.0f + 4.0f / 256);
  CHECK(std::isnan(static_cast<float>(bf16(std::nanf("")))));
  Tensor<float> f({3}, {0.5f, 3.0f, -7.25f});
  Tensor<bf16> b = tensor_cast<bf16>(f);
  Tensor<float> back = tensor_cast<float>(b);
  CHECK(back(2) == -7.25f);
  Tensor<std::uint8_t> px({2}, {0, 255});
  CHECK(tensor_cast<float>(px)(1) == 255.0f);
}

TEST_CASE("random initialisation matches the requested statistics") {
  Rng rng(7);
  Tensor<float> w({256, 512});
  xavier_uniform(w, rng);
  const double a = std::sqrt(6.0 / (256 + 512));
  double sum = 0, sq = 0, mx = 0;
  for (float v : w) {
    sum += v;
    sq += double(v) * v;
    mx = std::max(mx, double(std::fabs(v)));
  }
  const double n = static_cast<double>(w.numel());
  CHECK(mx <= a);
  CHECK(std::fabs(sum / n) < 0.01 * a);
  CHECK(sq / n == doctest::Approx(a * a / 3).epsilon(0.02));

  Tensor<float> conv({64, 32, 3, 3});
  he_normal(conv, rng);
  sum = sq = 0;
  for (float v : conv) {
    sum += v;
    sq += double(v) * v;
  }
  const double m = static_cast<double>(conv.numel());
  CHECK(sq / m - (sum / m) * (sum / m) == doctest::Approx(2.0 / (32 * 9)).epsilon(0.03));

  // Same seed, same tensor.
  Rng r1(99), r2(99);
  Tensor<float> x({10}), y({10});
  fill_normal(x, r1, 0, 1);
  fill_normal(y, r2, 0, 1);
  for (index_t i = 0; i < 10; ++i) CHECK(x(i) == y(i));
}
