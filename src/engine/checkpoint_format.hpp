// SPDX-License-Identifier: BSD-3-Clause
#pragma once
// Engine-internal: the checkpoint's on-disk formats as pure functions of bytes (no MPI, no
// directory): the manifest's check and the records' encoding and reading. Checkpoint uses them
// on its files; the fuzz target tests/fuzz/fuzz_checkpoint.cpp calls the same functions.

#include <cstdint>
#include <functional>
#include <istream>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>

namespace hpar {

/// The fixed part of a record, before its payload. Its own checksum guards the lengths, so a
/// damaged length is never trusted (nor allocated); `run` names the checkpoint it belongs to.
struct RecordHead {
  char magic[4];
  std::uint32_t format;
  std::uint64_t run;
  std::uint64_t block;
  std::uint32_t reals;
  std::uint32_t counts;
  std::uint64_t bytes;
  std::uint32_t record;    ///< the job's record of the block (WorkPlan::block_records), bytes
  std::uint32_t head_crc;  ///< CRC-32 of the fields above
};
static_assert(sizeof(RecordHead) == 48);

namespace checkpoint_format {

/// The manifest's schema name.
inline constexpr const char* manifest_schema = "hpar-checkpoint/3";
/// Attempts a checkpoint may have (its record files are numbered by attempt).
inline constexpr std::uint64_t max_attempts = 1'000'000;

/// Parses and checks the text of the manifest at `path` (named in messages): every field there
/// and of the type it must have, the schema ours, attempts in 1..max_attempts, run a 64-bit
/// number. Throws UsageError saying what is wrong (never a library's words); returns the JSON.
[[nodiscard]] nlohmann::json parse_manifest(std::string_view text, const std::string& path);

/// CRC-32 (zlib's) of `n` bytes.
[[nodiscard]] std::uint32_t crc_of(const char* data, std::size_t n);

/// One record: head, the block's real and count partials, the job's record of the block, its
/// ordered bytes, the CRC.
[[nodiscard]] std::string encode_record(std::uint64_t run, std::uint64_t block,
                                        std::span<const double> reals,
                                        std::span<const std::uint64_t> counts,
                                        std::string_view record, std::string_view bytes);

/// What the records of one checkpoint must look like.
struct RecordShape {
  std::uint64_t run = 0;     ///< the manifest's run
  std::uint64_t reals = 0;   ///< the plan's real partials per block
  std::uint64_t counts = 0;  ///< the plan's count partials per block
  std::uint64_t blocks = 0;  ///< blocks in the plan (a record's block is below)
};

/// How the reading of a record file ended.
enum class RecordsEnd {
  end,      ///< at the file's end, after whole valid records
  damaged,  ///< at a record that is truncated, corrupt or of another shape
  foreign,  ///< at a valid record of another checkpoint (another run)
};

/// A valid record: its offset in the file, its head, its payload (head.reals doubles, then
/// head.counts u64s, head.record bytes of the job's record, then head.bytes ordered bytes;
/// valid during the call only).
using RecordVisitor =
    std::function<void(std::uint64_t offset, const RecordHead& head, const char* payload)>;

/// Reads the records of `in` (a file of `size` bytes) in order and hands each valid one to
/// `visit`, up to the first that is not. No length is used before the head's checksum holds,
/// nor beyond the file's end.
RecordsEnd read_records(std::istream& in, std::uint64_t size, const RecordShape& shape,
                        const RecordVisitor& visit);

}  // namespace checkpoint_format
}  // namespace hpar
