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

}  // namespace hpar
