// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// `--status-file FILE`: a run's live state in a small file of `key: value` lines that a user
/// can `cat` on a login node while the run goes on (as `hpar farm-status` prints a checkpoint).
/// Rank 0 rewrites it whole (a temporary file in the same folder, renamed: never half-written)
/// at the start, every few seconds from a thread of its own (no MPI), and at the end with the
/// final state.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "hpar/engine/observer.hpp"

namespace hpar {

/// What one rewrite of the file says.
struct StatusSnapshot {
  std::string job;
  std::string state = "running";  ///< running, complete, stopped or failed
  std::string unit = "blocks";    ///< the farm's "tasks", a job's items when a block is one
  std::uint64_t total = 0;
  std::uint64_t done = 0;     ///< finished on any rank as rank 0 knows them (restored included)
  std::uint64_t failed = 0;   ///< of `done`, those the job says failed (JobInfo::block_failed)
  std::uint64_t running = 0;  ///< dealt to a rank and not finished
  double elapsed_s = 0.0;
  double eta_s = -1.0;     ///< estimated seconds left; negative: not known yet
  bool every_rank = true;  ///< the counts are of every rank's blocks (else rank 0's alone)
  std::chrono::system_clock::time_point updated;
};

/// The observer that keeps FILE up to date; attach it on rank 0 only.
class StatusFile final : public RunObserver {
 public:
  /// Throws UsageError when `path` cannot be written as the status file: "-", a directory,
  /// a folder that is missing or not writable. Writes nothing.
  static void check(const std::string& path);

  /// Nothing is written before the run's first pass begins; then every `interval_s` seconds.
  StatusFile(std::string path, std::string job, double interval_s = 2.0);
  StatusFile(const StatusFile&) = delete;
  StatusFile& operator=(const StatusFile&) = delete;
  /// Writes the state "failed" when the run began and close() was not called (an error).
  ~StatusFile() override;

  void pass_begin(const PassStart& start) override;
  void block_done(const BlockEvent& event) override;
  void tick(const Progress& progress) override;
  void final_count(const Progress& progress) override;

  /// Stops the periodic rewrites and writes the final `state` ("complete", "stopped",
  /// "failed"); the first call only. Never throws: a write that fails is one warning on
  /// stderr.
  void close(std::string_view state) noexcept;

  /// The file's text for `s`: `key: value` lines, one per key.
  [[nodiscard]] static std::string text(const StatusSnapshot& s);

 private:
  [[nodiscard]] StatusSnapshot snapshot();
  void write(const StatusSnapshot& s) noexcept;
  void writer_loop();

  std::string path_;
  std::string job_;
  double interval_s_;
  std::mutex mutex_;  ///< guards everything below but own_done_
  std::condition_variable wake_;
  std::thread writer_;
  bool stop_ = false;
  bool closed_ = false;
  bool warned_ = false;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::string unit_ = "blocks";
  std::uint64_t blocks_ = 0;    ///< blocks of one pass
  std::uint64_t restored_ = 0;  ///< blocks a resumed checkpoint held (done before this run)
  int pass_ = 0;
  int passes_ = 1;
  Progress last_;  ///< the last tick's (or the final) count
  bool final_ = false;
  std::atomic<std::uint64_t> own_done_{0};  ///< rank 0's blocks of this pass
};

}  // namespace hpar
