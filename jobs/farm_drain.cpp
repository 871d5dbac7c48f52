// SPDX-License-Identifier: BSD-3-Clause
#include "farm_drain.hpp"

#include <algorithm>
#include <cmath>

#include "hpar/core/stop.hpp"

namespace hpar::jobs::farm {
namespace {

constexpr double first_top = 0.001;  // the first bucket: up to 1 ms

}  // namespace

void RuntimeQuantiles::add(double seconds) {
  const double doublings = seconds > first_top ? std::log2(seconds / first_top) : 0.0;
  const auto bucket =
      std::min<double>(std::ceil(doublings * per_doubling), static_cast<double>(buckets - 1));
  const std::lock_guard<std::mutex> lock(mutex_);
  ++counts_[static_cast<std::size_t>(bucket)];
  ++total_;
}

std::optional<double> RuntimeQuantiles::quantile(double q) const {
  const std::lock_guard<std::mutex> lock(mutex_);
  if (total_ == 0) return std::nullopt;
  const auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(total_)));
  std::uint64_t seen = 0;
  std::size_t bucket = 0;
  for (; bucket + 1 < counts_.size(); ++bucket) {
    seen += counts_[bucket];
    if (seen >= std::max<std::uint64_t>(rank, 1)) break;
  }
  return first_top * std::exp2(static_cast<double>(bucket) / per_doubling);
}

Drain::Drain(double at, double task_time, double timeout)
    : at_(at), task_time_(task_time), timeout_(timeout) {}

std::optional<double> Drain::estimate() const {
  std::optional<double> e =
      task_time_ > 0.0 ? std::optional<double>(task_time_) : times_.quantile(0.9);
  if (e && timeout_ > 0.0) e = std::min(*e, timeout_);
  return e;
}

bool Drain::refuses(double now, bool& first) {
  first = false;
  if (at_ <= 0.0) return false;
  if (draining_.load(std::memory_order_relaxed)) return true;
  const auto e = estimate();
  if (!e || now + *e <= at_) return false;
  first = !draining_.exchange(true);
  request_drain();
  return true;
}

}  // namespace hpar::jobs::farm
