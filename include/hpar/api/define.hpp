// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// hpar::define_job: a job from a name, declared options and a setup lambda that returns a
/// Work (hpar::reduce, reduce_blocks, map, map_blocks). The result is an ordinary JobInfo:
/// hand it to hpar::main and it runs, scales, checks its options, writes reports and Slurm
/// scripts like every built-in job.

#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "hpar/api/options.hpp"
#include "hpar/api/work.hpp"
#include "hpar/core/job.hpp"

namespace hpar {

/// What `hpar list` and `hpar help` show of a job, and its options.
struct JobSpec {
  std::string name = {};             ///< the word after `run` (no spaces, not starting with '-')
  std::string summary = {};          ///< one line for `list`
  std::vector<Option> options = {};  ///< --NAME options the setup reads (Options)
  /// A count option that sets the problem size, which a weak-scaling study multiplies by
  /// the cores (`scale --mode weak`); "" for none.
  std::string size_option = {};
};

namespace detail {

template <class T>
struct IsWork : std::false_type {};
template <class V, class K, class J, Grain G, bool O>
struct IsWork<Work<V, K, J, G, O>> : std::true_type {};

/// The Job that runs a Work: one virtual call per block, the Work's loop inside it.
template <class W>
class WorkJob final : public Job {
 public:
  explicit WorkJob(W work) : work_(std::move(work)) {}

  [[nodiscard]] WorkPlan plan() const override { return work_.plan(); }

  void compute(const Block& block, BlockOutput& out) override {
    using P = Partial<typename W::value_type>;
    const auto value = work_.compute(block.items, out.bytes);
    if (out.reals.size() == P::reals && out.counts.size() == P::counts) {
      double* r = out.reals.data();
      std::uint64_t* c = out.counts.data();
      P::store(value, r, c);
    }
  }

  JobResult finish(Gathered& gathered) override { return work_.finish(gathered); }

 private:
  W work_;
};

}  // namespace detail

/// A job of one's own. `setup(const Options&)` runs on every rank when the job is built (for
/// `run`, each point of `scale`, and `slurm`'s check); it reads the parsed options, may read
/// input files, may throw UsageError for bad input (exit 2), and returns the Work. It must
/// give the same Work on every rank and must not depend on the layout.
template <class Setup>
[[nodiscard]] JobInfo define_job(JobSpec spec, Setup setup) {
  static_assert(std::is_invocable_v<const Setup&, const Options&>,
                "hpar::define_job needs a setup lambda (const hpar::Options&) -> work");
  using W = std::decay_t<std::invoke_result_t<const Setup&, const Options&>>;
  static_assert(detail::IsWork<W>::value,
                "the setup lambda must return hpar::reduce(...), reduce_blocks, map or map_blocks");
  auto shared = std::make_shared<const JobSpec>(std::move(spec));
  JobInfo info;
  info.name = shared->name;
  info.summary = shared->summary;
  info.size_option = shared->size_option;
  info.add_options = [shared](boost::program_options::options_description& description) {
    add_declared_options(shared->name, shared->options, shared->size_option, description);
  };
  // A checkpoint compares a number option by its value ("1e6" resumes "1000000").
  for (const Option& option : shared->options) {
    const auto rule = option.kind == Option::Kind::count     ? IdentityRule::count
                      : option.kind == Option::Kind::integer ? IdentityRule::integer
                      : option.kind == Option::Kind::real    ? IdentityRule::real
                      : option.kind == Option::Kind::size    ? IdentityRule::size
                                                             : IdentityRule::text;
    info.identity_rules.emplace_back(option.name, rule);
  }
  info.make = [shared, setup = std::move(setup)](const boost::program_options::variables_map& vm,
                                                 const JobContext& /*layout*/) {
    const Options options(shared->options, vm);
    return std::unique_ptr<Job>(std::make_unique<detail::WorkJob<W>>(setup(options)));
  };
  return info;
}

}  // namespace hpar
