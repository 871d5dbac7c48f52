// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// The small API's shapes of work, built from lambdas: a reduction (hpar::reduce,
/// hpar::reduce_blocks) and a map with ordered output (hpar::map, hpar::map_blocks). Each is a
/// Work value that a job's setup returns (hpar::define_job, define.hpp); hpar runs it over
/// ranks and threads like any built-in job.
///
/// Layout independence: items are grouped into blocks whose size depends on the item count
/// (or .block_items) only, never on the layout. Inside a block the lambda's values are joined
/// in item order on one thread; rank 0 joins the blocks' values in block order. Every
/// addition therefore happens in the same order on any number of ranks and threads, and the
/// result is the same bits.
///
/// Cost: the lambda is a template argument, called directly in a plain loop over a block's
/// items (inlined by the compiler like a hand-written loop); hpar's own work is per block.

#include <algorithm>
#include <cstdint>
#include <functional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "hpar/api/output.hpp"
#include "hpar/api/value.hpp"
#include "hpar/core/errors.hpp"
#include "hpar/core/job.hpp"

namespace hpar {

/// The verdict of a job's own check of its answer (verify lambdas may return it, or a bool).
struct Check {
  bool pass = false;
  std::string detail;  ///< what was compared with what, for the report
};

/// Items per block when a Work does not set it: items / 1024 rounded up, between 1 and 65536.
/// A function of the item count alone, so it is the same on every layout; 1024 blocks or more
/// keep many ranks and threads busy, and at most 2^16 items per block keep blocks short.
[[nodiscard]] constexpr std::uint64_t default_block_items(std::uint64_t items) noexcept {
  const std::uint64_t per_block = items / 1024 + (items % 1024 != 0 ? 1 : 0);
  return std::clamp<std::uint64_t>(per_block, 1, std::uint64_t{1} << 16);
}

/// Whether a lambda is called per item (f(i)) or per block (f(Slice)).
enum class Grain { item, block };

/// Work over `items` items: a lambda (Kernel) per item or per block, whose values are joined
/// by Join starting from an identity; with Ordered, the lambda also appends output (an
/// Output&). Made by hpar::reduce, reduce_blocks, map and map_blocks; set up further with the
/// chained setters. The kernel is called concurrently by several threads (on copies of
/// nothing: captures are shared, read only).
template <class Value, class Kernel, class Join, Grain G, bool Ordered>
class Work {
 public:
  using value_type = Value;

  /// Work over items [0, items) (hpar::reduce and friends call this).
  Work(std::uint64_t items, Kernel kernel, Join join, Value identity)
      : items_(items),
        block_items_(default_block_items(items)),
        kernel_(std::move(kernel)),
        join_(std::move(join)),
        identity_(std::move(identity)) {}

  /// Items per block (>= 1; default default_block_items). The result's rounding depends on
  /// it, never on the layout. Throws UsageError when 0.
  Work& block_items(std::uint64_t n) & {
    if (n < 1) throw UsageError("a block must hold at least one item");
    block_items_ = n;
    return *this;
  }
  Work&& block_items(std::uint64_t n) && { return std::move(block_items(n)); }

  /// What an item is, for the report's throughput ("samples", "intervals"; default "items").
  Work& unit(std::string name) & {
    unit_ = std::move(name);
    return *this;
  }
  Work&& unit(std::string name) && { return std::move(unit(std::move(name))); }

  /// The result lines rank 0 prints, from the joined value: `f(value)` returns a string (one
  /// line) or a vector of strings; each line is printed after "result: ". Without it: one line
  /// with the value (17 significant digits for floating point).
  template <class F>
  Work& result(F f) & {
    result_ = [f = std::move(f)](const Value& v) -> std::vector<std::string> {
      if constexpr (std::is_convertible_v<std::invoke_result_t<const F&, const Value&>,
                                          std::string>) {
        return {std::string(f(v))};
      } else {
        return f(v);
      }
    };
    return *this;
  }
  template <class F>
  Work&& result(F f) && {
    return std::move(result(std::move(f)));
  }

  /// The job's own check, on rank 0: `f(value)` returns a Check or a bool. A failed check ends
  /// the run with "verification FAIL" in the report and exit code 3. Without it the report
  /// says "verification none".
  template <class F>
  Work& verify(F f) & {
    verify_ = [f = std::move(f)](const Value& v) -> Check {
      if constexpr (std::is_same_v<std::invoke_result_t<const F&, const Value&>, bool>) {
        const bool pass = f(v);
        return {pass, pass ? "the job's check passed" : "the job's check failed"};
      } else {
        return f(v);
      }
    };
    return *this;
  }
  template <class F>
  Work&& verify(F f) && {
    return std::move(verify(std::move(f)));
  }

  /// The engine's view: items, blocks, one partial value per block, ordered output or not.
  [[nodiscard]] WorkPlan plan() const {
    WorkPlan p;
    p.items = items_;
    p.block_items = block_items_;
    p.real_partials = detail::Partial<Value>::reals;
    p.count_partials = detail::Partial<Value>::counts;
    p.ordered_output = Ordered;
    p.item_unit = unit_;
    return p;
  }

  /// The value of the items of one block, joined in item order; with Ordered, their output
  /// appended to `bytes`. The loop the lambda is inlined into.
  [[nodiscard]] Value compute(Slice items, std::string* bytes) const {
    if constexpr (Ordered) {
      std::string spare;  // only when the engine keeps no output (never on the last pass)
      Output out(bytes != nullptr ? *bytes : spare);
      if constexpr (G == Grain::block) {
        return call(items, out);
      } else if constexpr (std::is_void_v<
                               std::invoke_result_t<const Kernel&, std::uint64_t, Output&>>) {
        for (std::uint64_t i = items.begin; i < items.end; ++i) kernel_(i, out);
        return identity_;
      } else {
        Value acc = identity_;
        for (std::uint64_t i = items.begin; i < items.end; ++i) acc = join_(acc, call(i, out));
        return acc;
      }
    } else if constexpr (G == Grain::block) {
      return call(items);
    } else {
      Value acc = identity_;
      for (std::uint64_t i = items.begin; i < items.end; ++i) acc = join_(acc, call(i));
      return acc;
    }
  }

  /// Rank 0: joins the blocks' values in block order, then the result lines and the check.
  [[nodiscard]] JobResult finish(const Gathered& g) const {
    using P = detail::Partial<Value>;
    Value total = identity_;
    const double* r = g.reals.data();
    const std::uint64_t* c = g.counts.data();
    for (std::uint64_t b = 0; b < g.blocks; ++b) total = join_(total, P::load(r, c));
    JobResult out;
    if (result_) {
      for (auto& line : result_(total)) out.lines.push_back("result: " + line);
    } else if constexpr (!std::is_same_v<Value, NoValue>) {
      std::string line = "result: ";
      detail::append_value(line, total);
      out.lines.push_back(std::move(line));
    }
    if (verify_) {
      const Check check = verify_(total);
      out.verification.status =
          check.pass ? Verification::Status::pass : Verification::Status::fail;
      out.verification.detail = check.detail;
    }
    return out;
  }

 private:
  /// The kernel's value for these arguments, as a Value (NoValue when it returns nothing).
  template <class... Args>
  Value call(Args&&... args) const {
    if constexpr (std::is_void_v<std::invoke_result_t<const Kernel&, Args...>>) {
      kernel_(std::forward<Args>(args)...);
      return identity_;
    } else {
      return detail::widen<Value>(kernel_(std::forward<Args>(args)...));
    }
  }

  std::uint64_t items_;
  std::uint64_t block_items_;
  Kernel kernel_;
  Join join_;
  Value identity_;
  std::string unit_ = "items";
  std::function<std::vector<std::string>(const Value&)> result_;
  std::function<Check(const Value&)> verify_;
};

namespace detail {

/// The type a kernel returns, decayed.
template <class F, class... Args>
using Returned = std::decay_t<std::invoke_result_t<const F&, Args...>>;

/// The value type of a map's kernel: NoValue when it returns nothing.
template <class F, class... Args>
using MapValue = std::conditional_t<std::is_void_v<std::invoke_result_t<const F&, Args...>>,
                                    NoValue, std::invoke_result_t<const F&, Args...>>;

/// The Work that sums a kernel's values (hpar::Sum, integers widened to 64 bits), made only
/// when R, the kernel's value, is Summable: otherwise one readable error and nothing else.
template <class R, Grain G, bool Ordered, class Kernel>
[[nodiscard]] auto summed(std::uint64_t items, Kernel kernel) {
  static_assert(Summable<R>::value,
                "hpar sums the lambda's values exactly: return an integer of at most 64 bits, "
                "a bool, a float or a double, or a std::array, std::pair or std::tuple of them "
                "(integers and bools are summed element by element in 64 bits); long double, "
                "integers wider than 64 bits, pointers, enums and classes cannot be summed "
                "exactly: use the full Job interface (hpar/core/job.hpp) for them");
  if constexpr (Summable<R>::value) {
    using V = typename Accumulated<R>::type;
    return Work<V, Kernel, Sum, G, Ordered>(items, std::move(kernel), Sum{}, V{});
  }
}

template <class V>
constexpr void check_carried() {
  static_assert(Carried<V>,
                "hpar can carry integers of at most 64 bits, bools, floats, doubles and "
                "std::array/pair/tuple of them from blocks to rank 0; make the join's identity "
                "(and value) one of those (or use the full Job interface)");
}

}  // namespace detail

/// A reduction: the sum over items i in [0, items) of `kernel(i)`: an integer, bool, float or
/// double, or a std::array/pair/tuple of them, summed element by element; integers and bools
/// are summed in 64 bits (std::int64_t or std::uint64_t, modulo 2^64), so the value is e.g. a
/// std::array<std::uint64_t, 2> for a kernel returning std::array<bool, 2>. Any other type is
/// refused at compile time. kernel: `(std::uint64_t i) -> V`.
template <class Kernel>
[[nodiscard]] auto reduce(std::uint64_t items, Kernel kernel) {
  static_assert(std::is_invocable_v<const Kernel&, std::uint64_t>,
                "hpar::reduce needs a lambda (std::uint64_t i) -> value");
  return detail::summed<detail::Returned<Kernel, std::uint64_t>, Grain::item, false>(
      items, std::move(kernel));
}

/// A reduction with a join of one's own: `join(join(identity, kernel(0)), kernel(1)) ...`
/// inside each block, then over the blocks in block order (e.g. a maximum: join = max,
/// identity = lowest). join: `(V, V) -> V`; V as for reduce, but kept as it is (not widened).
template <class Kernel, class Join, class V>
[[nodiscard]] auto reduce(std::uint64_t items, Kernel kernel, Join join, V identity) {
  static_assert(std::is_invocable_v<const Kernel&, std::uint64_t>,
                "hpar::reduce needs a lambda (std::uint64_t i) -> value");
  detail::check_carried<V>();
  return Work<V, Kernel, Join, Grain::item, false>(items, std::move(kernel), std::move(join),
                                                   std::move(identity));
}

/// A reduction by blocks: `kernel(items)` returns the value of a whole block (a Slice of item
/// indices, in item order), e.g. a loop of one's own or a random stream per block. The blocks'
/// values are summed in block order, as by reduce (integers in 64 bits).
template <class Kernel>
[[nodiscard]] auto reduce_blocks(std::uint64_t items, Kernel kernel) {
  static_assert(std::is_invocable_v<const Kernel&, Slice>,
                "hpar::reduce_blocks needs a lambda (hpar::Slice items) -> value");
  return detail::summed<detail::Returned<Kernel, Slice>, Grain::block, false>(items,
                                                                              std::move(kernel));
}

/// A reduction by blocks with a join of one's own (see reduce).
template <class Kernel, class Join, class V>
[[nodiscard]] auto reduce_blocks(std::uint64_t items, Kernel kernel, Join join, V identity) {
  static_assert(std::is_invocable_v<const Kernel&, Slice>,
                "hpar::reduce_blocks needs a lambda (hpar::Slice items) -> value");
  detail::check_carried<V>();
  return Work<V, Kernel, Join, Grain::block, false>(items, std::move(kernel), std::move(join),
                                                    std::move(identity));
}

/// A map with ordered output: `kernel(i, out)` appends item i's output to `out` (an Output&);
/// hpar prints all items' output in item order (standard output, or --output FILE). When the
/// kernel also returns a value, the values are summed as by reduce (e.g. a checksum for
/// .verify).
template <class Kernel>
[[nodiscard]] auto map(std::uint64_t items, Kernel kernel) {
  static_assert(std::is_invocable_v<const Kernel&, std::uint64_t, Output&>,
                "hpar::map needs a lambda (std::uint64_t i, hpar::Output& out)");
  return detail::summed<std::decay_t<detail::MapValue<Kernel, std::uint64_t, Output&>>, Grain::item,
                        true>(items, std::move(kernel));
}

/// A map by blocks: `kernel(items, out)` appends the output of a whole block (a Slice, in item
/// order) and may return its value (summed in block order, as by reduce).
template <class Kernel>
[[nodiscard]] auto map_blocks(std::uint64_t items, Kernel kernel) {
  static_assert(std::is_invocable_v<const Kernel&, Slice, Output&>,
                "hpar::map_blocks needs a lambda (hpar::Slice items, hpar::Output& out)");
  return detail::summed<std::decay_t<detail::MapValue<Kernel, Slice, Output&>>, Grain::block, true>(
      items, std::move(kernel));
}

}  // namespace hpar
