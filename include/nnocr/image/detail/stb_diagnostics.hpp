// stb_diagnostics.hpp — silences, around Debian's stb headers only, the
// warnings their C code raises under -Wall -Wextra -Werror in C++.
#pragma once

#if defined(__clang__)
#define NNOCR_STB_DIAGNOSTICS_PUSH                                        \
  _Pragma("clang diagnostic push")                                        \
  _Pragma("clang diagnostic ignored \"-Wunused-function\"")               \
  _Pragma("clang diagnostic ignored \"-Wsign-compare\"")                  \
  _Pragma("clang diagnostic ignored \"-Wunused-parameter\"")              \
  _Pragma("clang diagnostic ignored \"-Wmissing-field-initializers\"")    \
  _Pragma("clang diagnostic ignored \"-Wimplicit-fallthrough\"")          \
  _Pragma("clang diagnostic ignored \"-Wunused-but-set-variable\"")       \
  _Pragma("clang diagnostic ignored \"-Wdeprecated-declarations\"")
#define NNOCR_STB_DIAGNOSTICS_POP _Pragma("clang diagnostic pop")
#elif defined(__GNUC__)
#define NNOCR_STB_DIAGNOSTICS_PUSH                                        \
  _Pragma("GCC diagnostic push")                                          \
  _Pragma("GCC diagnostic ignored \"-Wunused-function\"")                 \
  _Pragma("GCC diagnostic ignored \"-Wsign-compare\"")                    \
  _Pragma("GCC diagnostic ignored \"-Wunused-parameter\"")                \
  _Pragma("GCC diagnostic ignored \"-Wmissing-field-initializers\"")      \
  _Pragma("GCC diagnostic ignored \"-Wimplicit-fallthrough\"")            \
  _Pragma("GCC diagnostic ignored \"-Wunused-but-set-variable\"")         \
  _Pragma("GCC diagnostic ignored \"-Wmaybe-uninitialized\"")             \
  _Pragma("GCC diagnostic ignored \"-Wtype-limits\"")                     \
  _Pragma("GCC diagnostic ignored \"-Wdouble-promotion\"")
#define NNOCR_STB_DIAGNOSTICS_POP _Pragma("GCC diagnostic pop")
#else
#define NNOCR_STB_DIAGNOSTICS_PUSH
#define NNOCR_STB_DIAGNOSTICS_POP
#endif
