// SPDX-License-Identifier: BSD-3-Clause
// The small API's sums of tuple-like values (std::array, std::pair, std::tuple) against plain
// serial loops: integer and bool elements are summed element by element in 64 bits (a count
// of bools past 1, sums of int past 2^31, modulo 2^64 past that), floating-point elements in
// block order; types that cannot be summed exactly are not Summable (refused at compile time,
// see tests/compile_fail/).

#include <gtest/gtest.h>

#include <array>
#include <climits>
#include <cstdint>
#include <tuple>
#include <utility>

#include "hpar/hpar.hpp"
#include "job_harness.hpp"
#include "small_jobs.hpp"

namespace {

constexpr std::uint64_t items = 100'003;  // default blocks of 98 items: 1021 blocks

/// Item i's element k of type T: the low bits of a mixed 64-bit value (integers over their
/// whole range, negative ones too; half the bools true), or a rounding-sensitive double.
template <class T>
T element(std::uint64_t i, unsigned k) {
  const std::uint64_t m = hpar_test::mix(i * 8 + k);
  if constexpr (std::same_as<T, bool>) {
    return (m & 1U) != 0;
  } else if constexpr (std::integral<T>) {
    return static_cast<T>(m);  // modulo 2^bits (C++20)
  } else {
    return static_cast<T>(hpar_test::wavy(i + k));
  }
}

/// The plain loop for an integer or bool element: the sum over all items, in 64 bits modulo
/// 2^64 (int64 for signed T, uint64 for unsigned T and bool).
template <class T>
auto plain_sum(std::uint64_t n, unsigned k) {
  std::uint64_t sum = 0;
  for (std::uint64_t i = 0; i < n; ++i) {
    const T x = element<T>(i, k);
    if constexpr (std::is_signed_v<T>) {
      sum += static_cast<std::uint64_t>(static_cast<std::int64_t>(x));
    } else {
      sum += static_cast<std::uint64_t>(x);
    }
  }
  if constexpr (std::is_signed_v<T>) {
    return static_cast<std::int64_t>(sum);
  } else {
    return sum;
  }
}

/// The plain loop for a double element: each block of `block` items summed in item order,
/// then the blocks in block order.
double plain_block_sum(std::uint64_t n, std::uint64_t block, unsigned k) {
  double total = 0.0;
  for (std::uint64_t b = 0; b * block < n; ++b) {
    double part = 0.0;
    for (std::uint64_t i = b * block; i < std::min(n, (b + 1) * block); ++i) {
      part += element<double>(i, k);
    }
    total += part;
  }
  return total;
}

/// Runs `work` block by block through the block partials (as rank 0 of a run folds them) and
/// returns its joined value.
template <class W>
typename W::value_type value_of(W work) {
  typename W::value_type value{};
  work.verify([&value](const typename W::value_type& v) {
    value = v;
    return true;
  });
  hpar::detail::WorkJob<W> job(std::move(work));
  auto gathered = hpar::testing::run_serially(job);
  (void)job.finish(gathered);
  return value;
}

template <class T>
class SmallApiSums : public ::testing::Test {};

using ElementTypes =
    ::testing::Types<bool, std::int8_t, std::int16_t, std::int32_t, std::int64_t, std::uint8_t,
                     std::uint16_t, std::uint32_t, std::uint64_t, unsigned, char, long long>;
TYPED_TEST_SUITE(SmallApiSums, ElementTypes);

TYPED_TEST(SmallApiSums, ArraysAreSummedElementByElementIn64Bits) {
  using T = TypeParam;
  using Sum = decltype(plain_sum<T>(0, 0));
  const auto array = value_of(hpar::reduce(items, [](std::uint64_t i) {
    return std::array<T, 3>{element<T>(i, 0), element<T>(i, 1), element<T>(i, 2)};
  }));
  static_assert(std::same_as<decltype(array), const std::array<Sum, 3>>);
  for (unsigned k = 0; k < 3; ++k) EXPECT_EQ(array[k], plain_sum<T>(items, k)) << k;
}

TYPED_TEST(SmallApiSums, PairsAndTuplesAreSummedElementByElementIn64Bits) {
  using T = TypeParam;
  using Sum = decltype(plain_sum<T>(0, 0));
  const auto pair = value_of(hpar::reduce(items, [](std::uint64_t i) {
    return std::pair<T, T>{element<T>(i, 0), element<T>(i, 1)};
  }));
  static_assert(std::same_as<decltype(pair), const std::pair<Sum, Sum>>);
  EXPECT_EQ(pair.first, plain_sum<T>(items, 0));
  EXPECT_EQ(pair.second, plain_sum<T>(items, 1));
  const auto tuple = value_of(hpar::reduce(items, [](std::uint64_t i) {
    return std::tuple<T, T, T>{element<T>(i, 0), element<T>(i, 1), element<T>(i, 2)};
  }));
  EXPECT_EQ(std::get<0>(tuple), plain_sum<T>(items, 0));
  EXPECT_EQ(std::get<1>(tuple), plain_sum<T>(items, 1));
  EXPECT_EQ(std::get<2>(tuple), plain_sum<T>(items, 2));
}

TYPED_TEST(SmallApiSums, MapsAndBlockReductionsSumIn64BitsToo) {
  using T = TypeParam;
  const auto map = value_of(hpar::map(items, [](std::uint64_t i, hpar::Output& /*out*/) {
    return std::array<T, 1>{element<T>(i, 0)};
  }));
  EXPECT_EQ(map[0], plain_sum<T>(items, 0));
  // One item per block: the blocks' own values are the items', summed by hpar.
  const auto blocks =
      value_of(hpar::reduce_blocks(items, [](hpar::Slice s) {
                 return std::pair<T, T>{element<T>(s.begin, 0), element<T>(s.begin, 1)};
               }).block_items(1));
  EXPECT_EQ(blocks.first, plain_sum<T>(items, 0));
  EXPECT_EQ(blocks.second, plain_sum<T>(items, 1));
}

TEST(SmallApiSums, ACountOfBoolsPassesOneAndSumsOfIntPass2To31) {
  // std::array<bool, 2> counts past 1; std::pair<int, int> sums past 2^31.
  const auto counts = value_of(hpar::reduce(items, [](std::uint64_t i) {
    return std::array<bool, 2>{true, i % 3 == 0};
  }));
  EXPECT_EQ(counts, (std::array<std::uint64_t, 2>{items, (items + 2) / 3}));
  const auto sums = value_of(hpar::reduce(10, [](std::uint64_t /*i*/) {
    return std::pair<int, int>{INT_MAX, INT_MIN};
  }));
  EXPECT_EQ(sums, (std::pair<std::int64_t, std::int64_t>{10LL * INT_MAX, 10LL * INT_MIN}));
}

TEST(SmallApiSums, AMixedTupleSumsIntegersIn64BitsAndDoublesInBlockOrder) {
  const auto mixed = value_of(hpar::reduce(items, [](std::uint64_t i) {
    return std::tuple<std::int32_t, double, bool, std::uint8_t, float>{
        element<std::int32_t>(i, 0), element<double>(i, 1), element<bool>(i, 2),
        element<std::uint8_t>(i, 3), 0.5F};
  }));
  static_assert(
      std::same_as<decltype(mixed),
                   const std::tuple<std::int64_t, double, std::uint64_t, std::uint64_t, float>>);
  EXPECT_EQ(std::get<0>(mixed), plain_sum<std::int32_t>(items, 0));
  const double doubles = plain_block_sum(items, hpar::default_block_items(items), 1);
  EXPECT_EQ(hpar::format_exact(std::get<1>(mixed)), hpar::format_exact(doubles));
  double straight = 0.0;
  for (std::uint64_t i = 0; i < items; ++i) straight += element<double>(i, 1);
  ASSERT_NE(straight, doubles) << "the doubles must be sensitive to the order of additions";
  EXPECT_EQ(std::get<2>(mixed), plain_sum<bool>(items, 2));
  EXPECT_EQ(std::get<3>(mixed), plain_sum<std::uint8_t>(items, 3));
  EXPECT_EQ(std::get<4>(mixed), static_cast<float>(items) * 0.5F);
  // Nested tuple-like values too.
  const auto nested = value_of(hpar::reduce(items, [](std::uint64_t i) {
    return std::pair<std::array<std::int16_t, 1>, std::tuple<bool>>{{element<std::int16_t>(i, 0)},
                                                                    {element<bool>(i, 1)}};
  }));
  EXPECT_EQ(nested.first[0], plain_sum<std::int16_t>(items, 0));
  EXPECT_EQ(std::get<0>(nested.second), plain_sum<bool>(items, 1));
}

TEST(SmallApiSums, OnlyTypesThatSumExactlyAreSummable) {
  using hpar::detail::Summable;
  static_assert(Summable<std::tuple<bool, std::int8_t, std::uint64_t, float, double>>::value);
  static_assert(Summable<std::pair<std::array<int, 2>, std::tuple<>>>::value);
  static_assert(!Summable<long double>::value);
  static_assert(!Summable<std::array<long double, 2>>::value);
  static_assert(!Summable<std::pair<int, long double>>::value);
  static_assert(!Summable<std::tuple<int, int&>>::value);
  static_assert(!Summable<const int*>::value);
  static_assert(!Summable<std::tuple<int, std::string>>::value);
#ifdef __SIZEOF_INT128__
  __extension__ using int128 = __int128;
  __extension__ using uint128 = unsigned __int128;
  static_assert(!Summable<int128>::value);
  static_assert(!hpar::detail::Carried<uint128>);
#endif
  static_assert(!hpar::detail::Carried<long double>);
  SUCCEED();
}

}  // namespace
