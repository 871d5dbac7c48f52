// SPDX-License-Identifier: BSD-3-Clause
// The tutorial's function (x+1 ... x+S) over a file of inputs, printed in input order, as an
// hpar job made with the small API (a map with ordered output); a checksum is verified.
#include <hpar/hpar.hpp>

int main(int argc, char** argv) {
  const auto setup = [](const hpar::Options& o) {
    const auto inputs = hpar::read_integers(o.text("input-file"));
    const std::uint64_t steps = o.count("steps");
    if (steps > 1000) throw hpar::UsageError("--steps must be at most 1000");
    std::uint64_t expected = 0;  // the sum of all values mod 2^64: S x + S (S + 1) / 2 each
    for (const auto x : inputs) expected += steps * std::uint64_t(x) + steps * (steps + 1) / 2;
    const auto line = [inputs, steps](std::uint64_t i, hpar::Output& out) {
      std::uint64_t sum = 0;
      out << inputs[i] << ':';
      for (std::uint64_t k = 1; k <= steps; ++k) {
        std::int64_t v = 0;
        if (__builtin_add_overflow(inputs[i], k, &v)) throw hpar::RuntimeError("x + k overflows");
        out << ' ' << v;
        sum += std::uint64_t(v);
      }
      out << '\n';
      return sum;
    };
    return hpar::map(inputs.size(), line).verify([=](std::uint64_t sum) {
      return hpar::Check{sum == expected, "checksum " + std::to_string(sum)};
    });
  };
  const auto tutorial = hpar::define_job(
      {.name = "tutorial",
       .summary = "x+1 ... x+S for each input x of a file (one integer per line)",
       .options = {hpar::Option::text("input-file", "", "the inputs, one integer per line"),
                   hpar::Option::count("steps", "5", "values per input, at most 1000")}},
      setup);
  return hpar::main(argc, argv, {tutorial});
}
