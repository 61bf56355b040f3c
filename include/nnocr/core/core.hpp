// core.hpp — everything in core/.
#pragma once

#include "aligned.hpp"
#include "bf16.hpp"
#include "config.hpp"
#include "error.hpp"
#include "file.hpp"
#include "init.hpp"
#include "memory.hpp"
#include "rng.hpp"
#include "shape.hpp"
#include "tensor.hpp"
#include "thread_pool.hpp"
