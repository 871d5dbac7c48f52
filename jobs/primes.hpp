// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// The primes job's references, which its verification uses and the tests check on their own.

#include <cstdint>
#include <optional>

namespace hpar::jobs {

/// pi(n), the number of primes <= n, by the Lucy_Hedgehog / Legendre-style recurrence over the
/// values n / k: O(n^(3/4)) time, O(sqrt(n)) memory, no sieve. For n up to 10^14 (which it
/// needs 2 x 10^7 64-bit words for).
[[nodiscard]] std::uint64_t count_primes_lucy(std::uint64_t n);

/// pi(10^k) from the published table (OEIS A006880) when n is 10^k with k <= 14; otherwise none.
[[nodiscard]] std::optional<std::uint64_t> known_prime_count(std::uint64_t n);

}  // namespace hpar::jobs
