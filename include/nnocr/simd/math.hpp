// math.hpp — vectorised exp, log, tanh, sigmoid for every ISA's vector type:
// nnocr::simd::{scalar,avx2,avx512,neon}::exp(V) and friends. The one body
// is in math.inl.
#pragma once

#include "../core/config.hpp"

#define NNOCR_FOREACH_NS simd
#define NNOCR_FOREACH_INL "math.inl"
#include "foreach_isa.hpp"
