// SPDX-License-Identifier: BSD-3-Clause
// `hpar affinity [--threads T] [--json FILE]`: where every thread of every rank runs, like
// xthi: a table gathered on rank 0 in host/rank/thread order (host, rank, thread, CPU now, core,
// NUMA node, affinity mask), then the verdicts in plain words with the launcher flags that fix
// them. Takes the same layout options as `run` and shows what each rank's threads would get.

#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include "commands.hpp"
#include "hpar/cli/cli.hpp"
#include "hpar/cli/options.hpp"
#include "hpar/cli/steps.hpp"
#include "hpar/comm/steps.hpp"
#include "hpar/core/errors.hpp"
#include "hpar/core/program.hpp"
#include "hpar/platform/affinity.hpp"
#include "hpar/report/report.hpp"

namespace po = boost::program_options;

namespace hpar {
namespace {

po::options_description affinity_options() {
  po::options_description d("Affinity options");
  d.add_options()("json", po::value<std::string>()->value_name("FILE"),
                  "also write the placements, topology and verdicts as JSON (hpar-affinity/1)")(
      "help", "show this help");
  return d;
}

std::string affinity_help() {
  std::ostringstream o;
  o << "hpar affinity [options]: where every thread of every rank runs, and what to fix\n\n"
       "Run it under the same launcher line as your job, e.g.\n"
       "  mpirun -np 2 --map-by slot:PE=2 hpar affinity --threads 2\n\n"
    << layout_options() << "\n"
    << affinity_options();
  return o.str();
}

/// What the command line asks for.
struct AffinityRequest {
  po::variables_map vm;
  int threads = 1;
};

AffinityRequest parse_affinity(std::span<const std::string> args) {
  po::options_description all;
  all.add(layout_options()).add(affinity_options());
  AffinityRequest req;
  req.vm = parse_options(args, all).vm;
  req.threads = threads_option(req.vm);
  (void)Schedule::parse(req.vm["schedule"].as<std::string>());
  return req;
}

/// A line per host: the CPUs of the allocation, their cores and NUMA nodes.
void print_hosts(std::ostream& out, const std::map<std::string, HostTopology>& hosts) {
  for (const auto& [name, t] : hosts) {
    std::set<int> cores, nodes;
    for (const int c : t.allowed_cpus) {
      cores.insert(t.core_of.at(c));
      nodes.insert(t.numa_of.at(c));
    }
    out << "host " << name << ": " << t.allowed_cpus.size() << " CPU(s) "
        << cpu_ranges(t.allowed_cpus) << " in the allocation, " << cores.size() << " core(s), "
        << nodes.size() << " NUMA node(s)\n";
  }
}

/// The verdict: sound, or the count of problems and advice and a line for each.
void print_verdicts(std::ostream& out, const std::vector<Verdict>& verdicts) {
  if (verdicts.empty()) {
    out << "verdict: sound: no overlapping ranks, no shared cores, no idle cores\n";
    return;
  }
  int problems = 0;
  for (const auto& v : verdicts) problems += v.severity == Severity::problem ? 1 : 0;
  out << "verdict: " << problems << " problem(s), "
      << verdicts.size() - static_cast<std::size_t>(problems) << " advice\n";
  for (const auto& v : verdicts) {
    out << "  " << (v.severity == Severity::problem ? "problem: " : "advice:  ") << v.text << "\n";
  }
}

}  // namespace

int affinity_command(const boost::mpi::communicator& world, std::span<const std::string> args) {
  const AffinityRequest req = on_every_rank(world, [&] { return parse_affinity(args); });
  if (req.vm.count("help") != 0U) {
    if (world.rank() == 0) std::cout << in_program_words(affinity_help());
    return 0;
  }

  // Sample this rank's threads and its host's topology, then gather both to rank 0.
  const RankAffinity mine =
      on_every_rank(world, [&] { return sample_affinity(world.rank(), host_name(), req.threads); });
  const HostTopology topology = on_every_rank(world, [] { return host_topology(); });
  std::vector<RankAffinity> ranks;
  std::map<std::string, HostTopology> hosts;
  gather_affinity(world, mine, topology, ranks, hosts);

  // Rank 0: the table, a line per host, the verdicts, and the JSON.
  on_root(world, [&] {
    const auto verdicts = affinity_verdicts(ranks, hosts);
    std::cout << affinity_table(ranks, hosts);
    print_hosts(std::cout, hosts);
    print_verdicts(std::cout, verdicts);
    std::cout.flush();
    write_if_asked(req.vm, "json",
                   [&] { return affinity_json(ranks, hosts, verdicts).dump(2) + "\n"; });
  });
  return stopped_after(world, 0, "--json was not written unless it had begun");
}

}  // namespace hpar
