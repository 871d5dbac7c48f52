// SPDX-License-Identifier: BSD-3-Clause
// The SIMD levels a binary reports: its compiled level, the CPU's (checked against the
// kernel's CPU flags in /proc/cpuinfo, read independently of CPUID) and the kernels'.

#include <gtest/gtest.h>

#include <fstream>
#include <initializer_list>
#include <set>
#include <sstream>
#include <string>
#include <string_view>

#include "hpar/core/simd.hpp"
#include "hpar/report/report.hpp"

using namespace hpar;

namespace {

/// The CPU's x86-64 level from the first "flags" line of /proc/cpuinfo (the psABI's lists).
SimdLevel level_from_cpuinfo() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  std::set<std::string> flags;
  while (std::getline(in, line)) {
    if (line.rfind("flags", 0) != 0) continue;
    std::istringstream words(line.substr(line.find(':') + 1));
    for (std::string w; words >> w;) flags.insert(w);
    break;
  }
  const auto has = [&](std::initializer_list<const char*> names) {
    for (const char* n : names) {
      if (flags.count(n) == 0U) return false;
    }
    return true;
  };
  if (!has({"cx16", "lahf_lm", "popcnt", "sse4_1", "sse4_2", "ssse3"})) return SimdLevel::x86_64;
  if (!has({"avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "abm", "movbe", "xsave"}))
    return SimdLevel::x86_64_v2;
  if (!has({"avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"}))
    return SimdLevel::x86_64_v3;
  return SimdLevel::x86_64_v4;
}

}  // namespace

TEST(Simd, LevelNamesAreDistinct) {
  std::set<std::string_view> names;
  for (auto l : {SimdLevel::generic, SimdLevel::x86_64, SimdLevel::x86_64_v2, SimdLevel::x86_64_v3,
                 SimdLevel::x86_64_v4}) {
    names.insert(simd_level_name(l));
  }
  EXPECT_EQ(names.size(), 5U);
  EXPECT_EQ(simd_level_name(SimdLevel::x86_64_v4), "x86-64-v4 (AVX-512)");
}

#if defined(__x86_64__) && defined(__linux__)
// The kernel lists what it knows the CPU has; a hypervisor may hide a flag from that list
// (this project's CI machines list no "abm" although CPUID reports LZCNT and the v3 kernels
// run), never add one: CPUID's level is at least the flags' level.
TEST(Simd, CpuLevelAgreesWithTheKernelsFlags) {
  EXPECT_GE(static_cast<int>(cpu_simd_level()), static_cast<int>(level_from_cpuinfo()))
      << "CPUID says " << simd_level_name(cpu_simd_level()) << ", /proc/cpuinfo "
      << simd_level_name(level_from_cpuinfo());
}
#endif

TEST(Simd, KernelsRunBetweenTheCompiledAndTheCpuLevel) {
  // This test runs, so the CPU has every instruction the binary was compiled for.
  EXPECT_LE(compiled_simd_level(), cpu_simd_level());
  EXPECT_LE(compiled_simd_level(), kernel_simd_level());
  EXPECT_LE(kernel_simd_level(), cpu_simd_level());
}

TEST(Simd, ReportAndVersionNameTheTarget) {
  const auto t = target_json();
  EXPECT_EQ(t["arch"], build_info().arch);
  EXPECT_FALSE(t["march"].get<std::string>().empty());
  EXPECT_EQ(t["kernel_simd"], std::string(simd_level_name(kernel_simd_level())));
  const std::string text = target_text(t);
  EXPECT_EQ(text.rfind(build_info().arch + " (" + build_info().march + "); SIMD ", 0), 0U) << text;
  EXPECT_NE(text.find(std::string("CPU ") + std::string(simd_level_name(cpu_simd_level()))),
            std::string::npos)
      << text;
}
