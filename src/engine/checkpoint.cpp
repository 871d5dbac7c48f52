// SPDX-License-Identifier: BSD-3-Clause
#include "checkpoint.hpp"

#include "checkpoint_format.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <boost/mpi/collectives.hpp>
#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "hpar/comm/agreement.hpp"
#include "hpar/core/errors.hpp"
#include "hpar/core/files.hpp"

namespace hpar {

using checkpoint_format::manifest_schema;

namespace {

namespace fs = std::filesystem;

constexpr char magic[4] = {'H', 'P', 'C', 'K'};
constexpr std::uint32_t record_format = 3;
/// Buffered records are written out past this many bytes, or this often.
constexpr std::size_t flush_bytes = std::size_t{1} << 20;
constexpr double flush_seconds = 1.0;
constexpr std::size_t head_checked = offsetof(RecordHead, head_crc);

template <class T>
void append_raw(std::string& out, const T* data, std::size_t n) {
  out.append(reinterpret_cast<const char*>(data), n * sizeof(T));
}

void write_all(int fd, const std::string& bytes, const std::string& path) {
  for (std::size_t done = 0; done < bytes.size();) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      throw RuntimeError("cannot write checkpoint '" + path + "': " + std::strerror(errno));
    }
    done += static_cast<std::size_t>(n);
  }
}

std::string manifest_path(const std::string& dir) {
  return (fs::path(dir) / "manifest.json").string();
}

std::string record_path(const std::string& dir, int attempt, int rank) {
  return (fs::path(dir) /
          ("blocks-" + std::to_string(attempt) + "-" + std::to_string(rank) + ".log"))
      .string();
}

nlohmann::json plan_json(const WorkPlan& plan) {
  return {{"items", plan.items},
          {"block_items", plan.block_items},
          {"passes", plan.passes},
          {"real_partials", plan.real_partials},
          {"count_partials", plan.count_partials},
          {"ordered_output", plan.ordered_output}};
}

nlohmann::json identity_json(const CheckpointOptions& options) {
  nlohmann::json id = nlohmann::json::object();
  for (const auto& [name, value] : options.identity) id[name] = value;
  return id;
}

/// Why a checkpoint's identity differs from this run's, in words; "" when it matches. An entry
/// with a label (an input file's content) is named by it: "the content of --input-file 'F'
/// differs from the checkpoint's".
std::string identity_difference(const nlohmann::json& saved, const nlohmann::json& now,
                                const CheckpointOptions& options) {
  const auto shown = [](const nlohmann::json& value) {  // a flag (--worker) has no text
    const auto text = value.get<std::string>();
    return text.empty() ? std::string("given") : text;
  };
  for (const auto& [name, value] : now.items()) {
    if (!saved.contains(name)) return name + " is new (" + shown(value) + ")";
    if (saved[name] == value) continue;
    for (const auto& [labelled, words] : options.identity_labels) {
      if (labelled == name) return words + " differs from the checkpoint's";
    }
    return name + " was " + shown(saved[name]) + ", now " + shown(value);
  }
  for (const auto& [name, value] : saved.items()) {
    if (!now.contains(name)) return name + " was " + shown(value) + ", now not given";
  }
  return {};
}

}  // namespace

// ---- the writer --------------------------------------------------------------------------

CheckpointWriter::CheckpointWriter(std::string path, const WorkPlan& plan, std::uint64_t run)
    : path_(std::move(path)), run_(run), last_pass_(plan.passes - 1), last_flush_(RunClock::now()) {
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    throw UsageError("cannot write checkpoint '" + path_ + "': " + std::strerror(errno));
  }
}

CheckpointWriter::~CheckpointWriter() {
  try {
    flush(true);
  } catch (...) {  // a destructor does not throw; the run has already failed if this fails
  }
  ::close(fd_);
}

void CheckpointWriter::block_done(const BlockEvent& event) {
  if (event.pass != last_pass_ || event.output == nullptr) return;
  const BlockOutput& out = *event.output;
  const std::string empty;
  const std::string& bytes = out.bytes != nullptr ? *out.bytes : empty;
  const std::string& job_record = out.record != nullptr ? *out.record : empty;
  const std::string record = checkpoint_format::encode_record(run_, event.block->index, out.reals,
                                                              out.counts, job_record, bytes);
  const std::lock_guard<std::mutex> lock(mutex_);
  buffer_ += record;
}

void CheckpointWriter::tick(const Progress& /*progress*/) {
  bool due = false;
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    due = buffer_.size() >= flush_bytes;
  }
  if (due || seconds_between(last_flush_, RunClock::now()) >= flush_seconds) flush(false);
}

void CheckpointWriter::pass_end(int /*pass*/, bool /*complete*/) {
  flush(true);  // a stopped pass too: what finished is on disk before the report says so
}

void CheckpointWriter::flush(bool sync) {
  std::string out;
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    out.swap(buffer_);
  }
  last_flush_ = RunClock::now();
  if (failed_) return;  // the failure was thrown once; the file ends at its last good record
  try {
    if (!out.empty()) write_all(fd_, out, path_);
    if (sync && ::fdatasync(fd_) != 0) {
      throw RuntimeError("cannot sync checkpoint '" + path_ + "': " + std::strerror(errno));
    }
    good_size_ += out.size();
  } catch (...) {
    // A part of a record (a full disk) is cut off, so the file holds whole records only.
    failed_ = true;
    [[maybe_unused]] const int ignored = ::ftruncate(fd_, static_cast<off_t>(good_size_));
    throw;
  }
}

// ---- the checkpoint ----------------------------------------------------------------------

Checkpoint::Checkpoint(const boost::mpi::communicator& comm, const CheckpointOptions& options,
                       const std::string& job, const WorkPlan& plan,
                       std::function<bool(std::span<const std::uint64_t>)> failed)
    : dir_(options.dir), failed_(options.resume_failed ? std::move(failed) : nullptr) {
  std::exception_ptr failure;
  if (comm.rank() == 0) {
    try {
      const bool merged_state = plan.thread_state && !plan.scratch_state;
      if (plan.passes != 1 || merged_state) {
        throw UsageError("job '" + job + "' cannot be checkpointed: " +
                         (merged_state ? "its threads keep results across blocks"
                                       : "it repeats its passes (a benchmark)"));
      }
      options.resume ? resume(options, job, plan) : start(options, job, plan);
    } catch (...) {
      failure = std::current_exception();
    }
  }
  agree(comm, failure);
  boost::mpi::broadcast(comm, attempt_, 0);
  // Every rank must see the directory: rank 0 reads every rank's records when resuming.
  const int sees = ::access(manifest_path(dir_).c_str(), R_OK) == 0 ? 1 : 0;
  int all = 0;
  boost::mpi::all_reduce(comm, sees, all, boost::mpi::minimum<int>());
  if (all == 0) {
    throw UsageError("checkpoint directory '" + dir_ +
                     "' must be on a file system every rank sees");
  }
  share_done(comm, plan);
  boost::mpi::broadcast(comm, run_, 0);
  try {
    writer_ =
        std::make_unique<CheckpointWriter>(record_path(dir_, attempt_, comm.rank()), plan, run_);
  } catch (...) {
    failure = std::current_exception();
  }
  agree(comm, failure);
}

void Checkpoint::start(const CheckpointOptions& options, const std::string& job,
                       const WorkPlan& plan) {
  std::error_code ec;
  if (fs::exists(manifest_path(dir_), ec)) {
    throw UsageError("'" + dir_ +
                     "' already holds a checkpoint: continue it with --resume, or remove it");
  }
  fs::create_directories(dir_, ec);
  if (ec || !fs::is_directory(dir_)) {
    throw UsageError("cannot create checkpoint directory '" + dir_ + "': " + ec.message());
  }
  for (const auto& entry : fs::directory_iterator(dir_, ec)) {
    if (entry.path().filename().string().rfind("blocks-", 0) == 0) {
      throw UsageError("'" + dir_ + "' holds checkpoint records but no manifest: remove them");
    }
  }
  run_ = std::random_device{}();
  run_ = (run_ << 32) ^ std::random_device{}() ^ static_cast<std::uint64_t>(::getpid());
  const nlohmann::json manifest = {{"schema", manifest_schema},
                                   {"job", job},
                                   {"run", std::to_string(run_)},
                                   {"identity", identity_json(options)},
                                   {"plan", plan_json(plan)},
                                   {"attempts", 1},
                                   {"complete", false}};
  write_file_atomically(manifest_path(dir_), manifest.dump(2) + "\n");
}

namespace {

/// Reads and checks the manifest of `dir` (parse_manifest).
nlohmann::json read_manifest(const std::string& dir) {
  const std::string path = manifest_path(dir);
  std::ifstream in(path);
  if (!in) {
    throw UsageError("no checkpoint in '" + dir + "' to resume (run with --checkpoint first)");
  }
  std::ostringstream text;
  text << in.rdbuf();
  return checkpoint_format::parse_manifest(text.str(), path);
}

}  // namespace

/// A damaged or hand-edited manifest is refused with what is wrong, never with a library's words.
nlohmann::json checkpoint_format::parse_manifest(std::string_view text, const std::string& path) {
  nlohmann::json manifest;
  try {
    manifest = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw UsageError("'" + path + "' is not a checkpoint manifest: " + e.what());
  }
  const auto refuse = [&](const std::string& why) {
    throw UsageError("'" + path + "' is not a checkpoint manifest (" + why + ")");
  };
  if (!manifest.is_object()) refuse("not a JSON object");
  using Type = nlohmann::json::value_t;
  const std::pair<const char*, Type> fields[] = {
      {"schema", Type::string},   {"job", Type::string},  {"run", Type::string},
      {"identity", Type::object}, {"plan", Type::object}, {"attempts", Type::number_unsigned},
      {"complete", Type::boolean}};
  for (const auto& [name, type] : fields) {
    if (!manifest.contains(name)) refuse(std::string("no ") + name);
    if (manifest[name].type() != type) refuse(std::string(name) + " has the wrong type");
  }
  if (manifest["schema"] != manifest_schema) {
    const std::string schema = manifest["schema"].get<std::string>();
    if (schema.starts_with("hpar-checkpoint/")) {  // written by another version of hpar
      throw UsageError("'" + path + "' is a checkpoint of another format (" + schema +
                       "; this hpar reads " + manifest_schema +
                       "): run it again with a new checkpoint directory");
    }
    throw UsageError("'" + path + "' is not an " + manifest_schema + " manifest");
  }
  for (const auto& [name, value] : manifest["identity"].items()) {
    if (!value.is_string()) refuse("identity " + name + " is not a string");
  }
  const auto attempts = manifest["attempts"].get<std::uint64_t>();
  if (attempts < 1 || attempts > max_attempts) {
    refuse("attempts must be between 1 and " + std::to_string(max_attempts));
  }
  const auto run = manifest["run"].get<std::string>();
  if (run.empty() || run.size() > 20 || run.find_first_not_of("0123456789") != std::string::npos ||
      (run.size() == 20 && run > "18446744073709551615")) {
    refuse("run is not a run's number");
  }
  return manifest;
}

void Checkpoint::resume(const CheckpointOptions& options, const std::string& job,
                        const WorkPlan& plan) {
  nlohmann::json manifest = read_manifest(dir_);
  const std::string refused = "cannot resume the checkpoint in '" + dir_ + "': ";
  if (manifest["job"] != job) {
    throw UsageError(refused + "it is of job '" + manifest["job"].get<std::string>() + "', not '" +
                     job + "'");
  }
  const std::string difference =
      identity_difference(manifest["identity"], identity_json(options), options);
  if (!difference.empty()) throw UsageError(refused + difference);
  if (manifest["plan"] != plan_json(plan)) {
    throw UsageError(refused + "the work plan differs: " + manifest["plan"].dump() + " then, " +
                     plan_json(plan).dump() + " now");
  }
  try {
    run_ = std::stoull(manifest["run"].get<std::string>());
  } catch (const std::exception&) {
    throw UsageError("'" + manifest_path(dir_) + "' is not a checkpoint manifest (run)");
  }
  attempt_ = static_cast<int>(manifest["attempts"].get<std::uint64_t>());
  manifest["attempts"] = attempt_ + 1;
  read_records(plan);
  write_file_atomically(manifest_path(dir_), manifest.dump(2) + "\n");
}

namespace {

/// The record files of the checkpoint in `dir`, the latest attempt's first: a block's first
/// valid record is the one kept, and a block appears in a later attempt only when it was not
/// done before or --resume-failed ran it again.
std::vector<std::string> record_files(const std::string& dir) {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("blocks-", 0) == 0 && entry.path().extension() == ".log") {
      files.push_back(entry.path().string());
    }
  }
  const auto attempt_of = [](const std::string& path) {
    const std::string name = fs::path(path).filename().string();  // blocks-A-R.log
    return std::strtoull(name.c_str() + 7, nullptr, 10);
  };
  std::sort(files.begin(), files.end(), [&](const std::string& a, const std::string& b) {
    const auto x = attempt_of(a);
    const auto y = attempt_of(b);
    return x != y ? x > y : a < b;
  });
  return files;
}

/// The work plan's shape as a checkpoint's manifest records it.
checkpoint_format::RecordShape manifest_shape(const nlohmann::json& manifest,
                                              const std::string& dir) {
  try {
    const auto& plan = manifest.at("plan");
    const auto items = plan.at("items").get<std::uint64_t>();
    const auto block_items = plan.at("block_items").get<std::uint64_t>();
    if (block_items == 0) throw std::invalid_argument("block_items 0");
    return {.run = std::stoull(manifest.at("run").get<std::string>()),
            .reals = plan.at("real_partials").get<std::uint64_t>(),
            .counts = plan.at("count_partials").get<std::uint64_t>(),
            .blocks = (items + block_items - 1) / block_items};
  } catch (const std::exception&) {
    throw UsageError("'" + manifest_path(dir) + "' is not a checkpoint manifest (plan)");
  }
}

}  // namespace

CheckpointSummary summarize_checkpoint(const std::string& dir,
                                       bool (*failed)(std::span<const std::uint64_t>)) {
  if (!fs::exists(manifest_path(dir))) {
    throw UsageError("'" + dir + "' is not a checkpoint (no manifest.json; --checkpoint DIR " +
                     "makes one)");
  }
  const nlohmann::json manifest = read_manifest(dir);
  const auto shape = manifest_shape(manifest, dir);
  CheckpointSummary summary{.job = manifest["job"].get<std::string>(),
                            .attempts = manifest["attempts"].get<std::uint64_t>(),
                            .complete = manifest["complete"].get<bool>(),
                            .blocks = shape.blocks};
  std::vector<bool> seen(shape.blocks, false);
  for (const auto& file : record_files(dir)) {
    std::error_code ec;
    const std::uint64_t size = fs::file_size(file, ec);
    if (ec) continue;
    std::ifstream in(file, std::ios::binary);
    (void)checkpoint_format::read_records(
        in, size, shape,
        [&](std::uint64_t /*offset*/, const RecordHead& head, const char* payload) {
          if (seen[head.block]) return;
          seen[head.block] = true;
          ++summary.done;
          std::vector<std::uint64_t> counts(head.counts);
          if (head.counts > 0) {
            std::memcpy(counts.data(), payload + 8ULL * head.reals, 8ULL * head.counts);
          }
          if (failed != nullptr && failed(counts)) ++summary.failed;
        });
  }
  return summary;
}

void Checkpoint::read_records(const WorkPlan& plan) {
  files_ = record_files(dir_);
  done_.assign(plan.blocks(), false);
  for (std::size_t f = 0; f < files_.size(); ++f) read_file(f, plan);
  std::sort(where_.begin(), where_.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
}

/// Takes the valid records of one file, up to the first that is truncated or corrupt
/// (checkpoint_format::read_records); a record of another checkpoint (a file copied in) is
/// refused.
void Checkpoint::read_file(std::size_t file, const WorkPlan& plan) {
  std::error_code ec;
  const std::uint64_t file_size = fs::file_size(files_[file], ec);
  if (ec) return;
  std::ifstream in(files_[file], std::ios::binary);
  const checkpoint_format::RecordShape shape{.run = run_,
                                             .reals = plan.real_partials,
                                             .counts = plan.count_partials,
                                             .blocks = plan.blocks()};
  const auto end = checkpoint_format::read_records(
      in, file_size, shape, [&](std::uint64_t offset, const RecordHead& head, const char* payload) {
        if (!done_[head.block] && !redo(head, payload)) keep(file, offset, head, payload, plan);
      });
  if (end == checkpoint_format::RecordsEnd::foreign) {
    throw UsageError("cannot resume the checkpoint in '" + dir_ + "': '" + files_[file] +
                     "' holds records of another checkpoint (remove it)");
  }
}

/// --resume-failed: true when the record says its block failed (the job's Job::failed), so
/// that it is computed again (a later record of it, from a run that did, is kept instead).
bool Checkpoint::redo(const RecordHead& head, const char* payload) const {
  if (!failed_) return false;
  std::vector<std::uint64_t> counts(head.counts);
  if (head.counts > 0) std::memcpy(counts.data(), payload + 8ULL * head.reals, 8ULL * head.counts);
  return failed_(counts);
}

/// Takes one valid record: its block is done; its partials and where its bytes lie are kept.
void Checkpoint::keep(std::size_t file, std::uint64_t offset, const RecordHead& head,
                      const char* payload, const WorkPlan& plan) {
  done_[head.block] = true;
  ++restored_blocks_;
  restored_items_ += plan.block(head.block).size();
  std::vector<double> reals(head.reals);
  std::vector<std::uint64_t> counts(head.counts);
  // (memcpy's pointers must not be null even for no bytes: an empty vector's data() may be.)
  if (head.reals > 0) std::memcpy(reals.data(), payload, 8ULL * head.reals);
  if (head.counts > 0) std::memcpy(counts.data(), payload + 8ULL * head.reals, 8ULL * head.counts);
  const std::uint64_t record_at = 8ULL * (head.reals + head.counts);
  partials_.append(head.block, reals, counts, {payload + record_at, head.record});
  const std::uint64_t bytes_at = offset + sizeof head + record_at + head.record;
  where_.push_back({head.block, {file, bytes_at, head.bytes}});
}

/// Every rank learns which blocks are done (a bitmap, as bytes).
void Checkpoint::share_done(const boost::mpi::communicator& comm, const WorkPlan& plan) {
  int any = restored_blocks_ > 0 ? 1 : 0;
  boost::mpi::broadcast(comm, any, 0);
  boost::mpi::broadcast(comm, restored_blocks_, 0);
  boost::mpi::broadcast(comm, restored_items_, 0);
  if (any == 0) {
    done_.clear();
    return;
  }
  std::vector<std::uint8_t> bits((plan.blocks() + 7) / 8, 0);
  if (comm.rank() == 0) {
    for (std::uint64_t b = 0; b < plan.blocks(); ++b) {
      if (done_[b]) bits[b / 8] = static_cast<std::uint8_t>(bits[b / 8] | (1U << (b % 8)));
    }
  }
  check_mpi(MPI_Bcast(bits.data(), static_cast<int>(bits.size()), MPI_BYTE, 0, MPI_Comm(comm)),
            "MPI_Bcast");
  done_.assign(plan.blocks(), false);
  for (std::uint64_t b = 0; b < plan.blocks(); ++b) done_[b] = ((bits[b / 8] >> (b % 8)) & 1U) != 0;
}

std::string Checkpoint::restored_bytes(std::uint64_t block) const {
  const auto it = std::lower_bound(where_.begin(), where_.end(), block,
                                   [](const auto& w, std::uint64_t b) { return w.first < b; });
  if (it == where_.end() || it->first != block) throw RuntimeError("internal error: not restored");
  const Where& w = it->second;
  std::string bytes(w.size, '\0');
  std::ifstream in(files_[w.file], std::ios::binary);
  in.seekg(static_cast<std::streamoff>(w.offset));
  if (!in.read(bytes.data(), static_cast<std::streamsize>(w.size))) {
    throw RuntimeError("checkpoint file '" + files_[w.file] + "' changed while resuming");
  }
  return bytes;
}

std::vector<std::pair<std::uint64_t, std::uint64_t>> Checkpoint::restored_sizes() const {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> out;
  out.reserve(where_.size());
  for (const auto& [block, w] : where_) out.emplace_back(block, w.size);
  return out;
}

// ---- the formats ------------------------------------------------------------------------

std::uint32_t checkpoint_format::crc_of(const char* data, std::size_t n) {
  uLong crc = crc32(0L, Z_NULL, 0);
  while (n > 0) {  // zlib takes uInt lengths
    const auto piece = static_cast<uInt>(std::min<std::size_t>(n, 1U << 30));
    crc = crc32(crc, reinterpret_cast<const Bytef*>(data), piece);
    data += piece;
    n -= piece;
  }
  return static_cast<std::uint32_t>(crc);
}

std::string checkpoint_format::encode_record(std::uint64_t run, std::uint64_t block,
                                             std::span<const double> reals,
                                             std::span<const std::uint64_t> counts,
                                             std::string_view record_bytes,
                                             std::string_view bytes) {
  RecordHead head{};
  std::memcpy(head.magic, magic, sizeof magic);
  head.format = record_format;
  head.run = run;
  head.block = block;
  head.reals = static_cast<std::uint32_t>(reals.size());
  head.counts = static_cast<std::uint32_t>(counts.size());
  head.bytes = bytes.size();
  head.record = static_cast<std::uint32_t>(record_bytes.size());
  head.head_crc = crc_of(reinterpret_cast<const char*>(&head), head_checked);
  std::string record;
  record.reserve(sizeof head + reals.size_bytes() + counts.size_bytes() + record_bytes.size() +
                 bytes.size() + 4);
  append_raw(record, &head, 1);
  append_raw(record, reals.data(), reals.size());
  append_raw(record, counts.data(), counts.size());
  record += record_bytes;
  record += bytes;
  const std::uint32_t crc = crc_of(record.data(), record.size());
  append_raw(record, &crc, 1);
  return record;
}

checkpoint_format::RecordsEnd checkpoint_format::read_records(std::istream& in, std::uint64_t size,
                                                              const RecordShape& shape,
                                                              const RecordVisitor& visit) {
  std::uint64_t offset = 0;
  std::string record;
  for (;;) {
    if (size - offset < sizeof(RecordHead)) {
      return offset == size ? RecordsEnd::end : RecordsEnd::damaged;
    }
    RecordHead head{};
    if (!in.read(reinterpret_cast<char*>(&head), sizeof head)) return RecordsEnd::damaged;
    if (std::memcmp(head.magic, magic, sizeof magic) != 0 || head.format != record_format ||
        head.head_crc != crc_of(reinterpret_cast<const char*>(&head), head_checked) ||
        head.record > max_block_record) {  // never written larger: not a record of ours
      return RecordsEnd::damaged;
    }
    if (head.run != shape.run) return RecordsEnd::foreign;
    const std::uint64_t left = size - offset - sizeof head;
    if (head.reals != shape.reals || head.counts != shape.counts || head.block >= shape.blocks ||
        head.bytes > left) {
      return RecordsEnd::damaged;
    }
    const std::uint64_t payload =
        8ULL * (std::uint64_t{head.reals} + head.counts) + head.record + head.bytes;
    if (payload > left || left - payload < 4) return RecordsEnd::damaged;
    record.resize(sizeof head + payload + 4);
    std::memcpy(record.data(), &head, sizeof head);
    if (!in.read(record.data() + sizeof head, static_cast<std::streamsize>(payload + 4))) {
      return RecordsEnd::damaged;
    }
    std::uint32_t crc = 0;
    std::memcpy(&crc, record.data() + sizeof head + payload, sizeof crc);
    if (crc != crc_of(record.data(), sizeof head + payload)) return RecordsEnd::damaged;
    visit(offset, head, record.data() + sizeof head);
    offset += sizeof head + payload + 4;
  }
}

void Checkpoint::mark_complete() const {
  std::ifstream in(manifest_path(dir_));
  nlohmann::json manifest = nlohmann::json::parse(in);
  manifest["complete"] = true;
  write_file_atomically(manifest_path(dir_), manifest.dump(2) + "\n");
}

}  // namespace hpar
