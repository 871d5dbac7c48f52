// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// The main thread's chores during a pass: dealing blocks to other ranks and moving finished
/// output along. MPI is funneled (only the main thread calls it), so the engine does them
/// between blocks; a job whose block waits a long time (a farm's task on its child process)
/// calls main_thread_chores() while it waits, so that nothing waits on that block.

#include <functional>

namespace hpar {

/// Sets the chores (an empty function: none) and makes the calling thread the one they run
/// on. Called by the engine outside parallel regions.
void set_main_thread_chores(std::function<void()> work);

/// Whether chores are set and the calling thread is the one they run on.
[[nodiscard]] bool main_thread_has_chores() noexcept;

/// Runs the chores when main_thread_has_chores(), else does nothing. Never waits long.
void main_thread_chores();

/// A descriptor (an eventfd) that becomes readable when another thread asks for the chores
/// (wake_main_thread): a wait of the main thread polls it besides its own, reads it empty and
/// does the chores at once instead of at its next tick. -1 when the system has none.
[[nodiscard]] int main_thread_wake_fd();

/// Any thread: asks the main thread for its chores now (e.g. a free slot for its next block).
void wake_main_thread();

}  // namespace hpar
