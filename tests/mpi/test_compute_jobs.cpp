// SPDX-License-Identifier: BSD-3-Clause
// pi, integrate and primes through the engine at this run's ranks x threads give the same
// result bytes as the job run serially in one process (the CTest registrations cover 1..4 ranks
// x 1..2 threads), whatever the schedule and the distribution of blocks to ranks.

#include <gtest/gtest.h>

#include "serial_reference.hpp"

namespace {

void expect_serial_result(const std::vector<std::string>& args) {
  const auto status = hpar_test::expect_serial_result(args, {"static", "dynamic,1", "guided"});
  const boost::mpi::communicator world;
  if (world.rank() == 0) {
    EXPECT_EQ(status, hpar::Verification::Status::pass) << args[0];
  }
}

}  // namespace

TEST(ComputeJobs, PiIsTheSerialRun) {
  expect_serial_result({"pi", "--samples", "5000017", "--seed", "3"});
}

TEST(ComputeJobs, IntegrateIsTheSerialRun) {
  expect_serial_result(
      {"integrate", "--function", "sin", "--from", "-1", "--to", "2", "--intervals", "600001"});
}

TEST(ComputeJobs, PrimesIsTheSerialRun) {
  expect_serial_result({"primes", "--limit", "2621447", "--list"});
}
