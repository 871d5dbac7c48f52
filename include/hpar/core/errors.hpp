// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// Errors and exit codes, in one place (see docs/design.md).
///
/// Every failure hpar reports is an hpar::Error carrying the exit code the
/// whole job ends with. The engine agrees on errors across ranks before each
/// collective, so every rank throws the same Error and exits with the same code.

#include <cstddef>
#include <exception>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace hpar {

/// Process exit codes. Every rank of a job exits with the same one.
enum class ExitCode : int {
  ok = 0,            ///< success, verification passed (or not asked for)
  runtime = 1,       ///< a failure on some rank during the run
  usage = 2,         ///< bad usage or bad input (options, values, files)
  verification = 3,  ///< the job ran but its answer failed verification
  interrupted = 4,   ///< stopped early by SIGTERM/SIGINT; the report is incomplete
};

/// An error the job ends with: a one-line message and the exit code.
class Error : public std::runtime_error {
 public:
  Error(ExitCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  /// The exit code every rank ends with.
  [[nodiscard]] ExitCode code() const noexcept { return code_; }

 private:
  ExitCode code_;
};

/// Bad usage or bad input: unknown job/option, bad number, unreadable or malformed file. Exit 2.
class UsageError : public Error {
 public:
  explicit UsageError(const std::string& message) : Error(ExitCode::usage, message) {}
};

/// A failure while running (allocation, I/O, overflow found mid-run). Exit 1.
class RuntimeError : public Error {
 public:
  explicit RuntimeError(const std::string& message) : Error(ExitCode::runtime, message) {}
};

/// The exit code (as an int) and the one-line message a failure ends the job with: an
/// hpar::Error gives its own code and message, std::bad_alloc is "out of memory" (1), any other
/// exception its what() (1), anything else "unknown exception" (1). `failure` must not be null.
/// The one place that turns exceptions into exit codes (the engine's agreement uses it).
[[nodiscard]] std::pair<int, std::string> describe(const std::exception_ptr& failure);

/// A value from the user (an option's value, a file name, a word of the command line) as an
/// error message echoes it: in single quotes, control characters (C0, DEL, C1, and the
/// bidirectional controls U+061C, U+200E/F, U+202A-E, U+2066-9 as \uNNNN) and bytes that
/// are not UTF-8 escaped (\n, \t, \e, \xNN), and cut after `most` bytes of the escaped text
/// with "..." and the length of the whole value. Every error message that echoes user input
/// uses it, so a message stays one line that cannot move the cursor or clear the terminal.
[[nodiscard]] std::string quote_for_message(std::string_view text, std::size_t most = 80);

/// A message made safe to print as one line: control characters and bytes that are not UTF-8
/// escaped as quote_for_message does (without quotes), and cut after `most` bytes. The last
/// safety net before a message reaches a terminal (cli_main prints every error through it).
[[nodiscard]] std::string one_line_message(std::string_view text, std::size_t most = 2000);

/// The MPI library's text for the error code `rc`, as one line (MPICH's error stacks have a
/// frame a line). Declared without MPI types: jobs never see MPI.
[[nodiscard]] std::string mpi_error_text(int rc);

/// Throws RuntimeError naming `what` when an MPI call's return code `rc` is not MPI_SUCCESS
/// (raw MPI return codes never go unchecked). Declared without MPI types: jobs never see MPI.
void check_mpi(int rc, const char* what);

}  // namespace hpar
