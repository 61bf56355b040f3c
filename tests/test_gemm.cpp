#include "test_util.hpp"

#include <nnocr/core/core.hpp>
#include <nnocr/kernels/gemm.hpp>

#include <cmath>
#include <limits>
#include <vector>

using namespace nnocr;
using kernels::Trans;

namespace {

// The oracle: textbook triple loop, accumulated in double.
void reference_gemm(bool ta, bool tb, index_t M, index_t N, index_t K, float alpha, const float* A, index_t lda,
                    const float* B, index_t ldb, float beta, float* C, index_t ldc) {
  for (index_t i = 0; i < M; ++i)
    for (index_t j = 0; j < N; ++j) {
      double s = 0;
      for (index_t k = 0; k < K; ++k)
        s += double(ta ? A[k * lda + i] : A[i * lda + k]) * double(tb ? B[j * ldb + k] : B[k * ldb + j]);
      C[i * ldc + j] = static_cast<float>(alpha * s + (beta == 0.0f ? 0.0 : double(beta) * C[i * ldc + j]));
    }
}

struct Case {
  index_t M, N, K;
  bool ta, tb;
  index_t pad_a, pad_b, pad_c;
  float alpha, beta;
};

// Runs one case on the active ISA and compares with the oracle. Elements of
// C outside the M x N window (the padding of ldc) must be untouched.
void check_case(const Case& c, Rng& rng, ThreadPool* pool = nullptr) {
  const index_t lda = (c.ta ? c.M : c.K) + c.pad_a, ldb = (c.tb ? c.K : c.N) + c.pad_b, ldc = c.N + c.pad_c;
  std::vector<float> A(static_cast<std::size_t>((c.ta ? c.K : c.M) * lda)),
      B(static_cast<std::size_t>((c.tb ? c.N : c.K) * ldb)), C(static_cast<std::size_t>(c.M * ldc));
  for (auto& v : A) v = rng.uniform(-1, 1);
  for (auto& v : B) v = rng.uniform(-1, 1);
  for (auto& v : C) v = c.beta == 0.0f ? std::numeric_limits<float>::quiet_NaN() : rng.uniform(-1, 1);
  std::vector<float> R = C;
  for (index_t i = 0; i < c.M; ++i)  // padding keeps its NaN / value in both
    for (index_t j = c.N; j < ldc; ++j) R[i * ldc + j] = C[i * ldc + j] = 42.0f;
  kernels::sgemm(c.ta ? Trans::yes : Trans::no, c.tb ? Trans::yes : Trans::no, c.M, c.N, c.K, c.alpha, A.data(), lda,
                 B.data(), ldb, c.beta, C.data(), ldc, pool);
  reference_gemm(c.ta, c.tb, c.M, c.N, c.K, c.alpha, A.data(), lda, B.data(), ldb, c.beta, R.data(), ldc);
  // Float accumulation of K products of magnitude <= 1: error grows like
  // sqrt(K) * eps in practice; allow a generous K * eps bound.
  const double tol = 4e-7 * static_cast<double>(c.K + 4);
  for (index_t i = 0; i < c.M; ++i) {
    for (index_t j = 0; j < ldc; ++j) {
      const float got = C[i * ldc + j], want = R[i * ldc + j];
      if (!(std::fabs(got - want) <= tol)) {
        FAIL_CHECK("M=", c.M, " N=", c.N, " K=", c.K, " ta=", c.ta, " tb=", c.tb, " at (", i, ",", j, "): got ", got,
                   " want ", want);
        return;
      }
    }
  }
}

}  // namespace

TEST_CASE("GEMM on every ISA matches the reference on awkward shapes, transposes and strides") {
  const index_t sizes[] = {1, 3, 7, 17, 33, 65, 257};
  for (simd::Isa isa : test::isas()) {
    simd::IsaScope scope(isa);
    const std::string isa_name = simd::isa_name(isa);
    CAPTURE(isa_name);
    Rng rng(1234);
    for (index_t M : sizes)
      for (index_t N : sizes)
        for (index_t K : {index_t{1}, index_t{17}, index_t{65}, index_t{257}})
          for (int t = 0; t < 4; ++t) {
            const bool ta = t & 1, tb = t & 2;
            check_case({M, N, K, ta, tb, t == 3 ? 5 : 0, t == 1 ? 3 : 0, t == 2 ? 7 : 1, 0.75f,
                        t == 0 ? 0.0f : -0.5f},
                       rng);
          }
  }
}

TEST_CASE("GEMM crosses every cache block boundary") {
  // K > kc (256), M > mc (<= 240), N > the widest tile: all loops run more
  // than once and end ragged.
  for (simd::Isa isa : test::isas()) {
    simd::IsaScope scope(isa);
    const std::string isa_name = simd::isa_name(isa);
    CAPTURE(isa_name);
    Rng rng(99);
    check_case({300, 97, 700, false, false, 0, 0, 0, 1.0f, 1.0f}, rng);
    check_case({129, 270, 513, true, true, 2, 2, 2, 2.0f, 0.0f}, rng);
  }
}

TEST_CASE("matrix-vector shapes (M = 1 or N = 1) on every ISA") {
  for (simd::Isa isa : test::isas()) {
    simd::IsaScope scope(isa);
    const std::string isa_name = simd::isa_name(isa);
    CAPTURE(isa_name);
    Rng rng(5);
    for (index_t n : {1, 2, 5, 16, 31, 64, 127, 128, 129, 300, 512, 513, 1024, 1100})
      for (index_t k : {1, 15, 16, 33, 256, 257})
        for (int t = 0; t < 4; ++t) {
          const bool ta = t & 1, tb = t & 2;
          const float beta = t == 2 ? 0.0f : 0.5f;
          check_case({1, n, k, ta, tb, 1, 2, 3, 1.5f, beta}, rng);
          check_case({n, 1, k, ta, tb, 2, 1, 2, 0.5f, beta}, rng);
        }
  }
}

TEST_CASE("GEMM results are bit-identical for any thread count") {
  Rng rng(8);
  const index_t M = 300, N = 517, K = 300;
  Tensor<float> a({M, K}), b({K, N});
  fill_uniform(a, rng, -1, 1);
  fill_uniform(b, rng, -1, 1);
  for (simd::Isa isa : test::isas()) {
    simd::IsaScope scope(isa);
    const std::string isa_name = simd::isa_name(isa);
    CAPTURE(isa_name);
    Tensor<float> c1({M, N}), c2({M, N}), c3({M, N});
    ThreadPool p1(1), p2(2), p3(3);
    kernels::matmul(a, Trans::no, b, Trans::no, c1, 1.0f, 0.0f, &p1);
    kernels::matmul(a, Trans::no, b, Trans::no, c2, 1.0f, 0.0f, &p2);
    kernels::matmul(a, Trans::no, b, Trans::no, c3, 1.0f, 0.0f, &p3);
    REQUIRE(std::equal(c1.begin(), c1.end(), c2.begin()));
    REQUIRE(std::equal(c1.begin(), c1.end(), c3.begin()));
    // Matrix-vector too, large enough to be split into chunks.
    Tensor<float> big({2048, 300}), x({300, 1}), y1({2048, 1}), y2({2048, 1});
    fill_uniform(big, rng, -1, 1);
    fill_uniform(x, rng, -1, 1);
    kernels::matmul(big, Trans::no, x, Trans::no, y1, 1.0f, 0.0f, &p1);
    kernels::matmul(big, Trans::no, x, Trans::no, y2, 1.0f, 0.0f, &p3);
    REQUIRE(std::equal(y1.begin(), y1.end(), y2.begin()));
    // The row-vector product x^T B (B's rows streamed, several column
    // blocks visited in an order that alternates from call to call): the
    // same bits on every call and for any thread count.
    Tensor<float> xr({1, 300}), wide({300, 2100}), r1({1, 2100}), r2({1, 2100}), r3({1, 2100});
    fill_uniform(xr, rng, -1, 1);
    fill_uniform(wide, rng, -1, 1);
    kernels::matmul(xr, Trans::no, wide, Trans::no, r1, 1.0f, 0.0f, &p1);
    kernels::matmul(xr, Trans::no, wide, Trans::no, r2, 1.0f, 0.0f, &p1);
    kernels::matmul(xr, Trans::no, wide, Trans::no, r3, 1.0f, 0.0f, &p2);
    REQUIRE(std::equal(r1.begin(), r1.end(), r2.begin()));
    REQUIRE(std::equal(r1.begin(), r1.end(), r3.begin()));
  }
}

TEST_CASE("GEMM degenerate sizes and scaling rules") {
  float c[4] = {1, 2, 3, std::numeric_limits<float>::quiet_NaN()};
  const float a[2] = {1, 1}, b[2] = {1, 1};
  kernels::sgemm(Trans::no, Trans::no, 2, 2, 0, 1.0f, a, 1, b, 2, 2.0f, c, 2);  // K = 0: C = beta C
  CHECK(c[0] == 2.0f);
  CHECK(c[2] == 6.0f);
  kernels::sgemm(Trans::no, Trans::no, 2, 2, 1, 1.0f, a, 1, b, 2, 0.0f, c, 2);  // beta = 0 drops NaN
  CHECK(c[3] == 1.0f);
  kernels::sgemm(Trans::no, Trans::no, 0, 5, 3, 1.0f, nullptr, 3, nullptr, 5, 0.0f, nullptr, 5);  // empty: no-op
}

TEST_CASE("GEMM argument errors are reported") {
  float buf[16] = {};
  CHECK_THROWS_AS(kernels::sgemm(Trans::no, Trans::no, -1, 2, 2, 1, buf, 2, buf, 2, 0, buf, 2), Error);
  CHECK_THROWS_AS(kernels::sgemm(Trans::no, Trans::no, 2, 2, 3, 1, buf, 2, buf, 2, 0, buf, 2), Error);  // lda < K
  CHECK_THROWS_AS(kernels::sgemm(Trans::no, Trans::no, 2, 3, 2, 1, buf, 2, buf, 3, 0, buf, 2), Error);  // ldc < N
  CHECK_THROWS_AS(kernels::sgemm(Trans::no, Trans::no, 2, 2, 2, 1, nullptr, 2, buf, 2, 0, buf, 2), Error);
  Tensor<float> a({2, 3}), b({4, 2}), c({2, 2});
  try {
    kernels::matmul(a, Trans::no, b, Trans::no, c);
    FAIL("expected a shape error");
  } catch (const Error& e) {
    const std::string msg = e.what();
    CHECK(msg.find("[2, 3]") != std::string::npos);
    CHECK(msg.find("[4, 2]") != std::string::npos);
  }
}

TEST_CASE("matmul on strided views") {
  Rng rng(3);
  Tensor<float> big({10, 12});
  fill_uniform(big, rng, -1, 1);
  auto a = big.slice(0, 1, 5).slice(1, 2, 9);  // [4, 7], row stride 12
  Tensor<float> b({7, 3}), c({4, 3});
  fill_uniform(b, rng, -1, 1);
  kernels::matmul(a, Trans::no, b, Trans::no, c);
  for (index_t i = 0; i < 4; ++i)
    for (index_t j = 0; j < 3; ++j) {
      double s = 0;
      for (index_t k = 0; k < 7; ++k) s += double(a(i, k)) * b(k, j);
      CHECK(c(i, j) == doctest::Approx(s).epsilon(1e-5));
    }
  // The transpose of a view is another way to say Trans::yes.
  Tensor<float> c2({3, 4});
  kernels::matmul(b, Trans::yes, a, Trans::yes, c2);
  for (index_t i = 0; i < 4; ++i)
    for (index_t j = 0; j < 3; ++j) CHECK(c2(j, i) == doctest::Approx(c(i, j)).epsilon(1e-5));
}
