// SPDX-License-Identifier: BSD-3-Clause
#include "hpar/observe/status_file.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <exception>
#include <iostream>
#include <sstream>
#include <utility>

#include "hpar/core/errors.hpp"
#include "hpar/core/files.hpp"
#include "hpar/core/program.hpp"

namespace hpar {
namespace {

/// "2026-12-07T19:50:03Z".
std::string utc_time(std::chrono::system_clock::time_point at) {
  const std::time_t t = std::chrono::system_clock::to_time_t(at);
  std::tm tm = {};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

/// Seconds with one decimal and their unit: "12.3 s".
std::string seconds_text(double s) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.1f s", std::max(s, 0.0));
  return buf;
}

}  // namespace

void StatusFile::check(const std::string& path) {
  if (path.empty() || path == "-") {
    throw UsageError("--status-file needs a file name (it was given " + quote_for_message(path) +
                     ")");
  }
  try {
    AtomicFile probe(path);  // refuses a directory, a missing or read-only folder
    probe.abandon();
  } catch (const UsageError& e) {
    throw UsageError("--status-file: " + std::string(e.what()));
  }
}

StatusFile::StatusFile(std::string path, std::string job, double interval_s)
    : path_(std::move(path)), job_(std::move(job)), interval_s_(interval_s) {}

StatusFile::~StatusFile() {
  // A run that began and was not closed ended by an error: the file says so. One that failed
  // before it began (bad input) writes nothing.
  if (writer_.joinable()) close("failed");
}

void StatusFile::pass_begin(const PassStart& start) {
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    pass_ = start.pass;
    own_done_.store(0, std::memory_order_relaxed);
    if (start.plan != nullptr) {
      passes_ = start.plan->passes;
      blocks_ = start.plan->blocks();
      if (start.plan->block_items == 1 && !start.plan->item_unit.empty()) {
        unit_ = start.plan->item_unit;  // a block is one item: the job's own (a farm's tasks)
      }
    }
    last_ = Progress{};
    if (start.pass != 0) return;
    restored_ = start.restored;
    start_ = std::chrono::steady_clock::now();
  }
  if (!writer_.joinable()) writer_ = std::thread([this] { writer_loop(); });
}

void StatusFile::block_done(const BlockEvent& /*event*/) {
  own_done_.fetch_add(1, std::memory_order_relaxed);
}

void StatusFile::tick(const Progress& progress) {
  const std::lock_guard<std::mutex> lock(mutex_);
  if (!final_) last_ = progress;
}

void StatusFile::final_count(const Progress& progress) {
  const std::lock_guard<std::mutex> lock(mutex_);
  last_ = progress;
  pass_ = progress.pass;
  final_ = true;
}

/// The counts as rank 0 knows them now (its lock held by the caller).
StatusSnapshot StatusFile::snapshot() {
  StatusSnapshot s;
  s.job = job_;
  s.unit = unit_;
  s.total = blocks_ * static_cast<std::uint64_t>(passes_);
  const std::uint64_t before = blocks_ * static_cast<std::uint64_t>(pass_);  // earlier passes
  s.every_rank = last_.count == ProgressCount::finished;
  std::uint64_t done = last_.done;
  if (!s.every_rank) {  // rank 0 sees its own blocks only (a job with no ordered output)
    done = own_done_.load(std::memory_order_relaxed) + (pass_ == passes_ - 1 ? restored_ : 0);
  }
  s.done = std::min(before + std::min(done, blocks_), s.total);
  s.failed = std::min(last_.failed, s.done);
  const std::uint64_t dealt = before + std::min(last_.dealt, blocks_);
  s.running = dealt > s.done ? dealt - s.done : 0;
  s.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const std::uint64_t counted = s.done > restored_ ? s.done - restored_ : 0;  // by this run
  if (s.done >= s.total) {
    s.eta_s = 0.0;
  } else if (counted > 0 && s.elapsed_s > 0.0) {
    s.eta_s = s.elapsed_s * static_cast<double>(s.total - s.done) / static_cast<double>(counted);
  }
  s.updated = std::chrono::system_clock::now();
  return s;
}

std::string StatusFile::text(const StatusSnapshot& s) {
  std::ostringstream o;
  o << "job: " << s.job << "\n"
    << "state: " << s.state << "\n"
    << "unit: " << s.unit << "\n"
    << "total: " << s.total << "\n"
    << "done: " << s.done << "\n"
    << "failed: " << s.failed << "\n"
    << "running: " << s.running << "\n"
    << "left: " << s.total - std::min(s.done, s.total) << "\n"
    << "elapsed: " << seconds_text(s.elapsed_s) << "\n"
    << "eta: " << (s.eta_s < 0.0 ? std::string("unknown") : seconds_text(s.eta_s)) << "\n"
    << "counted: " << (s.every_rank ? "every rank" : "rank 0 (the others' at the end)") << "\n"
    << "updated: " << utc_time(s.updated) << "\n";
  return o.str();
}

void StatusFile::write(const StatusSnapshot& s) noexcept {
  try {
    write_file_atomically(path_, text(s));
  } catch (const std::exception& e) {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (!warned_) {
      warned_ = true;
      std::cerr << program_name() << ": warning: --status-file not updated: " << e.what() << "\n";
    }
  }
}

void StatusFile::writer_loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stop_) {
    const StatusSnapshot s = snapshot();
    lock.unlock();
    write(s);
    lock.lock();
    wake_.wait_for(lock, std::chrono::duration<double>(interval_s_), [this] { return stop_; });
  }
}

void StatusFile::close(std::string_view state) noexcept {
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (closed_) return;
    closed_ = true;
    stop_ = true;
  }
  wake_.notify_all();
  if (writer_.joinable()) writer_.join();
  try {
    StatusSnapshot s;
    {
      const std::lock_guard<std::mutex> lock(mutex_);
      s = snapshot();
    }
    s.state = std::string(state);
    if (s.state != "complete") s.eta_s = -1.0;
    s.running = 0;  // nothing runs any more
    write(s);
  } catch (...) {  // out of memory for a few lines: the file keeps its last state
  }
}

}  // namespace hpar
