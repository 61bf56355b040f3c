// line_sample.hpp — LineSample: one text-line image and its ground truth,
// what datasets hand to make_line_batch().
#pragma once

#include <string>

#include "../image/image.hpp"

namespace nnocr::data {

struct LineSample {
  image::Image image;  // gray (other channel counts are converted when batched)
  std::string text;    // UTF-8, one line
};

}  // namespace nnocr::data
