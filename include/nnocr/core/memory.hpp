// memory.hpp — how a training program asks the C library to keep memory.
//
// Every training step allocates the same activation and gradient tensors
// again (layers return their outputs by value). glibc serves blocks above
// its mmap threshold (128 KiB at first, adapting up to 32 MiB) with fresh
// mappings, and gives freed heap tops back to the kernel past its trim
// threshold, so each step pays page faults and the kernel's zeroing for
// memory it had a moment ago: about a fifth of a LeNet training step here
// (1,125 instead of 900 images/s on one thread, bench/lenet_throughput).
// keep_freed_memory() turns the mappings off and raises the trim threshold:
// freed blocks stay in the heap and the next step reuses them. It changes
// the whole process's allocator, so the library never calls it by itself:
// training programs opt in (`nnocr train`, the MNIST examples, the LeNet
// benchmark). A reading process, whose memory matters more, is better off
// with glibc's defaults or a moderate threshold (tools/nnocr.cpp).
#pragma once

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace nnocr {

// Returns false where the C library offers no such settings (not glibc).
inline bool keep_freed_memory(int trim_threshold_bytes = 256 << 20) {
#if defined(__GLIBC__)
  return mallopt(M_MMAP_MAX, 0) == 1 && mallopt(M_TRIM_THRESHOLD, trim_threshold_bytes) == 1;
#else
  (void)trim_threshold_bytes;
  return false;
#endif
}

}  // namespace nnocr
