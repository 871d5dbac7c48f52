// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// The SIMD level this binary was built for (HPAR_ARCH) and the one it runs with on this CPU,
/// in the x86-64 psABI's microarchitecture levels; and the marker of multi-versioned kernels.

#include <string_view>

/// HPAR_MULTIVERSIONED before a hot kernel's definition: in a build with HPAR_KERNEL_CLONES
/// (portable x86-64 builds with GCC), the compiler emits the kernel three times, for the build's
/// baseline, x86-64-v3 (AVX2) and x86-64-v4 (AVX-512), and the loader picks the highest clone the
/// CPU supports;
/// otherwise it expands to nothing. Clones must compute the same bits: the kernels it marks
/// use integer arithmetic or floating point without reassociation or contraction.
#if defined(HPAR_WITH_KERNEL_CLONES) && defined(__x86_64__) && defined(__GNUC__) && \
    !defined(__clang__)
#define HPAR_MULTIVERSIONED \
  __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define HPAR_MULTIVERSIONED
#endif

namespace hpar {

/// x86-64 microarchitecture levels, lowest first; `generic` is a machine that is not x86-64.
enum class SimdLevel { generic, x86_64, x86_64_v2, x86_64_v3, x86_64_v4 };

/// The level as a user reads it, e.g. "x86-64-v4 (AVX-512)", "x86-64 (SSE2)".
[[nodiscard]] std::string_view simd_level_name(SimdLevel level) noexcept;

/// The level all of this binary's code was compiled for: a CPU below it cannot run it.
[[nodiscard]] SimdLevel compiled_simd_level() noexcept;

/// The highest level the CPU running this process supports (CPUID, through the compiler).
[[nodiscard]] SimdLevel cpu_simd_level() noexcept;

/// The level the hot kernels (those marked HPAR_MULTIVERSIONED) run with on this CPU: the
/// compiled level, raised to x86-64-v3 or x86-64-v4 where they are multi-versioned and the CPU
/// has it.
[[nodiscard]] SimdLevel kernel_simd_level() noexcept;

}  // namespace hpar
