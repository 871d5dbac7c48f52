// SPDX-License-Identifier: BSD-3-Clause
#include <gtest/gtest.h>

#include <atomic>
#include <boost/mpi/communicator.hpp>
#include <boost/program_options.hpp>
#include <chrono>
#include <stdexcept>
#include <thread>

#include "hpar/cli/cli.hpp"
#include "hpar/core/errors.hpp"
#include "hpar/engine/engine.hpp"
#include "parse_run.hpp"
#include "serial_reference.hpp"

namespace po = boost::program_options;
using namespace hpar;
using hpar_test::parse;
using hpar_test::reference_numbers;

namespace {

// A test-only job that throws inside the OpenMP region on the last rank's first block.
class Faulty final : public Job {
 public:
  explicit Faulty(int faulty_block) : faulty_block_(faulty_block) {}
  [[nodiscard]] WorkPlan plan() const override {
    WorkPlan p;
    p.items = 64;
    p.block_items = 4;
    return p;
  }
  void compute(const Block& b, BlockOutput&) override {
    if (b.index == static_cast<std::uint64_t>(faulty_block_))
      throw std::runtime_error("disk on fire");
  }
  JobResult finish(Gathered&) override { return {}; }

 private:
  int faulty_block_;
};

int faulty_block_for_test = 0;
const JobInfo faulty_info{"faulty", "throws in one block", [](po::options_description&) {},
                          [](const po::variables_map&, const JobContext&) -> std::unique_ptr<Job> {
                            return std::make_unique<Faulty>(faulty_block_for_test);
                          }};

// A test-only job whose blocks take 2 ms each; the last rank fails in its first block.
class SlowThenFaulty final : public Job {
 public:
  explicit SlowThenFaulty(int ranks) : ranks_(ranks) {}
  [[nodiscard]] WorkPlan plan() const override {
    WorkPlan p;
    p.items = 400ULL * static_cast<std::uint64_t>(ranks_);
    return p;
  }
  void prepare(Slice items) override {
    if (!items.empty() && items.end == plan().items) last_rank_first_ = items.begin;
  }
  void compute(const Block& b, BlockOutput&) override {
    if (b.index == last_rank_first_) throw std::runtime_error("early failure");
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    ++computed;
  }
  JobResult finish(Gathered&) override { return {}; }
  static inline std::atomic<int> computed{0};

 private:
  int ranks_;
  std::uint64_t last_rank_first_ = ~0ULL;
};

}  // namespace

TEST(Engine, FailureOnOneRankStopsTheOthersEarly) {
  const boost::mpi::communicator world;
  if (world.size() < 2) GTEST_SKIP() << "needs 2 or more ranks";
  const JobInfo info{"slow", "fails early on the last rank", [](po::options_description&) {},
                     [](const po::variables_map&, const JobContext& c) -> std::unique_ptr<Job> {
                       return std::make_unique<SlowThenFaulty>(c.ranks);
                     }};
  RunOptions options;
  options.threads = 1;
  SlowThenFaulty::computed = 0;
  try {
    (void)run_job(world, info, po::variables_map(), options);
    ADD_FAILURE() << "no exception";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("early failure"), std::string::npos);
  }
  const int computed = SlowThenFaulty::computed.load();
  // Each of the other ranks owns 400 blocks of 2 ms; told of the failure, they stop long before.
  if (world.rank() != world.size() - 1) {
    EXPECT_LT(computed, 200) << "rank " << world.rank();
  }
}

TEST(Engine, NumbersOutputIsTheSerialLoop) {
  const boost::mpi::communicator world;
  for (const char* schedule : {"static", "dynamic,1", "guided"}) {
    for (const char* distribution : {"block", "cyclic", "dynamic"}) {
      auto p = parse({"numbers", "--range", "-3000:9000", "--schedule", schedule, "--distribution",
                      distribution});
      const auto record = run_job(world, *p.job, p.vm, p.run);
      if (world.rank() == 0) {
        EXPECT_EQ(record.ordered, reference_numbers(-3000, 9000))
            << schedule << " " << distribution;
        EXPECT_EQ(record.result.verification.status, Verification::Status::pass);
        EXPECT_EQ(record.items_done, 12001U);
        EXPECT_EQ(record.placements.size(), static_cast<std::size_t>(world.size()));
        EXPECT_LE(record.compute.min, record.compute.max);
      }
    }
  }
}

TEST(Engine, FewerItemsThanRanks) {
  const boost::mpi::communicator world;
  auto p = parse({"numbers", "--inputs", "1,10"});
  const auto record = run_job(world, *p.job, p.vm, p.run);
  if (world.rank() == 0) {
    EXPECT_EQ(record.ordered, "1: 2 3 4 5 6\n10: 11 12 13 14 15\n");
  }
}

TEST(Engine, ExceptionInOneRankReachesEveryRank) {
  const boost::mpi::communicator world;
  // Block 15 of 16 lies in the last rank's slice.
  faulty_block_for_test = 15;
  RunOptions options;
  options.threads = 2;
  try {
    (void)run_job(world, faulty_info, po::variables_map(), options);
    FAIL() << "no exception";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::runtime);
    const std::string msg = e.what();
    EXPECT_NE(msg.find("disk on fire"), std::string::npos) << msg;
    if (world.size() > 1) {
      EXPECT_NE(msg.find("rank " + std::to_string(world.size() - 1) + " ("), std::string::npos)
          << msg;
    }
  }
}

TEST(Engine, AgreeThrowsTheSameErrorEverywhere) {
  const boost::mpi::communicator world;
  std::exception_ptr local;
  if (world.rank() == world.size() / 2) local = std::make_exception_ptr(UsageError("bad file"));
  try {
    agree(world, local);
    FAIL() << "agree returned although a rank failed";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::usage);
    EXPECT_NE(std::string(e.what()).find("bad file"), std::string::npos);
  }
  EXPECT_NO_THROW(agree(world, nullptr));
}

TEST(Engine, StopRequestEndsRunIncomplete) {
  const boost::mpi::communicator world;
  auto p = parse({"numbers", "--range", "1:100000", "--quiet"});
  request_stop();  // as if SIGTERM had arrived before the first block
  const auto record = run_job(world, *p.job, p.vm, p.run);
  clear_stop_request();
  EXPECT_FALSE(record.complete);
  if (world.rank() == 0) {
    EXPECT_LT(record.items_done, 100000U);
  }
}

namespace {

/// Asks for a stop on the last rank only, after it finished `after` blocks.
class StopLastRankAfter final : public RunObserver {
 public:
  StopLastRankAfter(int rank, int ranks, int after) : mine_(rank == ranks - 1), after_(after) {}
  void block_done(const BlockEvent& /*event*/) override {
    if (mine_ && ++done_ == after_) request_stop();
  }

 private:
  bool mine_;
  int after_;
  std::atomic<int> done_{0};
};

}  // namespace

// The dynamic distribution's two dealers (one-sided window on one host, messages to and from
// rank 0 across hosts; forced here with HPAR_DYNAMIC_DEALER) deal every block exactly once,
// give the serial loop's bytes, and end a stop on one rank without a hang.
TEST(Engine, DynamicDealersDealEveryBlockOnce) {
  const boost::mpi::communicator world;
  for (const char* dealer : {"window", "messages"}) {
    ::setenv("HPAR_DYNAMIC_DEALER", dealer, 1);
    for (const char* schedule : {"static", "dynamic,1"}) {
      auto p = parse({"numbers", "--range", "-3000:90000", "--distribution", "dynamic",
                      "--schedule", schedule});
      const auto record = run_job(world, *p.job, p.vm, p.run);
      if (world.rank() == 0) {
        EXPECT_EQ(record.ordered, reference_numbers(-3000, 90000)) << dealer << " " << schedule;
        std::uint64_t blocks = 0;
        for (const auto b : record.rank_blocks) blocks += b;
        EXPECT_EQ(blocks, record.plan.blocks()) << dealer;
      }
    }
    auto p = parse({"pi", "--samples", "30000000", "--distribution", "dynamic"});
    StopLastRankAfter stop(world.rank(), world.size(), 2);
    p.run.observers.add(&stop);
    const auto stopped = run_job(world, *p.job, p.vm, p.run);
    clear_stop_request();
    EXPECT_FALSE(stopped.complete) << dealer;
    // The next run on the same communicator finds nothing left over from the stopped one.
    auto again = parse({"pi", "--samples", "3000000", "--distribution", "dynamic"});
    const auto record = run_job(world, *again.job, again.vm, again.run);
    EXPECT_TRUE(record.complete) << dealer;
  }
  ::unsetenv("HPAR_DYNAMIC_DEALER");
}
