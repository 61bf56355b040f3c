// fuzz_util.hpp — what the libFuzzer targets share.
//
// The contract every target checks: for any input bytes, the code under test
// either returns or throws nnocr::Error. Everything else is a bug that
// libFuzzer reports: a crash, an AddressSanitizer or UndefinedBehaviorSanitizer
// report, another exception type escaping (std::terminate aborts), an
// allocation above -malloc_limit_mb (the targets keep the library's limits
// small so that valid-looking headers cannot ask for gigabytes), or a run
// longer than -timeout.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include <nnocr/core/error.hpp>

namespace nnocr::fuzz {

// Runs f(); an nnocr::Error is an accepted outcome (the input was rejected
// with a message), and the message must not be empty.
template <class F>
bool accepts(F&& f) {
  try {
    f();
    return true;
  } catch (const Error& e) {
    if (e.what()[0] == '\0') std::abort();
    return false;
  }
}

// Aborts (libFuzzer reports a crash) when an invariant of the library fails.
inline void require(bool ok) {
  if (!ok) std::abort();
}

// The input as an in-memory file, for loaders that take a path. A memfd
// never touches the disk; its path /proc/self/fd/N opens like a regular file.
class MemFile {
 public:
  MemFile(const std::uint8_t* data, std::size_t size) {
    fd_ = ::memfd_create("nnocr-fuzz", 0);
    require(fd_ >= 0);
    for (std::size_t done = 0; done < size;) {
      const ssize_t n = ::write(fd_, data + done, size - done);
      require(n > 0);
      done += static_cast<std::size_t>(n);
    }
    path_ = "/proc/self/fd/" + std::to_string(fd_);
  }
  ~MemFile() { ::close(fd_); }
  MemFile(const MemFile&) = delete;
  MemFile& operator=(const MemFile&) = delete;

  const std::string& path() const { return path_; }

 private:
  int fd_ = -1;
  std::string path_;
};

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Splits the input at NUL bytes (argument vectors in the corpus are stored
// so: "read\0--format\0hocr").
inline std::vector<std::string> split_at_nul(const std::uint8_t* data, std::size_t size) {
  std::vector<std::string> out;
  std::string cur;
  for (std::size_t i = 0; i < size; ++i) {
    if (data[i] == 0) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(static_cast<char>(data[i]));
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

}  // namespace nnocr::fuzz
