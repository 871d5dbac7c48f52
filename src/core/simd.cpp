// SPDX-License-Identifier: BSD-3-Clause
#include "hpar/core/simd.hpp"

#include <algorithm>

namespace hpar {

std::string_view simd_level_name(SimdLevel level) noexcept {
  switch (level) {
    case SimdLevel::x86_64:
      return "x86-64 (SSE2)";
    case SimdLevel::x86_64_v2:
      return "x86-64-v2 (SSE4.2)";
    case SimdLevel::x86_64_v3:
      return "x86-64-v3 (AVX2)";
    case SimdLevel::x86_64_v4:
      return "x86-64-v4 (AVX-512)";
    case SimdLevel::generic:
      break;
  }
  return "generic";
}

SimdLevel compiled_simd_level() noexcept {
  // The compiler's predefined macros for this translation unit's target: every target of hpar
  // gets the same -march (the options target), so this is the whole binary's level.
#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512CD__) && \
    defined(__AVX512DQ__) && defined(__AVX512VL__)
  return SimdLevel::x86_64_v4;
#elif defined(__AVX2__) && defined(__FMA__) && defined(__BMI2__)
  return SimdLevel::x86_64_v3;
#elif defined(__SSE4_2__) && defined(__POPCNT__) && defined(__SSSE3__)
  return SimdLevel::x86_64_v2;
#elif defined(__x86_64__)
  return SimdLevel::x86_64;
#else
  return SimdLevel::generic;
#endif
}

SimdLevel cpu_simd_level() noexcept {
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("x86-64-v4")) return SimdLevel::x86_64_v4;
  if (__builtin_cpu_supports("x86-64-v3")) return SimdLevel::x86_64_v3;
  if (__builtin_cpu_supports("x86-64-v2")) return SimdLevel::x86_64_v2;
  return SimdLevel::x86_64;
#elif defined(__x86_64__) && defined(__clang__)
  // Clang (clang-tidy) has no level names: the features that set each level apart.
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl"))
    return SimdLevel::x86_64_v4;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return SimdLevel::x86_64_v3;
  if (__builtin_cpu_supports("sse4.2") && __builtin_cpu_supports("popcnt"))
    return SimdLevel::x86_64_v2;
  return SimdLevel::x86_64;
#else
  return SimdLevel::generic;
#endif
}

SimdLevel kernel_simd_level() noexcept {
  const SimdLevel compiled = compiled_simd_level();
#if defined(HPAR_WITH_KERNEL_CLONES) && defined(__x86_64__) && defined(__GNUC__) && \
    !defined(__clang__)
  // The clones of HPAR_MULTIVERSIONED: the loader takes the highest one the CPU has.
  const SimdLevel cpu = cpu_simd_level();
  if (cpu >= SimdLevel::x86_64_v3) return std::max(compiled, std::min(cpu, SimdLevel::x86_64_v4));
#endif
  return compiled;
}

}  // namespace hpar
