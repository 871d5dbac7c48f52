// SPDX-License-Identifier: BSD-3-Clause
// GoogleTest main for tests run under mpiexec: every rank runs every test; rank 0 prints the
// usual output, other ranks print only their failures (prefixed with the rank); the process
// exit code is non-zero on every rank if any rank failed (gtest-mpi-listener pattern).

#include <gtest/gtest.h>

#include <boost/mpi/collectives.hpp>
#include <boost/mpi/communicator.hpp>
#include <boost/mpi/environment.hpp>
#include <iostream>

namespace {

/// Ends the whole job at the end of the first test that failed on this rank: a rank that left a
/// test early (an ASSERT) would otherwise leave the others waiting in the test's collectives until
/// ctest's TIMEOUT, and the failure would read as a hang.
class AbortOnFailure : public ::testing::EmptyTestEventListener {
 public:
  explicit AbortOnFailure(const boost::mpi::communicator& world) : world_(world) {}
  void OnTestEnd(const ::testing::TestInfo& info) override {
    if (info.result() != nullptr && info.result()->Failed()) {
      std::cerr << "[rank " << world_.rank() << "] " << info.test_suite_name() << "." << info.name()
                << " failed: ending the job" << std::endl;
      world_.abort(1);
    }
  }

 private:
  const boost::mpi::communicator& world_;
};

class RankFailurePrinter : public ::testing::EmptyTestEventListener {
 public:
  explicit RankFailurePrinter(int rank) : rank_(rank) {}
  void OnTestPartResult(const ::testing::TestPartResult& r) override {
    if (r.failed()) {
      std::cerr << "[rank " << rank_ << "] " << (r.file_name() != nullptr ? r.file_name() : "?")
                << ":" << r.line_number() << ": " << r.summary() << std::endl;
    }
  }

 private:
  int rank_;
};

}  // namespace

// An exception escaping main ends the whole job: Boost.MPI's environment aborts on it (the
// default abort_on_exception), so that no rank waits in a collective for one that left.
int main(int argc, char** argv) {  // NOLINT(bugprone-exception-escape)
  boost::mpi::environment env(argc, argv, boost::mpi::threading::serialized);  // as hpar itself
  const boost::mpi::communicator world;
  ::testing::InitGoogleTest(&argc, argv);
  auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
  if (world.rank() != 0) {
    delete listeners.Release(listeners.default_result_printer());
    listeners.Append(new RankFailurePrinter(world.rank()));
  }
  if (world.size() > 1) listeners.Append(new AbortOnFailure(world));
  const int local = RUN_ALL_TESTS();
  int any = 0;
  boost::mpi::all_reduce(world, local, any, boost::mpi::maximum<int>());
  if (world.rank() == 0 && any != 0 && local == 0) {
    std::cerr << "some rank other than 0 failed (see [rank N] lines)" << std::endl;
  }
  return any;
}
