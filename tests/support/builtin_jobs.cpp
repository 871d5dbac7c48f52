// SPDX-License-Identifier: BSD-3-Clause
// The unit and MPI tests see the built-in jobs as `hpar` does (find_job, job_registry): the
// program's registry for the whole test process.

#include "hpar/jobs/builtin.hpp"

namespace {

const hpar::Registry builtin_registry(hpar::builtin_jobs());
const hpar::RegistryScope builtin_scope(builtin_registry);

}  // namespace
