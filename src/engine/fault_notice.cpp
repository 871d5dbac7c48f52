// SPDX-License-Identifier: BSD-3-Clause
#include "fault_notice.hpp"

#include <boost/mpi/collectives.hpp>
#include <ctime>
#include <functional>

#include "hpar/core/errors.hpp"

namespace hpar {

FaultNotice::FaultNotice(const boost::mpi::communicator& comm)
    : comm_(comm, boost::mpi::comm_duplicate) {}

bool FaultNotice::heard() const {
  int flag = 0;
  check_mpi(MPI_Iprobe(MPI_ANY_SOURCE, tag, MPI_Comm(comm_), &flag, MPI_STATUS_IGNORE),
            "MPI_Iprobe");
  return flag != 0;
}

void FaultNotice::tell_all() {
  if (told_) return;
  told_ = true;
  for (int r = 0; r < comm_.size(); ++r) {
    if (r == comm_.rank()) continue;
    requests_.emplace_back();
    check_mpi(MPI_Isend(&payload_, 1, MPI_INT, r, tag, MPI_Comm(comm_), &requests_.back()),
              "MPI_Isend");
  }
}

void FaultNotice::wait_for_all(const std::function<void()>& meanwhile) {
  MPI_Request barrier = MPI_REQUEST_NULL;
  check_mpi(MPI_Ibarrier(MPI_Comm(comm_), &barrier), "MPI_Ibarrier");
  for (int done = 0;;) {
    check_mpi(MPI_Test(&barrier, &done, MPI_STATUS_IGNORE), "MPI_Test");
    if (done != 0) return;
    meanwhile();
    const timespec nap{0, 100'000};
    nanosleep(&nap, nullptr);
  }
}

bool FaultNotice::settle() {
  check_mpi(MPI_Waitall(static_cast<int>(requests_.size()), requests_.data(), MPI_STATUSES_IGNORE),
            "MPI_Waitall");
  requests_.clear();
  int senders = 0;
  boost::mpi::all_reduce(comm_, told_ ? 1 : 0, senders, std::plus<int>());
  const int expected = senders - (told_ ? 1 : 0);
  for (int i = 0; i < expected; ++i) {
    int payload = 0;
    check_mpi(
        MPI_Recv(&payload, 1, MPI_INT, MPI_ANY_SOURCE, tag, MPI_Comm(comm_), MPI_STATUS_IGNORE),
        "MPI_Recv");
  }
  told_ = false;
  return senders > 0;
}

}  // namespace hpar
