// version.hpp — the library version, one place.
#pragma once

#define NNOCR_VERSION_MAJOR 0
#define NNOCR_VERSION_MINOR 1
#define NNOCR_VERSION_PATCH 0
#define NNOCR_VERSION_STRING "0.1.0"

namespace nnocr {
inline constexpr const char* version_string() { return NNOCR_VERSION_STRING; }
}  // namespace nnocr
