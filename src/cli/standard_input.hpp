// SPDX-License-Identifier: BSD-3-Clause
#pragma once
// Standard input as an input file ("--input-file -" or "--input-file /dev/stdin").
//
// Jobs read their input files on every rank (numbers counts and loads its inputs everywhere,
// wordcount reads each rank's byte range, the farm hashes and reads its task list), but mpirun
// gives standard input to rank 0 only (the others read /dev/null), and a pipe can be read once.
// So rank 0 reads it to its end, broadcasts the bytes, and every rank keeps them in an
// anonymous memory file (memfd_create) that the job then reads as a regular file, as often as
// it likes, by the name /proc/self/fd/N.

#include <boost/mpi/communicator.hpp>
#include <boost/program_options/variables_map.hpp>
#include <span>
#include <string>
#include <vector>

namespace hpar {

/// `args` (a job's words) with each "-" or "/dev/stdin" given to --input-file or --args-file
/// (before a "--") replaced by the name of a copy of rank 0's standard input that every rank
/// holds. Collective; does nothing (no collective either) when no such word is there, which is
/// the same on every rank. Throws RuntimeError, agreed on every rank, when it cannot be read.
[[nodiscard]] std::vector<std::string> share_standard_input(const boost::mpi::communicator& comm,
                                                            std::span<const std::string> args);

/// After parsing: a value "-" or "/dev/stdin" of --input-file or --args-file still in `vm` (a
/// --config file gave it; the command line's were replaced before parsing) replaced by the
/// same copy's name. Collective (an all-reduce; the copy only when some rank needs it).
void share_standard_input(const boost::mpi::communicator& comm,
                          boost::program_options::variables_map& vm);

}  // namespace hpar
