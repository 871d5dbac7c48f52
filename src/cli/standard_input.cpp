// SPDX-License-Identifier: BSD-3-Clause
#include "standard_input.hpp"

#include <mpi.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <boost/any.hpp>
#include <boost/mpi/collectives.hpp>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <exception>
#include <string_view>

#include "hpar/comm/agreement.hpp"
#include "hpar/core/errors.hpp"

namespace hpar {
namespace {

constexpr std::string_view file_options[] = {"--input-file", "--args-file"};

bool names_standard_input(std::string_view value) {
  return value == "-" || value == "/dev/stdin";
}

/// Where in `words` a value names standard input: the index of the word, and for "--opt=VALUE"
/// the length of its "--opt=" prefix (0 for a value in a word of its own).
std::vector<std::pair<std::size_t, std::size_t>> standard_input_values(
    std::span<const std::string> words) {
  std::vector<std::pair<std::size_t, std::size_t>> found;
  for (std::size_t i = 0; i < words.size() && words[i] != "--"; ++i) {
    for (const std::string_view option : file_options) {
      const std::string_view word = words[i];
      if (word == option && i + 1 < words.size() && names_standard_input(words[i + 1])) {
        found.emplace_back(i + 1, 0);
      } else if (word.size() > option.size() && word.starts_with(option) &&
                 word[option.size()] == '=' &&
                 names_standard_input(word.substr(option.size() + 1))) {
        found.emplace_back(i, option.size() + 1);
      }
    }
  }
  return found;
}

std::string read_standard_input() {
  std::string bytes;
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      throw RuntimeError(std::string("cannot read standard input: ") + std::strerror(errno));
    if (n == 0) return bytes;
    bytes.append(buf, static_cast<std::size_t>(n));
  }
}

/// Rank 0's `bytes` on every rank (MPI counts are ints: in pieces of 1 GiB).
void broadcast_bytes(const boost::mpi::communicator& comm, std::string& bytes) {
  std::uint64_t size = bytes.size();
  boost::mpi::broadcast(comm, size, 0);
  bytes.resize(size);
  for (std::uint64_t at = 0; at < size;) {
    const auto piece = static_cast<int>(std::min<std::uint64_t>(size - at, 1U << 30));
    check_mpi(MPI_Bcast(bytes.data() + at, piece, MPI_BYTE, 0, MPI_Comm(comm)), "MPI_Bcast");
    at += static_cast<std::uint64_t>(piece);
  }
}

/// An anonymous memory file holding `bytes`, open for the rest of the process; its name.
std::string memory_file(const std::string& bytes) {
  const int fd = ::memfd_create("hpar-stdin", MFD_CLOEXEC);
  if (fd < 0)
    throw RuntimeError(std::string("cannot keep standard input: ") + std::strerror(errno));
  for (std::size_t done = 0; done < bytes.size();) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      throw RuntimeError(std::string("cannot keep standard input: ") + std::strerror(errno));
    }
    done += static_cast<std::size_t>(n);
  }
  return "/proc/self/fd/" + std::to_string(fd);
}

/// Collective: the name of a copy of rank 0's standard input that every rank holds (read once
/// per process: a second call gives the first copy's name).
std::string shared_copy(const boost::mpi::communicator& comm) {
  static std::string name;
  if (!name.empty()) return name;
  std::string bytes;
  std::exception_ptr failure;
  try {
    if (comm.rank() == 0) bytes = read_standard_input();
  } catch (...) {
    failure = std::current_exception();
  }
  agree(comm, failure);
  broadcast_bytes(comm, bytes);
  std::string made;
  try {
    made = memory_file(bytes);  // one copy, however many options name it
  } catch (...) {
    failure = std::current_exception();
  }
  agree(comm, failure);
  name = made;
  return name;
}

}  // namespace

std::vector<std::string> share_standard_input(const boost::mpi::communicator& comm,
                                              std::span<const std::string> args) {
  std::vector<std::string> words(args.begin(), args.end());
  const auto found = standard_input_values(words);
  if (found.empty()) return words;
  const std::string name = shared_copy(comm);
  for (const auto& [word, prefix] : found) words[word] = words[word].substr(0, prefix) + name;
  return words;
}

void share_standard_input(const boost::mpi::communicator& comm,
                          boost::program_options::variables_map& vm) {
  std::vector<std::string> named;
  for (const std::string_view option : file_options) {
    const std::string name(option.substr(2));
    const auto it = vm.find(name);
    if (it == vm.end() || it->second.empty()) continue;
    const auto* value = boost::any_cast<std::string>(&it->second.value());
    if (value != nullptr && names_standard_input(*value)) named.push_back(name);
  }
  // A config file every rank read alike names it on every rank; agreed all the same, as
  // the copy is collective.
  const int mine = named.empty() ? 0 : 1;
  int any = 0;
  boost::mpi::all_reduce(comm, mine, any, boost::mpi::maximum<int>());
  if (any == 0) return;
  const std::string copy = shared_copy(comm);
  for (const auto& name : named) vm.at(name).value() = boost::any(copy);
}

}  // namespace hpar
