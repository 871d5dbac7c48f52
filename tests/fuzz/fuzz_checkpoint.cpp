// SPDX-License-Identifier: BSD-3-Clause
// Fuzz target: the checkpoint's formats, through the functions the engine reads them with
// (src/engine/checkpoint_format.hpp). The input is read as a manifest: it is refused with a
// UsageError or accepted with every field of its type, and an accepted one is accepted again
// as the engine writes it back. The input is also read as a record file, as it is and with its
// checksums made right (so the lengths behind them are reached): every record taken lies
// whole inside the input, right after the one before, and encodes back to its own bytes.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "checkpoint_format.hpp"
#include "fuzz_support.hpp"
#include "hpar/core/errors.hpp"

namespace format = hpar::checkpoint_format;
using hpar::fuzz::require;

namespace {

void check_manifest(const std::string& text) {
  nlohmann::json manifest;
  try {
    manifest = format::parse_manifest(text, "manifest.json");
  } catch (const hpar::UsageError&) {
    return;
  }
  require(manifest["job"].is_string() && manifest["identity"].is_object() &&
              manifest["plan"].is_object() && manifest["complete"].is_boolean(),
          "manifest field types");
  const auto attempts = manifest["attempts"].get<std::uint64_t>();
  require(attempts >= 1 && attempts <= format::max_attempts, "attempts in range");
  (void)std::stoull(manifest["run"].get<std::string>());  // throws (a crash) if it is no number
  manifest["attempts"] = attempts < format::max_attempts ? attempts + 1 : attempts;
  (void)format::parse_manifest(manifest.dump(2) + "\n", "manifest.json");  // must not throw
}

/// The input with each record's checksums set right, as far as its lengths fit.
std::string with_checksums(std::string bytes) {
  std::uint64_t at = 0;
  while (bytes.size() - at >= sizeof(hpar::RecordHead)) {
    hpar::RecordHead head{};
    std::memcpy(&head, bytes.data() + at, sizeof head);
    head.head_crc =
        format::crc_of(reinterpret_cast<const char*>(&head), offsetof(hpar::RecordHead, head_crc));
    std::memcpy(bytes.data() + at, &head, sizeof head);
    const std::uint64_t left = bytes.size() - at - sizeof head;
    if (head.bytes > left) break;
    const std::uint64_t payload =
        8ULL * (std::uint64_t{head.reals} + head.counts) + head.record + head.bytes;
    if (payload > left || left - payload < 4) break;
    const std::uint32_t crc = format::crc_of(bytes.data() + at, sizeof head + payload);
    std::memcpy(bytes.data() + at + sizeof head + payload, &crc, sizeof crc);
    at += sizeof head + payload + 4;
  }
  return bytes;
}

void check_records(const std::string& bytes) {
  format::RecordShape shape{.run = 7, .reals = 1, .counts = 1, .blocks = 1U << 20};
  if (bytes.size() >= sizeof(hpar::RecordHead)) {  // the shape of the first record (the seeds')
    hpar::RecordHead first{};
    std::memcpy(&first, bytes.data(), sizeof first);
    shape = {
        .run = first.run, .reals = first.reals % 4, .counts = first.counts % 4, .blocks = 1U << 20};
  }
  std::istringstream in(bytes);
  std::uint64_t next = 0;
  const auto end = format::read_records(
      in, bytes.size(), shape,
      [&](std::uint64_t offset, const hpar::RecordHead& head, const char* payload) {
        require(offset == next, "records follow each other");
        require(head.run == shape.run && head.block < shape.blocks, "record of the shape");
        std::vector<double> reals(head.reals);
        std::vector<std::uint64_t> counts(head.counts);
        if (head.reals > 0) std::memcpy(reals.data(), payload, 8ULL * head.reals);
        if (head.counts > 0)
          std::memcpy(counts.data(), payload + 8ULL * head.reals, 8ULL * head.counts);
        const char* job_record = payload + 8ULL * (head.reals + head.counts);
        const std::string_view text(job_record + head.record, head.bytes);
        const std::string record = format::encode_record(head.run, head.block, reals, counts,
                                                         {job_record, head.record}, text);
        require(offset + record.size() <= bytes.size(), "record inside the file");
        require(bytes.compare(offset, record.size(), record) == 0, "record encodes back");
        next = offset + record.size();
      });
  require(end != format::RecordsEnd::end || next == bytes.size(), "the end after whole records");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text = hpar::fuzz::text_of(data, size);
  check_manifest(text);
  check_records(text);
  check_records(with_checksums(text));
  return 0;
}
