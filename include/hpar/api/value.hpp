// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// The values a small-API reduction can carry from blocks to rank 0: integers (at most 64
/// bits), bool, float, double and std::array, std::pair and std::tuple of them. Each block's
/// value travels as the engine's block partials (doubles for floating point, 64-bit counters
/// for integers) and is read back exactly, so rank 0 folds the very values the blocks
/// produced, in block order.
///
/// The sum (hpar::Sum, the join of hpar::reduce, reduce_blocks, map and map_blocks) keeps
/// integers and bools in 64 bits, element by element in a tuple-like value: a bool counts 1,
/// signed integers are summed in std::int64_t, unsigned ones in std::uint64_t, both modulo
/// 2^64 (never undefined behaviour). Floating-point elements are added in their own type.

#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include "hpar/core/format.hpp"

namespace hpar {

/// The value of a map whose lambda returns nothing.
struct NoValue {
  friend bool operator==(NoValue, NoValue) = default;
};

/// The default join: addition, element by element for std::array, std::pair and std::tuple.
struct Sum {
  /// a + b (element by element), in the type of a and b.
  template <class V>
  [[nodiscard]] constexpr V operator()(const V& a, const V& b) const {
    if constexpr (std::same_as<V, NoValue>) {
      return {};
    } else if constexpr (std::integral<V>) {
      // Modulo 2^64 through the unsigned type: a signed overflow is no undefined behaviour.
      return static_cast<V>(static_cast<std::uint64_t>(a) + static_cast<std::uint64_t>(b));
    } else if constexpr (std::is_arithmetic_v<V>) {
      return static_cast<V>(a + b);
    } else {
      V sum = a;
      sum_into(sum, b, std::make_index_sequence<std::tuple_size_v<V>>{});
      return sum;
    }
  }

 private:
  template <class V, std::size_t... I>
  constexpr void sum_into(V& sum, const V& b, std::index_sequence<I...> /*elements*/) const {
    ((std::get<I>(sum) = (*this)(std::get<I>(sum), std::get<I>(b))), ...);
  }
};

namespace detail {

/// How a value of type V travels as block partials: `reals` doubles and `counts` 64-bit
/// counters, written by store and read back (exactly) by load. Not defined for a type hpar
/// cannot carry (long double, pointers, classes).
template <class V>
struct Partial;

template <std::floating_point T>
requires(!std::same_as<T, long double>) struct Partial<T> {
  static constexpr std::size_t reals = 1;
  static constexpr std::size_t counts = 0;
  static void store(const T& v, double*& r, std::uint64_t*& /*c*/) {
    *r++ = static_cast<double>(v);
  }
  static T load(const double*& r, const std::uint64_t*& /*c*/) { return static_cast<T>(*r++); }
};

template <std::integral T>
requires(sizeof(T) <= sizeof(std::uint64_t)) struct Partial<T> {
  static constexpr std::size_t reals = 0;
  static constexpr std::size_t counts = 1;
  static void store(const T& v, double*& /*r*/, std::uint64_t*& c) {
    *c++ = static_cast<std::uint64_t>(v);  // two's complement for negative values
  }
  static T load(const double*& /*r*/, const std::uint64_t*& c) {
    if constexpr (std::same_as<T, bool>) {
      return *c++ != 0;
    } else {
      return static_cast<T>(*c++);
    }
  }
};

template <>
struct Partial<NoValue> {
  static constexpr std::size_t reals = 0;
  static constexpr std::size_t counts = 0;
  static void store(const NoValue& /*v*/, double*& /*r*/, std::uint64_t*& /*c*/) {}
  static NoValue load(const double*& /*r*/, const std::uint64_t*& /*c*/) { return {}; }
};

/// Partials of a tuple-like value (std::array, std::pair, std::tuple), element by element.
template <class V, class... Elements>
struct TuplePartial {
  static constexpr std::size_t reals = (std::size_t{0} + ... + Partial<Elements>::reals);
  static constexpr std::size_t counts = (std::size_t{0} + ... + Partial<Elements>::counts);
  static void store(const V& v, double*& r, std::uint64_t*& c) {
    std::apply([&](const auto&... e) { (Partial<std::decay_t<decltype(e)>>::store(e, r, c), ...); },
               v);
  }
  static V load(const double*& r, const std::uint64_t*& c) {
    return V{Partial<Elements>::load(r, c)...};  // braced: read left to right
  }
};

template <class T, std::size_t N, std::size_t... I>
TuplePartial<std::array<T, N>, decltype((void)I, T{})...> array_partial(
    std::index_sequence<I...> /*elements*/);

template <class T, std::size_t N>
struct Partial<std::array<T, N>> : decltype(array_partial<T, N>(std::make_index_sequence<N>{})) {};
template <class A, class B>
struct Partial<std::pair<A, B>> : TuplePartial<std::pair<A, B>, A, B> {};
template <class... Ts>
struct Partial<std::tuple<Ts...>> : TuplePartial<std::tuple<Ts...>, Ts...> {};

/// Whether hpar can carry values of type V from blocks to rank 0.
template <class V>
concept Carried = requires {
  Partial<V>::reals;
};

/// Whether hpar::Sum adds values of type V exactly (see the top of this file): integers of
/// at most 64 bits, bool, float, double, NoValue, and std::array, std::pair and std::tuple
/// whose elements are all summable (nested ones too). Not: long double (carried as a double,
/// it would lose bits), wider integers (__int128), pointers, references, enums, classes.
template <class V>
struct Summable : std::false_type {};
template <std::integral T>
requires(sizeof(T) <= sizeof(std::uint64_t)) struct Summable<T> : std::true_type {
};
template <class T>
requires(std::same_as<T, float> || std::same_as<T, double>) struct Summable<T> : std::true_type {
};
template <>
struct Summable<NoValue> : std::true_type {};
template <class T, std::size_t N>
struct Summable<std::array<T, N>> : Summable<T> {};
template <class A, class B>
struct Summable<std::pair<A, B>> : std::bool_constant<Summable<A>::value && Summable<B>::value> {};
template <class... Ts>
struct Summable<std::tuple<Ts...>> : std::bool_constant<(Summable<Ts>::value && ...)> {};

/// The type a sum of T is kept in: integers (and bool, counting) widen to 64 bits, so that a
/// count of many items does not overflow a narrower type, element by element in a tuple-like
/// value (std::array<bool, 2> -> std::array<std::uint64_t, 2>, std::pair<int, double> ->
/// std::pair<std::int64_t, double>); other types stay as they are.
template <class T>
struct Accumulated {
  using type = T;
};
template <std::integral T>
struct Accumulated<T> {
  using type = std::conditional_t<std::is_signed_v<T> && !std::same_as<T, bool>, std::int64_t,
                                  std::uint64_t>;
};
template <class T, std::size_t N>
struct Accumulated<std::array<T, N>> {
  using type = std::array<typename Accumulated<T>::type, N>;
};
template <class A, class B>
struct Accumulated<std::pair<A, B>> {
  using type = std::pair<typename Accumulated<A>::type, typename Accumulated<B>::type>;
};
template <class... Ts>
struct Accumulated<std::tuple<Ts...>> {
  using type = std::tuple<typename Accumulated<Ts>::type...>;
};

template <class T>
struct IsTupleLike : std::false_type {};
template <class T, std::size_t N>
struct IsTupleLike<std::array<T, N>> : std::true_type {};
template <class A, class B>
struct IsTupleLike<std::pair<A, B>> : std::true_type {};
template <class... Ts>
struct IsTupleLike<std::tuple<Ts...>> : std::true_type {};

/// `v` as a V: element by element when both are tuple-like (an std::array<int, 2> becomes
/// an std::array<std::int64_t, 2>, which no cast does), else a static_cast.
template <class V, class From>
[[nodiscard]] constexpr V widen(From&& v) {
  using F = std::decay_t<From>;
  if constexpr (std::same_as<F, V>) {
    return std::forward<From>(v);
  } else if constexpr (IsTupleLike<V>::value && IsTupleLike<F>::value) {
    static_assert(std::tuple_size_v<V> == std::tuple_size_v<F>);
    return [&]<std::size_t... I>(std::index_sequence<I...> /*elements*/) {
      return V{widen<std::tuple_element_t<I, V>>(std::get<I>(v))...};
    }
    (std::make_index_sequence<std::tuple_size_v<V>>{});
  } else {
    return static_cast<V>(std::forward<From>(v));
  }
}

/// Appends the text of v: integers in decimal, floating point with 17 significant digits
/// (format_exact), the elements of a tuple-like value separated by spaces.
template <class V>
void append_value(std::string& text, const V& v) {
  if constexpr (std::same_as<V, bool>) {
    text += v ? "1" : "0";
  } else if constexpr (std::integral<V>) {
    text += std::to_string(v);
  } else if constexpr (std::floating_point<V>) {
    text += format_exact(static_cast<double>(v));
  } else if constexpr (!std::same_as<V, NoValue>) {
    std::apply(
        [&](const auto&... e) {
          bool first = true;
          ((text += first ? "" : " ", append_value(text, e), first = false), ...);
        },
        v);
  }
}

}  // namespace detail
}  // namespace hpar
