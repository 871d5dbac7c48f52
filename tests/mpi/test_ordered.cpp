// SPDX-License-Identifier: BSD-3-Clause
// Ordered output streamed while the blocks finish: to memory, to a file through rank 0 or by
// every rank in parallel (MPI-IO), with bytes past the buffer spilled to disk. Whatever the way,
// the distribution and the layout, the bytes are those of the serial loop.

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/mpi/collectives.hpp>
#include <boost/mpi/communicator.hpp>
#include <boost/program_options.hpp>
#include <filesystem>

#include "hpar/cli/cli.hpp"
#include "hpar/core/stop.hpp"
#include "hpar/engine/engine.hpp"
#include "serial_reference.hpp"
#include "temp_files.hpp"

namespace po = boost::program_options;
using namespace hpar;
using hpar_test::read_all;
using hpar_test::reference_numbers;

namespace {

/// A file name every rank agrees on, in the test's temporary directory.
std::string shared_path(const boost::mpi::communicator& world, const std::string& name) {
  std::string path =
      ::testing::TempDir() + "hpar_ordered_" + std::to_string(::getpid()) + "_" + name;
  boost::mpi::broadcast(world, path, 0);
  return path;
}

}  // namespace

TEST(OrderedOutput, FileEqualsTheSerialLoopAtEveryDistributionAndBuffer) {
  const boost::mpi::communicator world;
  const std::string expected = reference_numbers(-20000, 70000);
  const std::string path = shared_path(world, "numbers.txt");
  for (const char* distribution : {"block", "cyclic", "dynamic"}) {
    for (const std::uint64_t buffer : {std::uint64_t{64} << 20, std::uint64_t{4096}}) {
      auto p = parse_job_command(std::vector<std::string>{"numbers", "--range", "-20000:70000",
                                                          "--distribution", distribution},
                                 po::options_description());
      p.run.ordered = {OrderedDestination::Kind::file, path, buffer};
      const auto record = run_job(world, *p.job, p.vm, p.run);
      if (world.rank() != 0) continue;
      EXPECT_EQ(read_all(path), expected) << distribution << " buffer " << buffer;
      EXPECT_EQ(record.ordered_stats.bytes, expected.size());
      EXPECT_EQ(record.ordered_stats.parallel, world.size() > 1) << "every rank sees /tmp";
      EXPECT_LE(record.ordered_stats.root_peak, std::max<std::uint64_t>(buffer, 1 << 20))
          << "rank 0 holds the buffer (plus the block it writes), no more";
    }
  }
  if (world.rank() == 0) ::unlink(path.c_str());
}

TEST(OrderedOutput, MemoryThroughRankZeroSpillsPastItsBuffer) {
  const boost::mpi::communicator world;
  auto p = parse_job_command(std::vector<std::string>{"numbers", "--range", "1:60000"},
                             po::options_description());
  p.run.ordered.buffer_bytes = 2048;  // far below the output: most blocks wait on disk
  const auto record = run_job(world, *p.job, p.vm, p.run);
  if (world.rank() != 0) return;
  EXPECT_EQ(record.ordered, reference_numbers(1, 60000));
  if (world.size() > 1) {
    EXPECT_GT(record.ordered_stats.spilled, 0U) << "later ranks' blocks wait for rank 0's";
  }
}

TEST(OrderedOutput, StoppedRunLeavesNoFile) {
  const boost::mpi::communicator world;
  const std::string path = shared_path(world, "stopped.txt");
  auto p = parse_job_command(std::vector<std::string>{"numbers", "--range", "1:200000"},
                             po::options_description());
  p.run.ordered = {OrderedDestination::Kind::file, path, std::uint64_t{1} << 20};
  request_stop();  // as if SIGTERM arrived before the first block
  const auto record = run_job(world, *p.job, p.vm, p.run);
  clear_stop_request();
  EXPECT_FALSE(record.complete);
  if (world.rank() == 0) {
    EXPECT_NE(::access(path.c_str(), F_OK), 0) << "no partial file";
    const std::string temporary = "." + std::filesystem::path(path).filename().string();
    for (const auto& entry : std::filesystem::directory_iterator(::testing::TempDir())) {
      EXPECT_NE(entry.path().filename().string().rfind(temporary, 0), 0U)
          << "temporary file left: " << entry.path();
    }
  }
  world.barrier();
}

TEST(OrderedOutput, BlocksLargerThanAMessageGoInPieces) {
  // A block's bytes travel to rank 0 in messages of at most message_bytes (256 MiB by default,
  // below where MPI's int counts end); 100 bytes here, so that every block goes in many pieces,
  // interleaved with other ranks' pieces, and is joined again in order.
  const boost::mpi::communicator world;
  for (const char* distribution : {"block", "dynamic"}) {
    auto p = parse_job_command(
        std::vector<std::string>{"numbers", "--range", "1:30000", "--distribution", distribution},
        po::options_description());
    p.run.ordered.message_bytes = 100;
    p.run.ordered.buffer_bytes = 4096;
    const auto record = run_job(world, *p.job, p.vm, p.run);
    if (world.rank() == 0) {
      EXPECT_EQ(record.ordered, reference_numbers(1, 30000)) << distribution;
    }
  }
}

namespace {

/// Asks for a stop on the last rank only, once the walk is agreed complete: during the output
/// phase (OrderedStream::finish), as a SIGTERM to that rank would.
class StopLastRankInOutput final : public RunObserver {
 public:
  StopLastRankInOutput(int rank, int ranks) : mine_(rank == ranks - 1) {}
  void pass_agreed(int /*pass*/, bool complete) override {
    if (mine_ && complete) request_stop();
  }

 private:
  bool mine_;
};

}  // namespace

TEST(OrderedOutput, StopDuringTheOutputPhaseReachesEveryRankAndCommitsNothing) {
  const boost::mpi::communicator world;
  for (const char* kind : {"file", "memory"}) {
    const std::string path = shared_path(world, "stopped_late.txt");
    auto p = parse_job_command(std::vector<std::string>{"numbers", "--range", "1:200000"},
                               po::options_description());
    if (std::string(kind) == "file") {
      p.run.ordered = {OrderedDestination::Kind::file, path, std::uint64_t{1} << 16};
    }
    StopLastRankInOutput stop(world.rank(), world.size());
    p.run.observers.add(&stop);
    const auto record = run_job(world, *p.job, p.vm, p.run);
    clear_stop_request();
    EXPECT_FALSE(record.complete) << kind << ": the stop came before the output was whole";
    if (world.rank() == 0) {
      EXPECT_NE(::access(path.c_str(), F_OK), 0) << "no output committed";
    }
    // The next run on the same communicator finds nothing left over from the stopped one.
    auto again = parse_job_command(std::vector<std::string>{"numbers", "--range", "1:3000"},
                                   po::options_description());
    const auto next = run_job(world, *again.job, again.vm, again.run);
    EXPECT_TRUE(next.complete) << kind;
    if (world.rank() == 0) {
      EXPECT_EQ(next.ordered, reference_numbers(1, 3000));
    }
  }
  world.barrier();
}
