// nnocr.hpp — the whole library. Each folder's headers also work alone.
#pragma once

#include "core/core.hpp"
#include "image/image_all.hpp"
#include "kernels/elementwise.hpp"
#include "kernels/gemm.hpp"
#include "kernels/peak.hpp"
#include "simd/simd.hpp"
#include "version.hpp"
