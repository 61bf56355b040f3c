// error.hpp — nnocr::Error, the one exception type the library throws for bad
// input, bad shapes and bad state. Messages say what was wrong and where
// (file name, tensor shape, byte offset), so a user can act on them.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace nnocr {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

namespace detail {

// Joins any streamable values into one string: concat("bad width ", w) .
template <class... Args>
std::string concat(Args&&... args) {
  std::ostringstream out;
  (out << ... << std::forward<Args>(args));
  return out.str();
}

}  // namespace detail
}  // namespace nnocr

// Throws nnocr::Error with the joined message when `cond` is false. The
// message is only built on failure.
#define NNOCR_CHECK(cond, ...)                                           \
  do {                                                                   \
    if (!(cond)) throw ::nnocr::Error(::nnocr::detail::concat(__VA_ARGS__)); \
  } while (0)
