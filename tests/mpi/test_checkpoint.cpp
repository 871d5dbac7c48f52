// SPDX-License-Identifier: BSD-3-Clause
// Checkpoint and resume: a run stopped part-way (as by SIGTERM) and resumed, at another layout
// and distribution, gives the same bits as an uninterrupted run, for every job that can be
// checkpointed; mismatched resumes are refused; damaged records are recomputed, never trusted.

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/mpi/collectives.hpp>
#include <boost/mpi/communicator.hpp>
#include <boost/program_options.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "../support/parse_run.hpp"
#include "../support/temp_files.hpp"
#include "hpar/core/errors.hpp"
#include "hpar/engine/engine.hpp"

namespace po = boost::program_options;

using namespace hpar;
namespace fs = std::filesystem;
using hpar_test::read_all;

namespace {

/// Asks for a stop (as SIGTERM does) once this rank has finished `after` blocks.
class StopAfter final : public RunObserver {
 public:
  explicit StopAfter(int after) : after_(after) {}
  void block_done(const BlockEvent& /*event*/) override {
    if (++done_ == after_) request_stop();
  }

 private:
  int after_;
  std::atomic<int> done_{0};
};

/// A fresh directory every rank agrees on.
std::string fresh_dir(const boost::mpi::communicator& world, const std::string& name) {
  std::string dir = ::testing::TempDir() + "hpar_ckpt_" + std::to_string(::getpid()) + "_" + name;
  boost::mpi::broadcast(world, dir, 0);
  if (world.rank() == 0) fs::remove_all(dir);
  world.barrier();
  return dir;
}

/// The record logs of a checkpoint's first attempt (one per rank), the fullest first. Under load
/// one rank may reach the stop before another has finished a block, so any rank's log, rank 0's
/// included, may be empty.
std::vector<std::string> logs_fullest_first(const std::string& dir) {
  std::vector<std::string> logs;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().filename().string().starts_with("blocks-0-")) {
      logs.push_back(entry.path().string());
    }
  }
  std::ranges::sort(logs, [](const std::string& a, const std::string& b) {
    return fs::file_size(a) > fs::file_size(b);
  });
  return logs;
}

struct Outcome {
  std::vector<std::string> lines;
  std::string ordered;
  RunRecord record;
};

Outcome run(const std::vector<std::string>& args, const std::string& distribution,
            const std::string& dir, bool resume, RunObserver* observer = nullptr) {
  const boost::mpi::communicator world;
  std::vector<std::string> full = args;
  full.insert(full.end(), {"--distribution", distribution});
  auto p = hpar_test::parse(full);
  if (!dir.empty()) {
    p.run.checkpoint.dir = dir;
    p.run.checkpoint.resume = resume;
    p.run.checkpoint.identity = {{"args", std::to_string(args.size())}, {"version", "test"}};
  }
  p.run.observers.add(observer);
  Outcome out;
  out.record = run_job(world, *p.job, p.vm, p.run);
  out.lines = out.record.result.lines;
  out.ordered = out.record.ordered;
  return out;
}

/// Stops a checkpointed run after a few blocks per rank, resumes it at another distribution,
/// and holds the result against an uninterrupted run's.
void expect_resume_is_uninterrupted(const std::vector<std::string>& args, const std::string& name,
                                    const std::string& file = "") {
  const boost::mpi::communicator world;
  const Outcome reference = run(args, "block", "", false);
  const std::string file_bytes = file.empty() || world.rank() != 0 ? "" : read_all(file);
  const std::string dir = fresh_dir(world, name);
  StopAfter stop(3);
  const Outcome stopped = run(args, "block", dir, false, &stop);
  clear_stop_request();
  EXPECT_FALSE(stopped.record.complete) << name;
  const Outcome resumed = run(args, "dynamic", dir, true);
  if (world.rank() == 0) {
    EXPECT_TRUE(resumed.record.complete) << name;
    EXPECT_EQ(resumed.lines, reference.lines) << name;
    EXPECT_EQ(resumed.ordered, reference.ordered) << name;
    if (!file.empty()) {
      EXPECT_EQ(read_all(file), file_bytes) << name << ": " << file;
    }
    const auto& c = resumed.record.checkpoint;
    EXPECT_EQ(c.attempt, 1);
    EXPECT_GT(c.restored_blocks, 0U) << name << ": the stopped run's blocks are kept";
    EXPECT_EQ(c.restored_blocks + c.computed_blocks, resumed.record.plan.blocks())
        << name << ": every block exactly once across the two attempts";
    EXPECT_EQ(resumed.record.items_done, resumed.record.plan.items);
  }
  world.barrier();
  if (world.rank() == 0) fs::remove_all(dir);
}

/// A test-only job whose blocks write records of their own (WorkPlan::block_records): some
/// empty, some long, none alike. finish() holds what arrives against the same rule, block by
/// block, so a record lost, doubled, moved to another block or cut shows as a wrong line.
class Recorder final : public Job {
 public:
  static std::string record_of(std::uint64_t b) {
    if (b % 5 == 0) return {};
    return std::string(b % 97, static_cast<char>('a' + b % 26)) + std::to_string(b) + '\0';
  }
  [[nodiscard]] WorkPlan plan() const override {
    WorkPlan p;
    p.items = 6000;
    p.block_items = 7;
    p.block_records = true;
    p.ordered_output = true;
    return p;
  }
  void compute(const Block& b, BlockOutput& out) override {
    *out.record = record_of(b.index);
    *out.bytes = std::to_string(b.index) + "\n";
  }
  JobResult finish(Gathered& g) override {
    JobResult r;
    std::uint64_t wrong = 0;
    for (std::uint64_t b = 0; b < g.blocks; ++b) {
      if (b >= g.records.size() || g.records[b] != record_of(b)) ++wrong;
    }
    r.lines.push_back("records: " + std::to_string(g.records.size()) +
                      " wrong: " + std::to_string(wrong));
    return r;
  }
};

RunRecord run_recorder(const std::string& dir, bool resume, Distribution distribution,
                       RunObserver* observer = nullptr) {
  const JobInfo info{"recorder", "writes block records", [](po::options_description&) {},
                     [](const po::variables_map&, const JobContext&) -> std::unique_ptr<Job> {
                       return std::make_unique<Recorder>();
                     }};
  RunOptions options;
  options.threads = 2;
  options.distribution = distribution;
  options.checkpoint.dir = dir;
  options.checkpoint.resume = resume;
  options.checkpoint.identity = {{"version", "test"}};
  options.observers.add(observer);
  return run_job(boost::mpi::communicator(), info, po::variables_map(), options);
}

}  // namespace

// A job's per-block records reach finish() whole and in block order at any layout and
// distribution, and through a checkpoint: the blocks of a stopped run come back with theirs.
TEST(Checkpoint, BlockRecordsReachFinishThroughAResume) {
  const boost::mpi::communicator world;
  const std::string expected = "records: 858 wrong: 0";  // ceil(6000 / 7) blocks
  const RunRecord whole = run_recorder("", false, Distribution::cyclic);
  if (world.rank() == 0) {
    EXPECT_EQ(whole.result.lines, std::vector<std::string>{expected});
  }
  const std::string dir = fresh_dir(world, "records");
  StopAfter stop(40);
  const RunRecord stopped = run_recorder(dir, false, Distribution::block, &stop);
  clear_stop_request();
  EXPECT_FALSE(stopped.complete);
  const RunRecord resumed = run_recorder(dir, true, Distribution::dynamic);
  if (world.rank() == 0) {
    EXPECT_EQ(resumed.result.lines, std::vector<std::string>{expected});
    EXPECT_GT(resumed.checkpoint.restored_blocks, 0U);
    EXPECT_EQ(resumed.ordered, whole.ordered);
  }
  world.barrier();
  if (world.rank() == 0) fs::remove_all(dir);
}

TEST(Checkpoint, NumbersResumesToTheSameBytes) {
  expect_resume_is_uninterrupted({"numbers", "--range", "1:300000"}, "numbers");
}

TEST(Checkpoint, PiResumesToTheSameBits) {
  expect_resume_is_uninterrupted({"pi", "--samples", "40000000"}, "pi");
}

TEST(Checkpoint, IntegrateResumesToTheSameBits) {
  expect_resume_is_uninterrupted(
      {"integrate", "--function", "sin", "--from", "0", "--to", "3", "--intervals", "30000000"},
      "integrate");
}

TEST(Checkpoint, PrimesResumesToTheSameList) {
  expect_resume_is_uninterrupted({"primes", "--limit", "20000000", "--list"}, "primes");
}

TEST(Checkpoint, MandelbrotResumesToTheSameImage) {
  const boost::mpi::communicator world;
  std::string image = ::testing::TempDir() + "hpar_ckpt_" + std::to_string(::getpid()) + ".png";
  boost::mpi::broadcast(world, image, 0);
  expect_resume_is_uninterrupted(
      {"mandelbrot", "--width", "200", "--height", "150", "--max-iter", "300", "--image", image},
      "mandelbrot", image);
  if (world.rank() == 0) fs::remove(image);
}

TEST(Checkpoint, ResumeRefusesAnotherJobOrOptions) {
  const boost::mpi::communicator world;
  const std::string dir = fresh_dir(world, "refuse");
  StopAfter stop(2);
  (void)run({"pi", "--samples", "20000000"}, "block", dir, false, &stop);
  clear_stop_request();
  const auto refused = [&](const std::vector<std::string>& args, const std::string& why) {
    try {
      (void)run(args, "block", dir, true);
      ADD_FAILURE() << "resumed: " << why;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::usage) << e.what();
      EXPECT_NE(std::string(e.what()).find(why), std::string::npos) << e.what();
    }
  };
  refused({"integrate", "--intervals", "20000000"}, "it is of job 'pi'");
  refused({"pi", "--samples", "30000000"}, "the work plan differs");
  try {  // a new checkpoint over an existing one would lose it
    (void)run({"pi", "--samples", "20000000"}, "block", dir, false);
    ADD_FAILURE() << "started over an existing checkpoint";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("already holds a checkpoint"), std::string::npos);
  }
  world.barrier();
  if (world.rank() == 0) fs::remove_all(dir);
}

TEST(Checkpoint, DamagedRecordsAreRecomputed) {
  const boost::mpi::communicator world;
  const std::vector<std::string> args{"numbers", "--range", "1:200000"};
  const Outcome reference = run(args, "block", "", false);
  const std::string dir = fresh_dir(world, "damaged");
  StopAfter stop(4);
  (void)run(args, "cyclic", dir, false, &stop);
  clear_stop_request();
  if (world.rank() == 0) {  // cut the fullest log mid-record and flip a byte in the next one
    const std::vector<std::string> logs = logs_fullest_first(dir);
    const std::string& cut = logs.front();
    const std::string& flip = logs.size() > 1 && fs::file_size(logs[1]) > 100 ? logs[1] : cut;
    ASSERT_GT(fs::file_size(cut), 107U);
    fs::resize_file(cut, fs::file_size(cut) - 7);
    std::fstream f(flip, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(100);
    f.put('#');
  }
  world.barrier();
  const Outcome resumed = run(args, "block", dir, true);
  if (world.rank() == 0) {
    EXPECT_EQ(resumed.ordered, reference.ordered);
    EXPECT_EQ(resumed.lines, reference.lines);
    EXPECT_EQ(resumed.record.checkpoint.restored_blocks + resumed.record.checkpoint.computed_blocks,
              resumed.record.plan.blocks());
  }
  world.barrier();
  if (world.rank() == 0) fs::remove_all(dir);
}

TEST(Checkpoint, JobsWithThreadStateOrPassesRefuse) {
  const boost::mpi::communicator world;
  const std::string dir = fresh_dir(world, "triad");
  try {
    (void)run({"triad", "--size", "100000"}, "block", dir, false);
    ADD_FAILURE() << "triad was checkpointed";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::usage);
    EXPECT_NE(std::string(e.what()).find("cannot be checkpointed"), std::string::npos) << e.what();
  }
  world.barrier();
  if (world.rank() == 0) fs::remove_all(dir);
}

namespace {

/// Writes `value` over the 8 bytes at `offset` of `path`.
void overwrite_u64(const std::string& path, std::streamoff offset, std::uint64_t value) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(offset);
  f.write(reinterpret_cast<const char*>(&value), sizeof value);
}

}  // namespace

// A damaged length is never trusted: a first record claiming 512 GiB of bytes (whichever field
// holds the length) is dropped, and the run resumes to the same bytes without allocating it.
TEST(Checkpoint, DamagedLengthIsNotTrusted) {
  const boost::mpi::communicator world;
  const std::vector<std::string> args{"numbers", "--range", "1:200000"};
  const Outcome reference = run(args, "block", "", false);
  const std::string dir = fresh_dir(world, "length");
  StopAfter stop(4);
  (void)run(args, "block", dir, false, &stop);
  clear_stop_request();
  if (world.rank() == 0) {
    const std::string first = logs_fullest_first(dir).front();
    ASSERT_GT(fs::file_size(first), 64U);
    overwrite_u64(first, 24, std::uint64_t{1} << 39);
    overwrite_u64(first, 32, std::uint64_t{1} << 39);
  }
  world.barrier();
  const Outcome resumed = run(args, "block", dir, true);
  if (world.rank() == 0) {
    EXPECT_EQ(resumed.ordered, reference.ordered);
    EXPECT_EQ(resumed.record.checkpoint.restored_blocks + resumed.record.checkpoint.computed_blocks,
              resumed.record.plan.blocks());
  }
  world.barrier();
  if (world.rank() == 0) fs::remove_all(dir);
}

// A record file copied in from another checkpoint (same plan, other inputs) is refused, not
// taken for this run's blocks.
TEST(Checkpoint, RecordsOfAnotherCheckpointAreRefused) {
  const boost::mpi::communicator world;
  const std::string mine = fresh_dir(world, "mine");
  const std::string other = fresh_dir(world, "other");
  StopAfter stop_mine(3);
  (void)run({"numbers", "--range", "1:200000"}, "block", mine, false, &stop_mine);
  clear_stop_request();
  StopAfter stop_other(3);
  (void)run({"numbers", "--range", "2:200001"}, "block", other, false, &stop_other);
  clear_stop_request();
  if (world.rank() == 0)
    fs::copy_file(logs_fullest_first(other).front(), mine + "/blocks-0-99.log");
  world.barrier();
  try {
    (void)run({"numbers", "--range", "1:200000"}, "block", mine, true);
    ADD_FAILURE() << "resumed with another checkpoint's records";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::usage) << e.what();
    EXPECT_NE(std::string(e.what()).find("holds records of another checkpoint"), std::string::npos)
        << e.what();
  }
  world.barrier();
  if (world.rank() == 0) {
    fs::remove_all(mine);
    fs::remove_all(other);
  }
}
