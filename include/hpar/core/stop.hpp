// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// Stop requests: a flag that SIGTERM, SIGINT and SIGUSR1 set (the engine installs the handlers,
/// hpar/engine/signals.hpp) and that jobs may read, e.g. to end a child process they wait for.
/// MPI-free: part of what a job may use.

namespace hpar {

/// True once a stop signal arrived (or request_stop was called). Async-signal-safe.
[[nodiscard]] bool stop_requested() noexcept;
/// Asks running jobs to stop after their current block (async-signal-safe).
void request_stop() noexcept;
/// Forgets an earlier stop request (tests that simulate a signal).
void clear_stop_request() noexcept;
/// The engine's: another rank failed or was stopped during a pass, so this one stops too
/// (stop_requested() is true) until clear_passed_on_stop(), at the end of that pass. Kept apart
/// from the signals' flag, which lasts for the rest of the process.
void pass_on_stop() noexcept;
void clear_passed_on_stop() noexcept;

/// A job's halt (the farm's --halt): the job starts no new work but the run goes on to its end
/// (unlike a stop, nothing is left undone). The engine passes it to the other ranks of the
/// pass, so that halt_requested() becomes true on every rank soon after one asked.
void request_halt() noexcept;
[[nodiscard]] bool halt_requested() noexcept;
/// Forgets a halt (a job's start: a halt ends with the run that asked for it).
void clear_halt_request() noexcept;

/// A job's drain (the farm at an allocation's end): this rank starts no new work, the work that
/// runs finishes, and the run ends incomplete as a stop does (exit 4, its checkpoint holds what
/// finished, a resume does the rest), but nothing running is ended. Each rank decides for
/// itself (the deadline is the same for all); the blocks a drained rank is dealt throw
/// BlockStopped, and as it asks for more at once, it skips what is left for the next run.
void request_drain() noexcept;
[[nodiscard]] bool drain_requested() noexcept;
/// Forgets a drain (a job's start).
void clear_drain_request() noexcept;

}  // namespace hpar
