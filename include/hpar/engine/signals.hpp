// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// Stop signals: SIGTERM/SIGINT (a Slurm time limit, scancel, Ctrl-C) ask running jobs to stop
/// after their current block; the run then ends with an incomplete report and exit code 4. The
/// flag itself is hpar/core/stop.hpp (jobs may read it).

#include "hpar/core/stop.hpp"

namespace hpar {

/// Installs SIGTERM/SIGINT handlers that ask running jobs to stop after their current block.
void install_stop_handlers();

}  // namespace hpar
