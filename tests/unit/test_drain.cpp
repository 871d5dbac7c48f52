// SPDX-License-Identifier: BSD-3-Clause
// The farm's drain: the running quantile of task run times, the decision to start a task, and
// Slurm's time left as squeue prints it.
#include <gtest/gtest.h>

#include <cmath>

#include "farm_drain.hpp"
#include "hpar/core/stop.hpp"
#include "hpar/platform/allocation.hpp"

using hpar::jobs::farm::Drain;
using hpar::jobs::farm::RuntimeQuantiles;

TEST(Drain, QuantilesErrLongByAtMostOneBucket) {
  RuntimeQuantiles q;
  EXPECT_FALSE(q.quantile(0.9).has_value());
  for (int i = 1; i <= 100; ++i) q.add(0.1 * i);  // 0.1 .. 10 s: the p90 is 9 s
  const double p90 = *q.quantile(0.9);
  EXPECT_GE(p90, 9.0);
  EXPECT_LE(p90, 9.0 * std::exp2(1.0 / 8));
  const double p50 = *q.quantile(0.5);
  EXPECT_GE(p50, 5.0);
  EXPECT_LE(p50, 5.0 * std::exp2(1.0 / 8));
  RuntimeQuantiles tiny;
  tiny.add(0.0);
  EXPECT_DOUBLE_EQ(*tiny.quantile(0.9), 0.001);
}

TEST(Drain, StartsOnlyWhatEndsBeforeTheDeadline) {
  hpar::clear_drain_request();
  bool first = false;
  Drain none(0.0, 5.0, 0.0);
  EXPECT_FALSE(none.refuses(1e9, first));
  Drain d(1000.0, 0.0, 0.0);
  EXPECT_FALSE(d.refuses(999.0, first)) << "no estimate yet: a task starts";
  d.ended(2.0);
  EXPECT_FALSE(d.refuses(997.0, first));
  EXPECT_FALSE(hpar::drain_requested());
  EXPECT_TRUE(d.refuses(998.5, first));
  EXPECT_TRUE(first);
  EXPECT_TRUE(hpar::drain_requested());
  EXPECT_TRUE(d.refuses(0.0, first)) << "a rank that drains starts nothing more";
  EXPECT_FALSE(first);
  hpar::clear_drain_request();
  // --task-time wins over the tasks seen, --timeout caps the estimate.
  Drain given(1000.0, 30.0, 0.0);
  given.ended(1.0);
  EXPECT_DOUBLE_EQ(*given.estimate(), 30.0);
  Drain capped(1000.0, 30.0, 10.0);
  EXPECT_DOUBLE_EQ(*capped.estimate(), 10.0);
}

TEST(Drain, SlurmTimeLeftAsSqueuePrintsIt) {
  using hpar::parse_slurm_time_left;
  EXPECT_EQ(parse_slurm_time_left("59"), 59.0);
  EXPECT_EQ(parse_slurm_time_left("1:59\n"), 119.0);
  EXPECT_EQ(parse_slurm_time_left("2:00:05"), 7205.0);
  EXPECT_EQ(parse_slurm_time_left("3-04:05:06"), 3 * 86400.0 + 4 * 3600 + 5 * 60 + 6);
  for (const char* bad : {"UNLIMITED", "NOT_SET", "INVALID", "", "1:", ":1", "1:2:3:4", "1-2:03",
                          "-5", "1.5", " 7"}) {
    EXPECT_FALSE(parse_slurm_time_left(bad).has_value()) << bad;
  }
}
