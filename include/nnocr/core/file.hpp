// file.hpp — reading a whole file, and writing one atomically.
//
// Every loader (images, model files, configurations) reads through
// read_file, so that a missing file, a directory or an oversized file gives
// the same clear error naming the path. Every writer goes through
// write_file_atomic: the bytes go to a unique temporary name in the target's
// folder, are flushed and fsync'ed, and only then renamed over the target, so
// a reader (or a crash) never sees half a file — it sees the old file or the
// new one. A process killed mid-save leaves its temporary file;
// remove_stale_temporaries clears those of dead processes (training does
// so when it starts). POSIX only (fileno, fsync, rename within one file
// system, kill(pid, 0)).
#pragma once

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <signal.h>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

#include "error.hpp"

namespace nnocr {

namespace detail {

// A process-wide counter that makes temporary names unique between threads.
inline std::uint64_t next_temporary_file_id() {
  static std::atomic<std::uint64_t> counter{0};
  return counter.fetch_add(1, std::memory_order_relaxed);
}

inline std::string errno_message(int err) { return std::strerror(err); }

// What write_file_atomic puts between the target's name and PID-N in its
// temporary file names (remove_stale_temporaries looks for it).
constexpr const char* kTemporaryTag = ".tmp-nnocr-";

}  // namespace detail

// Reads the whole file at `path`. Throws nnocr::Error naming the path when
// the file does not exist, is a directory, holds more than `max_bytes` bytes
// or cannot be read.
inline std::vector<std::uint8_t> read_file(const std::string& path, std::int64_t max_bytes = std::int64_t{1} << 30) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    const int err = errno;
    NNOCR_CHECK(err != ENOENT && err != ENOTDIR, path, ": no such file");
    throw Error(path + ": cannot open for reading: " + detail::errno_message(err));
  }
  NNOCR_CHECK(!S_ISDIR(st.st_mode), path, ": is a directory, not a file");
  if (S_ISREG(st.st_mode))
    NNOCR_CHECK(st.st_size <= max_bytes, path, ": ", st.st_size, " bytes exceeds the limit of ", max_bytes);

  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) {
    const int err = errno;
    throw Error(path + ": cannot open for reading: " + detail::errno_message(err));
  }
  // Read to the end rather than trusting the size from stat: the file may
  // be a pipe, or may have changed since. The limit holds either way.
  const std::size_t limit = static_cast<std::size_t>(max_bytes < 0 ? 0 : max_bytes);
  std::vector<std::uint8_t> bytes(S_ISREG(st.st_mode) ? static_cast<std::size_t>(st.st_size) + 1 : 1 << 16);
  std::size_t used = 0;
  for (;;) {
    if (used == bytes.size()) bytes.resize(std::min(bytes.size() * 2, limit + 1));
    const std::size_t got = std::fread(bytes.data() + used, 1, bytes.size() - used, f);
    used += got;
    if (used > limit) {
      std::fclose(f);
      throw Error(path + ": exceeds the limit of " + std::to_string(max_bytes) + " bytes");
    }
    if (got == 0 || std::feof(f) || std::ferror(f)) break;
  }
  const bool failed = std::ferror(f) != 0;
  const int err = errno;
  std::fclose(f);
  NNOCR_CHECK(!failed, path, ": read error: ", detail::errno_message(err));
  bytes.resize(used);
  return bytes;
}

// Writes `size` bytes to `path` atomically: a temporary file in the same
// folder (path + ".tmp-nnocr-<pid>-<n>"), fwrite, fflush, fsync, fclose,
// then rename over `path`. On any failure the temporary file is removed,
// `path` is left as it was, and nnocr::Error names the path and the reason.
inline void write_file_atomic(const std::string& path, const void* data, std::size_t size) {
  NNOCR_CHECK(data != nullptr || size == 0, path, ": write_file_atomic given null data");
  NNOCR_CHECK(!path.empty(), "write_file_atomic: empty path");
  const std::string tmp = path + detail::kTemporaryTag + std::to_string(static_cast<long long>(::getpid())) + "-" +
                          std::to_string(detail::next_temporary_file_id());
  // "x": fail rather than reuse a name that somehow exists already.
  std::FILE* f = std::fopen(tmp.c_str(), "wbx");
  if (!f) {
    const int err = errno;
    throw Error(path + ": cannot create the temporary file " + tmp + ": " + detail::errno_message(err));
  }
  const char* step = nullptr;
  int err = 0;
  if (size > 0 && std::fwrite(data, 1, size, f) != size) step = "write";
  else if (std::fflush(f) != 0) step = "flush";
  else if (::fsync(::fileno(f)) != 0) step = "fsync";
  if (step) err = errno;
  if (std::fclose(f) != 0 && !step) {
    step = "close";
    err = errno;
  }
  if (!step && std::rename(tmp.c_str(), path.c_str()) != 0) {
    step = "rename";
    err = errno;
  }
  if (step) {
    std::remove(tmp.c_str());
    throw Error(path + ": write failed (" + step + "): " + detail::errno_message(err));
  }
}

inline void write_file_atomic(const std::string& path, const std::vector<std::uint8_t>& bytes) {
  write_file_atomic(path, bytes.data(), bytes.size());
}

inline void write_file_atomic(const std::string& path, const std::string& text) {
  write_file_atomic(path, text.data(), text.size());
}

// Removes what write_file_atomic(path, ...) calls of dead processes left
// behind: files PATH.tmp-nnocr-PID-N in path's folder whose PID is no
// running process (a process killed mid-save, see write_file_atomic). A
// live process's temporaries, this one's included, are left alone. Returns
// how many files were removed; a folder that cannot be listed removes none.
inline int remove_stale_temporaries(const std::string& path) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  const std::string prefix = target.filename().string() + detail::kTemporaryTag;
  const fs::path folder = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::error_code ec;
  fs::directory_iterator it(folder, ec), end;
  int removed = 0;
  for (; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    // PID-N: digits, a dash, digits.
    const std::size_t dash = name.find('-', prefix.size());
    if (dash == std::string::npos || dash == prefix.size() || dash + 1 == name.size() || dash - prefix.size() > 9 ||
        name.find_first_not_of("0123456789", prefix.size()) != dash ||
        name.find_first_not_of("0123456789", dash + 1) != std::string::npos)
      continue;
    const long pid = std::stol(name.substr(prefix.size(), dash - prefix.size()));
    if (pid <= 0 || pid == static_cast<long>(::getpid())) continue;
    if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;  // alive, or not ours to judge
    std::error_code rm;
    if (fs::remove(it->path(), rm)) ++removed;
  }
  return removed;
}

}  // namespace nnocr
