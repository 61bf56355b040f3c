// nn.hpp — every layer of nnocr::nn.
#pragma once

#include "activation.hpp"
#include "attention.hpp"
#include "batchnorm.hpp"
#include "conv2d.hpp"
#include "embedding.hpp"
#include "layernorm.hpp"
#include "linear.hpp"
#include "module.hpp"
#include "pool.hpp"
#include "positional.hpp"
#include "recurrent.hpp"
#include "reshape.hpp"
#include "softmax.hpp"
#include "transformer.hpp"
