// io_all.hpp — every header of nnocr::io.
#pragma once

#include "json.hpp"
#include "model_file.hpp"
#include "safetensors.hpp"
