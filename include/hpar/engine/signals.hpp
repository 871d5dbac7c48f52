#pragma once
/// Stop requests: SIGTERM/SIGINT (a Slurm time limit, scancel, Ctrl-C) ask running jobs to stop
/// after their current block; the run then ends with an incomplete report and exit code 4.

namespace hpar {

/// Installs SIGTERM/SIGINT handlers that ask running jobs to stop after their current block.
void install_stop_handlers();
/// True once SIGTERM or SIGINT arrived (or request_stop was called).
[[nodiscard]] bool stop_requested() noexcept;
/// Asks running jobs to stop after their current block (async-signal-safe).
void request_stop() noexcept;
/// Forgets an earlier stop request (tests that simulate a signal).
void clear_stop_request() noexcept;

}  // namespace hpar
