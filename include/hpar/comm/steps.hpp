// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// The two shapes of a collective step, written once. A step that every rank runs (parsing,
/// reading local files, building a job) and a step that rank 0 runs alone (printing, writing
/// files) are each followed by the agreement that keeps ranks from hanging: when the step threw
/// on some rank, every rank throws the same hpar::Error (agree, in hpar/comm/agreement.hpp),
/// so every rank leaves the step with the same exit code.

#include <boost/mpi/collectives/broadcast.hpp>
#include <boost/mpi/communicator.hpp>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

#include "hpar/comm/agreement.hpp"

namespace hpar {

/// Runs `step` on every rank of `comm`, then agrees on its failure: every rank returns its own
/// result of the step, or every rank throws the same hpar::Error. Collective.
template <class Step>
std::invoke_result_t<Step&> on_every_rank(const boost::mpi::communicator& comm, Step&& step) {
  using Result = std::invoke_result_t<Step&>;
  if constexpr (std::is_void_v<Result>) {
    std::exception_ptr failure;
    try {
      step();
    } catch (...) {
      failure = std::current_exception();
    }
    agree(comm, failure);
  } else {
    std::optional<Result> result;
    on_every_rank(comm, [&] { result.emplace(step()); });
    return std::move(*result);
  }
}

/// Runs `step` on rank 0 of `comm` alone (printing, writing files, anything only the root
/// does), then agrees on its failure. A result (an exit code, a text: anything Boost.MPI can
/// broadcast) is sent to every rank, so every rank returns rank 0's. Collective.
template <class Step>
std::invoke_result_t<Step&> on_root(const boost::mpi::communicator& comm, Step&& step) {
  using Result = std::invoke_result_t<Step&>;
  if constexpr (std::is_void_v<Result>) {
    on_every_rank(comm, [&] {
      if (comm.rank() == 0) step();
    });
  } else {
    Result result = on_every_rank(comm, [&] { return comm.rank() == 0 ? step() : Result{}; });
    boost::mpi::broadcast(comm, result, 0);
    return result;
  }
}

}  // namespace hpar
