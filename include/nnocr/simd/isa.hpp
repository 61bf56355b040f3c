// isa.hpp — which instruction sets this CPU has, and which one nnocr uses.
//
// The choice is made once at run time (like Tesseract's SIMDDetect): the best
// ISA the CPU and OS support, unless NNOCR_ISA=scalar|avx2|avx512|neon or
// set_isa() overrides it. Asking for an ISA the machine cannot run is an
// nnocr::Error, never a silent fallback, so a test that forces a path really
// runs that path. Kernels read active_isa() once per call.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include "../core/config.hpp"
#include "../core/error.hpp"

#if NNOCR_ARCH_X86_64
#include <cpuid.h>
#include <immintrin.h>
#endif
#if NNOCR_ARCH_AARCH64
#include <arm_neon.h>
#if defined(__linux__)
#include <sys/auxv.h>
#endif
#endif

namespace nnocr::simd {

enum class Isa : int { scalar = 0, avx2 = 1, avx512 = 2, neon = 3 };
inline constexpr int kIsaCount = 4;
inline constexpr const char* kIsaNames[kIsaCount] = {"scalar", "avx2", "avx512", "neon"};

inline const char* isa_name(Isa isa) { return kIsaNames[static_cast<int>(isa)]; }

inline Isa parse_isa(const std::string& name) {
  for (int i = 0; i < kIsaCount; ++i)
    if (name == kIsaNames[i]) return static_cast<Isa>(i);
  throw Error("unknown ISA '" + name + "' (expected scalar, avx2, avx512 or neon)");
}

struct CpuFeatures {
  std::string brand;
  // x86: what the CPU reports and the OS has enabled (XSAVE state).
  bool avx2 = false, fma = false, f16c = false, bmi2 = false;
  bool avx512f = false, avx512bw = false, avx512dq = false, avx512vl = false;
  bool avx512vnni = false, avx512bf16 = false, avx_vnni = false;
  // aarch64
  bool neon = false, neon_dotprod = false;
};

namespace detail {

#if NNOCR_ARCH_X86_64
inline std::uint64_t read_xcr0() {
  std::uint32_t eax = 0, edx = 0;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<std::uint64_t>(edx) << 32) | eax;
}
#endif

inline CpuFeatures detect_features() {
  CpuFeatures f;
#if NNOCR_ARCH_X86_64
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return f;
  const bool osxsave = (c >> 27) & 1;
  const bool avx = (c >> 28) & 1;
  f.fma = (c >> 12) & 1;
  f.f16c = (c >> 29) & 1;
  const std::uint64_t xcr0 = osxsave ? read_xcr0() : 0;
  const bool os_ymm = (xcr0 & 0x6) == 0x6;            // SSE and AVX state
  const bool os_zmm = (xcr0 & 0xe6) == 0xe6;          // plus opmask, ZMM hi256, hi16 ZMM
  if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
    const bool cpu_avx2 = (b >> 5) & 1;
    f.bmi2 = (b >> 8) & 1;
    f.avx2 = cpu_avx2 && avx && os_ymm;
    f.fma = f.fma && os_ymm;
    f.avx512f = ((b >> 16) & 1) && os_zmm;
    f.avx512dq = ((b >> 17) & 1) && os_zmm;
    f.avx512bw = ((b >> 30) & 1) && os_zmm;
    f.avx512vl = ((b >> 31) & 1) && os_zmm;
    f.avx512vnni = ((c >> 11) & 1) && os_zmm;
    if (__get_cpuid_count(7, 1, &a, &b, &c, &d)) {
      f.avx512bf16 = ((a >> 5) & 1) && os_zmm;
      f.avx_vnni = ((a >> 4) & 1) && os_ymm;
    }
  }
  unsigned max_ext = __get_cpuid_max(0x80000000u, nullptr);
  if (max_ext >= 0x80000004u) {
    char brand[49] = {};
    for (unsigned i = 0; i < 3; ++i) {
      unsigned r[4];
      __get_cpuid(0x80000002u + i, &r[0], &r[1], &r[2], &r[3]);
      std::memcpy(brand + 16 * i, r, 16);
    }
    f.brand = brand;
    while (!f.brand.empty() && f.brand.back() == ' ') f.brand.pop_back();
    while (!f.brand.empty() && f.brand.front() == ' ') f.brand.erase(f.brand.begin());
  }
#elif NNOCR_ARCH_AARCH64
  f.neon = true;
  f.brand = "aarch64";
#if defined(__linux__) && defined(HWCAP_ASIMDDP)
  f.neon_dotprod = (getauxval(AT_HWCAP) & HWCAP_ASIMDDP) != 0;
#endif
#endif
  return f;
}

// Why `isa` cannot run here, or an empty string when it can.
inline std::string isa_unavailable_reason(Isa isa, const CpuFeatures& f) {
  (void)f;  // unused where no x86 path is compiled
  switch (isa) {
    case Isa::scalar:
      return {};
    case Isa::avx2:
#if NNOCR_ARCH_X86_64
      return f.avx2 && f.fma ? std::string() : "this CPU (or OS) lacks AVX2+FMA";
#else
      return "avx2 is an x86-64 path and this binary is not built for x86-64";
#endif
    case Isa::avx512:
#if NNOCR_ARCH_X86_64
      return f.avx512f && f.avx512bw && f.avx512dq && f.avx512vl && f.avx2 && f.fma
                 ? std::string()
                 : "this CPU (or OS) lacks AVX-512 F/BW/DQ/VL";
#else
      return "avx512 is an x86-64 path and this binary is not built for x86-64";
#endif
    case Isa::neon:
#if NNOCR_ARCH_AARCH64
      return {};
#else
      return "neon is an aarch64 path and this binary is not built for aarch64";
#endif
  }
  return "unknown ISA";
}

struct IsaState {
  std::once_flag once;
  std::atomic<int> active{-1};
  std::atomic<int> source{0};  // 0 detected, 1 NNOCR_ISA, 2 set_isa()
  std::string env_error;       // set when NNOCR_ISA names something unusable
};
inline IsaState& isa_state() {
  static IsaState s;
  return s;
}

}  // namespace detail

inline const CpuFeatures& cpu_features() {
  static const CpuFeatures f = detail::detect_features();
  return f;
}

inline bool isa_available(Isa isa) { return detail::isa_unavailable_reason(isa, cpu_features()).empty(); }

inline std::vector<Isa> available_isas() {
  std::vector<Isa> out;
  for (int i = 0; i < kIsaCount; ++i)
    if (isa_available(static_cast<Isa>(i))) out.push_back(static_cast<Isa>(i));
  return out;
}

// The fastest ISA this machine runs.
inline Isa best_isa() {
  if (isa_available(Isa::avx512)) return Isa::avx512;
  if (isa_available(Isa::avx2)) return Isa::avx2;
  if (isa_available(Isa::neon)) return Isa::neon;
  return Isa::scalar;
}

// Forces `isa` for every kernel called after this; throws nnocr::Error if
// this machine cannot run it.
inline void set_isa(Isa isa) {
  std::string why = detail::isa_unavailable_reason(isa, cpu_features());
  NNOCR_CHECK(why.empty(), "cannot use ISA '", isa_name(isa), "': ", why);
  auto& s = detail::isa_state();
  std::call_once(s.once, [] {});
  s.env_error.clear();
  s.active.store(static_cast<int>(isa));
  s.source.store(2);
}

// The ISA kernels use now. The first call reads NNOCR_ISA; if it names an
// ISA that cannot run here, this (and every kernel) throws until set_isa()
// picks a valid one.
inline Isa active_isa() {
  auto& s = detail::isa_state();
  std::call_once(s.once, [&s] {
    const char* env = std::getenv("NNOCR_ISA");
    if (env && *env) {
      try {
        Isa isa = parse_isa(env);
        std::string why = detail::isa_unavailable_reason(isa, cpu_features());
        if (!why.empty()) throw Error(std::string("cannot use ISA '") + env + "': " + why);
        s.active.store(static_cast<int>(isa));
        s.source.store(1);
      } catch (const Error& e) {
        s.env_error = std::string("NNOCR_ISA: ") + e.what();
      }
      return;
    }
    s.active.store(static_cast<int>(best_isa()));
    s.source.store(0);
  });
  int a = s.active.load();
  if (a < 0) throw Error(s.env_error);
  return static_cast<Isa>(a);
}

// How the active ISA was chosen: "detected", "NNOCR_ISA" or "set_isa".
inline const char* isa_source() {
  active_isa();
  static constexpr const char* names[] = {"detected", "NNOCR_ISA", "set_isa"};
  return names[detail::isa_state().source.load()];
}

// Sets the ISA for the lifetime of a scope (tests loop over ISAs with it).
class IsaScope {
 public:
  explicit IsaScope(Isa isa) : previous_(active_isa()), previous_source_(detail::isa_state().source.load()) {
    set_isa(isa);
  }
  ~IsaScope() {
    detail::isa_state().active.store(static_cast<int>(previous_));
    detail::isa_state().source.store(previous_source_);
  }
  IsaScope(const IsaScope&) = delete;
  IsaScope& operator=(const IsaScope&) = delete;

 private:
  Isa previous_;
  int previous_source_;
};

}  // namespace nnocr::simd
