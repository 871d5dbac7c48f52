// `hpar affinity [--threads T] [--json FILE]`: where every thread of every rank runs, like
// xthi: a table gathered on rank 0 in host/rank/thread order (host, rank, thread, CPU now, core,
// NUMA node, affinity mask), then the verdicts in plain words with the launcher flags that fix
// them. Takes the same layout options as `run` and shows what each rank's threads would get.

#include <boost/mpi/collectives.hpp>
#include <iostream>
#include <set>
#include <sstream>

#include "commands.hpp"
#include "hpar/cli/cli.hpp"
#include "hpar/core/errors.hpp"
#include "hpar/core/parse.hpp"
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

}  // namespace

int affinity_command(const boost::mpi::communicator& world, std::span<const std::string> args) {
  po::variables_map vm;
  int threads = 1;
  std::exception_ptr failure;
  try {
    po::options_description all;
    all.add(layout_options()).add(affinity_options());
    try {
      po::store(po::command_line_parser(std::vector<std::string>(args.begin(), args.end()))
                    .options(all)
                    .run(),
                vm);
      po::notify(vm);
    } catch (const po::error& e) {
      throw UsageError(e.what());
    }
    threads = default_threads();
    if (vm.count("threads") != 0U) {
      const auto t = parse_count(vm["threads"].as<std::string>(), "--threads");
      if (t < 1 || t > 4096) throw UsageError("--threads must be between 1 and 4096");
      threads = static_cast<int>(t);
    }
    (void)Schedule::parse(vm["schedule"].as<std::string>());
  } catch (...) {
    failure = std::current_exception();
  }
  agree(world, failure);
  if (vm.count("help") != 0U) {
    if (world.rank() == 0) std::cout << affinity_help();
    return 0;
  }

  // Sample this rank's threads and its host's topology, then gather both to rank 0.
  const RankAffinity mine = sample_affinity(world.rank(), host_name(), threads);
  HostTopology topology;
  try {
    topology = host_topology();
  } catch (...) {
    failure = std::current_exception();
  }
  agree(world, failure);
  std::vector<RankAffinity> ranks;
  std::map<std::string, HostTopology> hosts;
  gather_affinity(world, mine, topology, ranks, hosts);

  // Rank 0: the table, a line per host, the verdicts, and the JSON.
  if (world.rank() == 0) {
    try {
      const auto verdicts = affinity_verdicts(ranks, hosts);
      std::cout << affinity_table(ranks, hosts);
      for (const auto& [name, t] : hosts) {
        std::set<int> cores, nodes;
        for (const int c : t.allowed_cpus) {
          cores.insert(t.core_of.at(c));
          nodes.insert(t.numa_of.at(c));
        }
        std::cout << "host " << name << ": " << t.allowed_cpus.size() << " CPU(s) "
                  << cpu_ranges(t.allowed_cpus) << " in the allocation, " << cores.size()
                  << " core(s), " << nodes.size() << " NUMA node(s)\n";
      }
      if (verdicts.empty()) {
        std::cout << "verdict: sound: no overlapping ranks, no shared cores, no idle cores\n";
      } else {
        int problems = 0;
        for (const auto& v : verdicts) problems += v.severity == Severity::problem ? 1 : 0;
        std::cout << "verdict: " << problems << " problem(s), "
                  << verdicts.size() - static_cast<std::size_t>(problems) << " advice\n";
        for (const auto& v : verdicts) {
          std::cout << "  " << (v.severity == Severity::problem ? "problem: " : "advice:  ")
                    << v.text << "\n";
        }
      }
      std::cout.flush();
      if (vm.count("json") != 0U) {
        write_file_atomically(vm["json"].as<std::string>(),
                              affinity_json(ranks, hosts, verdicts).dump(2) + "\n");
      }
    } catch (...) {
      failure = std::current_exception();
    }
  }
  agree(world, failure);
  return 0;
}

}  // namespace hpar
