// image_all.hpp — everything in image/ that exists so far.
#pragma once

#include "augment.hpp"
#include "binarize.hpp"
#include "color.hpp"
#include "components.hpp"
#include "deskew.hpp"
#include "filter.hpp"
#include "geometry.hpp"
#include "image.hpp"
#include "io.hpp"
#include "normalize.hpp"
#include "pnm.hpp"
#include "resize.hpp"
#include "write.hpp"
