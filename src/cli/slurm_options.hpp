// SPDX-License-Identifier: BSD-3-Clause
#pragma once
// The options of `hpar slurm` (a job's, a sweep's and a farm's script), their help, and their
// reading into the SlurmScript that the writer (hpar/launch/slurm_script.hpp) turns into text.
// For cmd_slurm.cpp alone.

#include <span>
#include <string>

#include <boost/program_options.hpp>

#include "hpar/launch/slurm_script.hpp"

namespace hpar {

/// The options of `hpar run` besides the job's and the layout's, as a script passes them on.
[[nodiscard]] boost::program_options::options_description passed_on_options();

/// `hpar slurm --help`: the three commands and their options.
[[nodiscard]] std::string slurm_help();

/// The script `args` (the words after `hpar slurm`: JOB, sweep or farm first) ask for, its
/// options checked (UsageError). A job's options are passed on to `hpar run` (checked by the
/// caller); the words from the first "--" on are a sweep's program or a farm's command,
/// whatever they look like.
[[nodiscard]] SlurmScript parse_slurm_script(SlurmScript::Kind kind,
                                             std::span<const std::string> args);

}  // namespace hpar
