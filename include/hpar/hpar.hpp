// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// hpar: the one header a program of one's own includes. A job is a name, its options and a
/// lambda; the program's main is one call:
///
///     #include <hpar/hpar.hpp>
///     int main(int argc, char** argv) {
///       const hpar::JobInfo squares = hpar::define_job(
///           {.name = "squares", .summary = "sum of i^2 for i < N",
///            .options = {hpar::Option::count("n", "1e6", "items")}},
///           [](const hpar::Options& o) {
///             const std::uint64_t n = o.count("n");
///             return hpar::reduce(n, [](std::uint64_t i) { return i * i; })
///                 .verify([n](std::uint64_t s) { return s == (n - 1) * n * (2 * n - 1) / 6; });
///           });
///       return hpar::main(argc, argv, {squares});
///     }
///
/// The program then has hpar's commands (run, scale, list, help, slurm, affinity, collect,
/// plot, --version), layouts, reports, traces and exit codes, under its own name (argv[0]'s,
/// or hpar::main's fourth argument {.name = ..., .version = ...}) and with its own jobs only. Link
/// hpar::hpar (CMake: find_package(hpar)); add hpar::jobs and hpar::builtin_jobs()
/// (hpar/jobs/builtin.hpp) for the built-in jobs. The full Job interface (hpar/core/job.hpp) stays
/// for everything else.

#include "hpar/api/define.hpp"
#include "hpar/api/options.hpp"
#include "hpar/api/output.hpp"
#include "hpar/api/value.hpp"
#include "hpar/api/work.hpp"
#include "hpar/cli/main.hpp"
#include "hpar/core/errors.hpp"
#include "hpar/core/format.hpp"
#include "hpar/core/job.hpp"
#include "hpar/core/parse.hpp"
