// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// The batch allocation a run is in: when it ends, for work that must not start past it (the
/// farm's drain). MPI-free; the engine reads it once on rank 0 (JobContext::allocation_end).

#include <optional>
#include <string_view>

namespace hpar {

/// When the Slurm job this process runs in ends, in seconds since the epoch; 0 when unknown
/// (not in a Slurm job, no time limit, squeue not found or not answering within 10 s).
/// SLURM_JOB_END_TIME where Slurm sets it (newer releases), else `squeue -h -j ID -o %L`.
[[nodiscard]] double allocation_end();

/// Seconds in Slurm's time left (squeue's %L): "[DAYS-]HOURS:MINUTES:SECONDS", "MINUTES:SECONDS"
/// or "SECONDS"; nothing for "UNLIMITED", "NOT_SET", "INVALID" or anything malformed.
[[nodiscard]] std::optional<double> parse_slurm_time_left(std::string_view text);

}  // namespace hpar
