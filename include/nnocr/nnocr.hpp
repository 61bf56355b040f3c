// nnocr.hpp — the whole library. Each folder's headers also work alone.
#pragma once

#include "core/core.hpp"
#include "data/data.hpp"
#include "decode/decode.hpp"
#include "image/image_all.hpp"
#include "io/io_all.hpp"
#include "kernels/conv.hpp"
#include "kernels/ctc.hpp"
#include "kernels/elementwise.hpp"
#include "kernels/gemm.hpp"
#include "kernels/peak.hpp"
#include "kernels/softmax.hpp"
#include "models/lenet.hpp"
#include "nn/nn.hpp"
#include "simd/simd.hpp"
#include "train/train.hpp"
#include "version.hpp"
