// simd.hpp — everything in simd/: vector types, their math, ISA choice.
//
// Each vector type V offers the same static interface:
//   width; zero(), set1(x); load/loadu/load_partial(p[, n]); store/storeu/store_partial;
//   + - * / and unary -; fma(a, b, c) = a*b + c; min, max (x86 rule: the
//   second operand wins on NaN), abs, sqrt, round (ties to even); hsum, hmax;
//   masks from lt/le and select(mask, a, b); copysign; ldexp; frexp.
#pragma once

#include "arm/vec_neon.hpp"
#include "isa.hpp"
#include "math.hpp"
#include "vec_scalar.hpp"
#include "x86/vec_avx2.hpp"
#include "x86/vec_avx512.hpp"
