// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// The farm's drain at an allocation's end: no task starts that cannot end before the deadline
/// (the running ones finish), so that a farm under a time limit loses no work to the limit's
/// kill and leaves with exit 4 and its checkpoint for the next job (docs/farm.md).

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>

namespace hpar::jobs::farm {

/// The running quantiles of task run times: a histogram of 8 buckets per doubling from 1 ms to
/// about 12 days, so that each task's start asks it in constant time. A quantile is its bucket's
/// top: it errs long, by at most 9 %. Thread-safe.
class RuntimeQuantiles {
 public:
  void add(double seconds);
  /// The `q` quantile (0 < q <= 1) of the run times added; nothing before the first.
  [[nodiscard]] std::optional<double> quantile(double q) const;

 private:
  static constexpr int per_doubling = 8;
  static constexpr int buckets = per_doubling * 30 + 1;
  mutable std::mutex mutex_;
  std::array<std::uint64_t, buckets> counts_{};
  std::uint64_t total_ = 0;
};

/// When a rank's tasks must have ended, and whether one may start. Thread-safe.
class Drain {
 public:
  /// `at`: the deadline in seconds since the epoch (0: none); `task_time`: the expected run time
  /// of a task (0: the p90 of this rank's finished ones); `timeout`: the farm's --timeout (0:
  /// none), the longest a task may run.
  Drain(double at, double task_time, double timeout);

  /// Whether the deadline is known.
  [[nodiscard]] bool active() const noexcept { return at_ > 0.0; }
  /// A task ended after `seconds` (one attempt).
  void ended(double seconds) { times_.add(seconds); }
  /// How long a task is expected to run: --task-time, else the p90 of the finished ones
  /// (nothing before the first), at most --timeout.
  [[nodiscard]] std::optional<double> estimate() const;
  /// True when a task started at `now` (seconds since the epoch) would end past the deadline,
  /// or this rank drains already; the first time, request_drain() (hpar/core/stop.hpp) and
  /// `first` set. A task with no estimate yet always starts.
  [[nodiscard]] bool refuses(double now, bool& first);
  [[nodiscard]] double deadline() const noexcept { return at_; }

 private:
  double at_;
  double task_time_;
  double timeout_;
  RuntimeQuantiles times_;
  std::atomic<bool> draining_{false};
};

}  // namespace hpar::jobs::farm
