// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// Agreement before a collective: after local work that can fail, every rank learns whether
/// any rank failed, and all throw the same error together. Never a hang.

#include <boost/mpi/communicator.hpp>
#include <exception>

namespace hpar {

/// If any rank holds an exception, every rank throws the same hpar::Error: the lowest failing
/// rank's code and message, naming that rank and its host unless it is an input error seen by
/// rank 0. Collective; returns normally when no rank failed.
void agree(const boost::mpi::communicator& comm, const std::exception_ptr& local);

}  // namespace hpar
