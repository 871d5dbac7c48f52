// SPDX-License-Identifier: BSD-3-Clause
// wordcount: the number of words in text files and the K most frequent ones.
//
// Reference loop (all files in the order given; a word is a maximal run of bytes that are not
// C-locale whitespace ' ' \t \n \v \f \r; a word never spans two files):
//     for (file : files) { in_word = false;
//       for (c : bytes of file)
//         if (space(c)) { if (in_word) ++count[word]; in_word = false; }
//         else { if (!in_word) { ++words; word = ""; } word += c; in_word = true; }
//       if (in_word) ++count[word]; }
// Rank 0 prints "result: N words", then one "COUNT WORD" line for each of the K most frequent
// words, most frequent first, ties in byte order of the word.
//
// Work model: items are the bytes of all files, one after the other. Per byte one table look-up
// (is it whitespace?); per word one hash of its bytes and one hash-map update. Every byte is
// read once, plus the end of the one word that crosses each block's end. Bound by hashing when
// the files are in the page cache, by the disk otherwise.
// Split: blocks of --block-bytes (1 MiB) over the joined bytes, whatever the layout; contiguous
// slices of blocks per rank, threads over blocks. A block counts the words that START in it (a
// word starts at byte i if byte i is not whitespace and i is its file's first byte or byte i-1
// is whitespace) and reads on past its end to finish its last word, so a word that straddles a
// block boundary (or a rank's range) is counted exactly once.
// Read: through ByteReader (MPI-IO under MPI) in pieces of at most --chunk-bytes; besides its
// word map a thread holds one piece plus the longest word that does not fit in one, never the
// file size. Every rank opens and sizes every file when the job is made, so all ranks agree on
// the plan and a missing file is one usage error; on several hosts the files must be at the same
// path.
// Merge: each thread keeps a word -> count map; each rank merges its threads' maps and sends the
// bytes (count, length, word; native byte order); rank 0 merges the ranks' maps in rank order
// (integer sums: any order gives the same counts).
// Verify: the total from the blocks' counters equals the sum of the merged counts and a plain
// serial recount on rank 0 (stdio, one loop over the files, no blocks). The top-K is checked
// against `tr | sort | uniq -c` by the CLI tests.
// Note: GNU wc 9.1 in the C locale does not count a run made only of non-printable bytes
// (control characters, bytes >= 0x80) as a word; hpar follows POSIX (any non-space run is a
// word), as the `tr -s '[:space:]' '\n'` pipeline does. On printable text they agree.
// Vectorisation (GCC 12, -fopt-info-vec): per byte a table look-up and a branch on word
// boundaries, which do not vectorise; only the fold of the block counters on rank 0 does.

#include <algorithm>
#include <array>
#include <boost/program_options.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string_view>
#include <unordered_map>

#include "hpar/core/byte_reader.hpp"
#include "hpar/core/errors.hpp"
#include "hpar/core/job.hpp"
#include "hpar/core/parse.hpp"

namespace po = boost::program_options;

namespace hpar::jobs {
namespace {

constexpr std::uint64_t default_block_bytes = std::uint64_t{1} << 20;
constexpr std::uint64_t default_chunk_bytes = std::uint64_t{1} << 18;
constexpr std::uint64_t max_chunk_bytes = std::uint64_t{1} << 30;
/// First read past a block's end, to finish its last word; doubled up to a chunk.
constexpr std::uint64_t first_tail_bytes = 256;

/// C-locale isspace as a table, independent of setlocale.
constexpr std::array<bool, 256> space_table = [] {
  std::array<bool, 256> t{};
  for (const unsigned char c : {' ', '\t', '\n', '\v', '\f', '\r'}) t[c] = true;
  return t;
}();

inline bool is_space(char c) {
  return space_table[static_cast<unsigned char>(c)];
}

/// Hash that finds std::string keys from a std::string_view without building a string.
struct WordHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    return std::hash<std::string_view>{}(s);
  }
};

using WordMap = std::unordered_map<std::string, std::uint64_t, WordHash, std::equal_to<>>;

inline void add_word(WordMap& map, std::string_view word, std::uint64_t n = 1) {
  const auto it = map.find(word);
  if (it != map.end()) {
    it->second += n;
  } else {
    map.emplace(word, n);
  }
}

/// One thread's counts and its read buffers.
struct WordState final : ThreadState {
  WordMap counts;
  std::vector<char> buffer;  // one read piece (--chunk-bytes)
  std::string spill;         // a word that goes on past the end of a piece
};

/// Appends n as 8 native-order bytes.
void put_u64(std::string& out, std::uint64_t n) {
  char bytes[sizeof n];
  std::memcpy(bytes, &n, sizeof n);
  out.append(bytes, sizeof n);
}

/// Reads 8 native-order bytes at `at`, advancing it; RuntimeError past the end.
std::uint64_t get_u64(std::string_view in, std::size_t& at) {
  if (in.size() - at < sizeof(std::uint64_t)) throw RuntimeError("truncated word-count state");
  std::uint64_t n = 0;
  std::memcpy(&n, in.data() + at, sizeof n);
  at += sizeof n;
  return n;
}

/// Words and bytes of the files, counted the plainest way: stdio, one loop, no blocks.
std::uint64_t serial_word_count(const ByteReader& reader) {
  std::uint64_t words = 0;
  std::vector<char> buffer(1 << 16);
  for (std::size_t f = 0; f < reader.files(); ++f) {
    std::FILE* file = std::fopen(reader.path(f).c_str(), "rb");
    if (file == nullptr) {
      throw RuntimeError("cannot reopen " + quote_for_message(reader.path(f)) + ": " +
                         std::strerror(errno));
    }
    unsigned after_space = 1;  // a word starts at a non-space byte after a space or file start
    std::size_t n = 0;
    while ((n = std::fread(buffer.data(), 1, buffer.size(), file)) > 0) {
      for (std::size_t i = 0; i < n; ++i) {
        const unsigned space = is_space(buffer[i]) ? 1U : 0U;
        words += after_space & (space ^ 1U);
        after_space = space;
      }
    }
    const bool failed = std::ferror(file) != 0;
    std::fclose(file);
    if (failed) throw RuntimeError("error reading " + quote_for_message(reader.path(f)));
  }
  return words;
}

class WordCount final : public Job {
 public:
  WordCount(std::vector<std::string> paths, std::uint64_t top, std::uint64_t block_bytes,
            std::uint64_t chunk_bytes, int threads)
      : reader_(std::move(paths)),
        top_(top),
        block_bytes_(block_bytes),
        chunk_bytes_(chunk_bytes),
        threads_(threads) {
    offsets_.push_back(0);
    for (std::size_t f = 0; f < reader_.files(); ++f) {
      offsets_.push_back(offsets_.back() + reader_.size(f));
    }
  }

  [[nodiscard]] WorkPlan plan() const override {
    WorkPlan p;
    p.items = offsets_.back();
    p.block_items = block_bytes_;
    p.count_partials = 1;  // words that start in the block
    p.thread_state = true;
    p.item_unit = "bytes";
    // Per thread: its read buffer and the piece of a word that crosses it (up to 4 chunks kept).
    // The word maps grow with the distinct words, which no option tells.
    p.memory_per_rank = static_cast<std::uint64_t>(threads_) * 5 * chunk_bytes_;
    return p;
  }

  [[nodiscard]] std::unique_ptr<ThreadState> make_thread_state() const override {
    auto state = std::make_unique<WordState>();
    state->buffer.resize(static_cast<std::size_t>(chunk_bytes_));
    return state;
  }

  void compute(const Block& block, BlockOutput& out) override {
    auto& state = static_cast<WordState&>(*out.state);
    // The last file that starts at or before the block (empty files share offsets).
    auto f = static_cast<std::size_t>(
        std::upper_bound(offsets_.begin(), offsets_.end(), block.items.begin) - offsets_.begin() -
        1);
    std::uint64_t words = 0;
    for (; f < reader_.files() && offsets_[f] < block.items.end; ++f) {
      const std::uint64_t begin = std::max(block.items.begin, offsets_[f]) - offsets_[f];
      const std::uint64_t end = std::min(block.items.end, offsets_[f + 1]) - offsets_[f];
      words += count_range(f, begin, end, state);
    }
    if (!out.counts.empty()) out.counts[0] = words;
  }

  [[nodiscard]] std::string serialize(std::span<ThreadState* const> states) const override {
    WordMap merged;
    for (ThreadState* s : states) {
      if (s == nullptr) continue;
      auto& counts = static_cast<WordState*>(s)->counts;
      if (merged.empty()) {
        merged = std::move(counts);
      } else {
        for (const auto& [word, n] : counts) add_word(merged, word, n);
      }
      WordMap().swap(counts);
    }
    std::string out;
    std::size_t size = 0;
    for (const auto& [word, n] : merged) size += word.size() + 2 * sizeof(std::uint64_t);
    out.reserve(size);
    for (const auto& [word, n] : merged) {
      put_u64(out, n);
      put_u64(out, word.size());
      out += word;
    }
    return out;
  }

  JobResult finish(Gathered& g) override {
    WordMap merged;
    for (auto& bytes : g.rank_states) {
      const std::string_view in = bytes;
      std::size_t at = 0;
      while (at < in.size()) {
        const std::uint64_t n = get_u64(in, at);
        const std::uint64_t length = get_u64(in, at);
        if (in.size() - at < length) throw RuntimeError("truncated word-count state");
        add_word(merged, in.substr(at, length), n);
        at += length;
      }
      std::string().swap(bytes);
    }

    std::uint64_t from_blocks = 0;
    for (const auto c : g.counts) from_blocks += c;
    std::uint64_t from_counts = 0;
    for (const auto& [word, n] : merged) from_counts += n;
    const std::uint64_t from_serial = serial_word_count(reader_);

    // The K most frequent, ties in byte order of the word (std::string compares as unsigned
    // char), so the answer does not depend on the merge order.
    std::vector<const WordMap::value_type*> entries;
    entries.reserve(merged.size());
    for (const auto& e : merged) entries.push_back(&e);
    const auto k = static_cast<std::size_t>(std::min<std::uint64_t>(top_, entries.size()));
    std::partial_sort(entries.begin(), entries.begin() + static_cast<std::ptrdiff_t>(k),
                      entries.end(), [](const auto* a, const auto* b) {
                        return a->second != b->second ? a->second > b->second : a->first < b->first;
                      });

    JobResult r;
    r.lines.push_back("result: " + std::to_string(from_blocks) + " words");
    for (std::size_t i = 0; i < k; ++i) {
      r.lines.push_back(std::to_string(entries[i]->second) + " " + entries[i]->first);
    }
    const bool ok = from_blocks == from_counts && from_blocks == from_serial;
    r.verification.status = ok ? Verification::Status::pass : Verification::Status::fail;
    r.verification.detail = "words from blocks " + std::to_string(from_blocks) +
                            ", sum of word counts " + std::to_string(from_counts) +
                            ", serial recount " + std::to_string(from_serial) +
                            (ok ? ": all equal" : ": differ");
    const double seconds = g.pass_seconds.empty() ? 0.0 : g.pass_seconds[0];
    const double megabytes = static_cast<double>(offsets_.back()) / 1e6;
    r.throughput = Throughput{seconds > 0 ? megabytes / seconds : 0.0, "MB/s"};
    r.metrics.emplace_back("words", std::to_string(from_blocks));
    r.metrics.emplace_back("distinct", std::to_string(merged.size()));
    r.metrics.emplace_back("bytes", std::to_string(offsets_.back()));
    r.metrics.emplace_back("files", std::to_string(reader_.files()));
    r.metrics.emplace_back("reader", reader_.uses_mpi_io() ? "MPI-IO" : "pread");
    return r;
  }

 private:
  /// Counts the words that start in bytes [begin, end) of file f into the state's map, reading
  /// on past `end` to the end of the last one. Returns how many words started there.
  std::uint64_t count_range(std::size_t f, std::uint64_t begin, std::uint64_t end,
                            WordState& state) const {
    if (begin >= end) return 0;
    const std::uint64_t size = reader_.size(f);
    std::string& spill = state.spill;
    spill.clear();
    // Inside a word that started before `begin`: it belongs to an earlier block, skip it.
    bool skipping = false;
    if (begin > 0) {
      char before = ' ';
      reader_.read_at(f, begin - 1, {&before, 1});
      skipping = !is_space(before);
    }
    bool in_word = false;  // collecting a word that started in range, its bytes so far in spill
    std::uint64_t words = 0;
    std::uint64_t tail = std::min(first_tail_bytes, chunk_bytes_);
    std::uint64_t pos = begin;
    while (pos < size) {
      const bool in_range = pos < end;
      if (!in_range && !in_word) break;
      std::uint64_t want = in_range ? std::min(chunk_bytes_, end - pos) : tail;
      want = std::min(want, size - pos);
      if (!in_range) tail = std::min(tail * 2, chunk_bytes_);
      const auto n = static_cast<std::size_t>(want);
      const char* p = state.buffer.data();
      reader_.read_at(f, pos, {state.buffer.data(), n});
      pos += want;

      std::size_t i = 0;
      if (skipping) {
        while (i < n && !is_space(p[i])) ++i;
        if (i == n) continue;
        skipping = false;
      }
      if (in_word) {  // the word in spill goes on
        while (i < n && !is_space(p[i])) ++i;
        spill.append(p, i);
        if (i == n) continue;
        add_word(state.counts, spill);
        release(spill);
        in_word = false;
      }
      if (!in_range) break;  // past the range only the last word was finished
      for (;;) {
        while (i < n && is_space(p[i])) ++i;
        if (i == n) break;
        const std::size_t start = i;
        ++words;
        while (i < n && !is_space(p[i])) ++i;
        if (i == n) {  // the word may go on in the next piece
          spill.assign(p + start, n - start);
          in_word = true;
          break;
        }
        add_word(state.counts, {p + start, i - start});
      }
    }
    if (in_word) {  // the file ended inside the word
      add_word(state.counts, spill);
      release(spill);
    }
    return words;
  }

  /// Empties a spilled word, giving back the memory of a word longer than a few pieces.
  void release(std::string& spill) const {
    if (spill.capacity() > 4 * chunk_bytes_) {
      std::string().swap(spill);
    } else {
      spill.clear();
    }
  }

  ByteReader reader_;
  std::vector<std::uint64_t> offsets_;  // offsets_[f]: first byte of file f; back(): total
  std::uint64_t top_;
  std::uint64_t block_bytes_;
  std::uint64_t chunk_bytes_;
  int threads_;
};

void add_options(po::options_description& d) {
  d.add_options()("input-file",
                  po::value<std::vector<std::string>>()->composing()->value_name("PATH"),
                  "a text file to count (repeat for more files; required)")(
      "top", po::value<std::string>()->default_value("10")->value_name("K"),
      "print the K most frequent words (ties in byte order)")(
      "block-bytes",
      po::value<std::string>()->default_value(std::to_string(default_block_bytes))->value_name("B"),
      "bytes per block of work (tuning and tests; results do not depend on it)")(
      "chunk-bytes",
      po::value<std::string>()->default_value(std::to_string(default_chunk_bytes))->value_name("C"),
      "largest single read, per thread (tuning and tests; results do not depend on it)");
}

std::unique_ptr<Job> make(const po::variables_map& vm, const JobContext& context) {
  if (vm.count("input-file") == 0U) throw UsageError("give at least one --input-file PATH");
  const std::uint64_t top = parse_count(vm["top"].as<std::string>(), "--top");
  const std::uint64_t block = parse_size(vm["block-bytes"].as<std::string>(), "--block-bytes");
  const std::uint64_t chunk = parse_size(vm["chunk-bytes"].as<std::string>(), "--chunk-bytes");
  if (block < 1) throw UsageError("--block-bytes must be at least 1");
  if (chunk < 1 || chunk > max_chunk_bytes) {
    throw UsageError("--chunk-bytes must be between 1 and " + std::to_string(max_chunk_bytes));
  }
  return std::make_unique<WordCount>(vm["input-file"].as<std::vector<std::string>>(), top, block,
                                     chunk, context.threads_per_rank);
}

}  // namespace

JobInfo wordcount_job() {
  JobInfo info{
      "wordcount",
      "words and the K most frequent words in text files (read with MPI-IO)",
      add_options,
      make,
      "",
      "Note: each thread's word counts build up across its blocks (merged on rank 0 at the "
      "end),\nso wordcount cannot be checkpointed: --checkpoint is refused."};
  info.identity_rules = {{"input-file", IdentityRule::input_file},
                         {"top", IdentityRule::count},
                         {"block-bytes", IdentityRule::size},
                         {"chunk-bytes", IdentityRule::ignored}};
  return info;
}

}  // namespace hpar::jobs
