// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// A run's identity for checkpoints: what a resumed run must match. The job declares how its
/// options count (JobInfo::identity_rules); this computes the values: a number by its parsed
/// value, an input file by its content (hashed here, not by the job), and leaves out the
/// options that change no block's results.

#include <boost/program_options.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hpar/core/job.hpp"

namespace hpar {

/// A run's identity, as a checkpoint keeps it (see job_identity).
struct RunIdentity {
  /// {name, value}: "--OPTION" and its normalised value, "content of --OPTION" and the input
  /// file's hash.
  std::vector<std::pair<std::string, std::string>> values;
  /// {name, words}: how a message names an entry whose name alone does not say enough, e.g.
  /// "content of --input-file" -> "the content of --input-file 'in.txt'".
  std::vector<std::pair<std::string, std::string>> labels;
};

/// The value an option counts with in a run's identity under `rule` (`option` names it in an
/// error, with its "--"): a number as its parsed value ("3e7" and "30000000" are one value), an
/// input file as "fnv1a64:HEX" of its bytes. A value the rule cannot parse is kept as given
/// (the job refuses it when it is made). Throws UsageError when an input file cannot be read.
[[nodiscard]] std::string identity_value(IdentityRule rule, std::string_view option,
                                         const std::string& text);

/// What a checkpoint of `job` run with options `vm` must match on resume: every option the job
/// declares (defaults included) that its identity_rules do not mark `ignored`, by identity_value.
/// Throws UsageError when an input file cannot be read, std::logic_error when a rule names an
/// option the job does not declare.
[[nodiscard]] RunIdentity job_identity(const JobInfo& job,
                                       const boost::program_options::variables_map& vm);

}  // namespace hpar
