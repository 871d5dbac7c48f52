// SPDX-License-Identifier: BSD-3-Clause
#pragma once
// Engine-internal: finished blocks' ordered bytes waiting for their turn, in memory up to a
// budget and beyond it in a spill file that never outlives the run.

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace hpar {

/// Blocks' bytes by block index. Thread-safe. Keeps at most `budget` bytes in memory: past it,
/// the blocks farthest from being needed (highest index) go to an unlinked temporary file in
/// `spill_dir` and are read back when taken.
class BlockStore {
 public:
  BlockStore(std::uint64_t budget, std::string spill_dir);
  BlockStore(const BlockStore&) = delete;
  BlockStore& operator=(const BlockStore&) = delete;
  ~BlockStore();

  /// Keeps block `block`'s bytes.
  void put(std::uint64_t block, std::string&& bytes);
  /// True when block `block` is held.
  [[nodiscard]] bool contains(std::uint64_t block) const;
  /// The lowest block held, if any.
  [[nodiscard]] std::optional<std::uint64_t> first() const;
  /// Removes block `block` and returns its bytes (it must be held).
  [[nodiscard]] std::string take(std::uint64_t block);
  /// Blocks held.
  [[nodiscard]] std::size_t size() const;
  /// Drops every block held and the spill file (its pages are freed now: for GBs, a second or
  /// more of the kernel's time). The statistics stay.
  void clear();
  /// Most bytes held in memory at once, and bytes that went to the spill file in all.
  [[nodiscard]] std::uint64_t peak_memory() const;
  [[nodiscard]] std::uint64_t spilled() const;

 private:
  struct Entry {
    std::string bytes;  ///< in memory unless spilled
    bool spilled = false;
    std::uint64_t offset = 0;  ///< in the spill file
    std::uint64_t size = 0;
  };
  void spill_over_budget();  // mutex held
  void spill(Entry& entry);  // mutex held

  mutable std::mutex mutex_;
  std::map<std::uint64_t, Entry> entries_;
  std::uint64_t budget_;
  std::string spill_dir_;
  std::uint64_t memory_ = 0;
  std::uint64_t peak_ = 0;
  std::uint64_t spilled_ = 0;
  int spill_fd_ = -1;
  std::uint64_t spill_end_ = 0;
};

}  // namespace hpar
