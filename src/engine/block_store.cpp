// SPDX-License-Identifier: BSD-3-Clause
#include "block_store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "hpar/core/errors.hpp"

namespace hpar {

BlockStore::BlockStore(std::uint64_t budget, std::string spill_dir)
    : budget_(budget), spill_dir_(std::move(spill_dir)) {}

BlockStore::~BlockStore() {
  if (spill_fd_ >= 0) ::close(spill_fd_);
}

void BlockStore::clear() {
  const std::lock_guard<std::mutex> lock(mutex_);
  entries_.clear();
  memory_ = 0;
  if (spill_fd_ >= 0) ::close(spill_fd_);
  spill_fd_ = -1;
  spill_end_ = 0;
}

void BlockStore::put(std::uint64_t block, std::string&& bytes) {
  const std::lock_guard<std::mutex> lock(mutex_);
  Entry& e = entries_[block];
  e.size = bytes.size();
  e.bytes = std::move(bytes);
  memory_ += e.size;
  peak_ = std::max(peak_, memory_);
  if (memory_ > budget_) spill_over_budget();
}

bool BlockStore::contains(std::uint64_t block) const {
  const std::lock_guard<std::mutex> lock(mutex_);
  return entries_.count(block) != 0;
}

std::optional<std::uint64_t> BlockStore::first() const {
  const std::lock_guard<std::mutex> lock(mutex_);
  if (entries_.empty()) return std::nullopt;
  return entries_.begin()->first;
}

std::size_t BlockStore::size() const {
  const std::lock_guard<std::mutex> lock(mutex_);
  return entries_.size();
}

std::uint64_t BlockStore::peak_memory() const {
  const std::lock_guard<std::mutex> lock(mutex_);
  return peak_;
}

std::uint64_t BlockStore::spilled() const {
  const std::lock_guard<std::mutex> lock(mutex_);
  return spilled_;
}

std::string BlockStore::take(std::uint64_t block) {
  const std::lock_guard<std::mutex> lock(mutex_);
  const auto it = entries_.find(block);
  if (it == entries_.end()) throw RuntimeError("internal error: block not held");
  Entry e = std::move(it->second);
  entries_.erase(it);
  if (!e.spilled) {
    memory_ -= e.size;
    return std::move(e.bytes);
  }
  std::string bytes(e.size, '\0');
  std::uint64_t done = 0;
  while (done < e.size) {
    const ssize_t n =
        ::pread(spill_fd_, bytes.data() + done, e.size - done, static_cast<off_t>(e.offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      throw RuntimeError("cannot read back spilled output: " + std::string(std::strerror(errno)));
    done += static_cast<std::uint64_t>(n);
  }
  return bytes;
}

void BlockStore::spill_over_budget() {
  // The blocks needed last go first; the lowest block stays (it is needed next).
  for (auto it = entries_.rbegin(); memory_ > budget_ && it != entries_.rend(); ++it) {
    if (std::next(it) == entries_.rend()) break;
    if (!it->second.spilled && it->second.size > 0) spill(it->second);
  }
}

void BlockStore::spill(Entry& e) {
  if (spill_fd_ < 0) {
    spill_fd_ = ::open(spill_dir_.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (spill_fd_ < 0) {  // no O_TMPFILE on this file system: a named file, unlinked at once
      std::string pattern = spill_dir_ + "/.hpar-spill-XXXXXX";
      spill_fd_ = ::mkostemp(pattern.data(), O_CLOEXEC);
      if (spill_fd_ >= 0) ::unlink(pattern.c_str());
    }
    if (spill_fd_ < 0) {
      throw RuntimeError("cannot spill ordered output to '" + spill_dir_ +
                         "': " + std::strerror(errno));
    }
  }
  std::uint64_t done = 0;
  while (done < e.size) {
    const ssize_t n = ::pwrite(spill_fd_, e.bytes.data() + done, e.size - done,
                               static_cast<off_t>(spill_end_ + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      throw RuntimeError("cannot spill ordered output: " + std::string(std::strerror(errno)));
    done += static_cast<std::uint64_t>(n);
  }
  e.offset = spill_end_;
  spill_end_ += e.size;
  spilled_ += e.size;
  memory_ -= e.size;
  e.spilled = true;
  std::string().swap(e.bytes);
}

}  // namespace hpar
