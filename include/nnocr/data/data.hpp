// data.hpp — every header of nnocr::data.
#pragma once

#include "batch.hpp"
#include "charset.hpp"
#include "font.hpp"
#include "gt_dataset.hpp"
#include "gzip.hpp"
#include "idx.hpp"
#include "line_sample.hpp"
#include "loader.hpp"
#include "render.hpp"
#include "synth.hpp"
#include "text_source.hpp"
#include "utf8.hpp"
