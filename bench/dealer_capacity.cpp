// SPDX-License-Identifier: BSD-3-Clause
// The message dealer's capacity: how many requests for work rank 0 answers per second when
// every other rank asks as fast as it can (blocks that take no time), which is the limit of a
// farm's dealing across hosts. Rank 0 only serves, as it does while its own slots run tasks.
//   mpirun -np 4 -x HPAR_DYNAMIC_DEALER=messages build/release/bench_dealer_capacity 200000 [K]
// K: blocks per deal (WorkPlan::deal_per_thread, the farm's --chunk); default 1.
// Prints: ranks, blocks, seconds, deals/s (the slowest rank's view: on few cores the askers'
// own waits bound it), and rank 0's time per answered request (inside serve() calls that
// answered something), whose inverse is what one serving rank can answer at most.

#include <mpi.h>

#include <boost/mpi/collectives.hpp>
#include <boost/mpi/communicator.hpp>
#include <boost/mpi/environment.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "dealer.hpp"

int main(int argc, char** argv) {
  const boost::mpi::environment env(argc, argv, boost::mpi::threading::funneled);
  const boost::mpi::communicator world;
  if (world.size() < 2 || argc < 2) {
    if (world.rank() == 0)
      std::fprintf(stderr, "usage: mpirun -np R (R>=2) %s BLOCKS [K]\n", argv[0]);
    return 2;
  }
  hpar::WorkPlan plan;
  plan.items = std::stoull(argv[1]);
  plan.deal_per_thread = argc > 2 ? std::stoull(argv[2]) : 1;
  const auto dealer = hpar::make_dealer(world, plan, hpar::Distribution::dynamic, 1);
  const auto never = [] { return false; };
  std::uint64_t deals = 0;
  world.barrier();
  const auto begin = std::chrono::steady_clock::now();
  double serving = 0.0;  // rank 0: seconds inside serve() calls that answered requests
  if (world.rank() == 0) {
    for (std::uint64_t dealt = 0; dealt < plan.blocks();) {
      const auto t0 = std::chrono::steady_clock::now();
      dealer->serve();
      const std::uint64_t now = dealer->progress(0, 0).done;
      if (now != dealt) {
        serving += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        deals += 1;  // counted below as answers; blocks come from progress
      }
      dealt = now;
    }
    while (dealer->next(0, never)) {
    }
  } else {
    while (dealer->next(0, never)) ++deals;
  }
  dealer->settle();
  const double mine =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  double slowest = 0.0;
  std::uint64_t all = 0;
  boost::mpi::reduce(world, mine, slowest, boost::mpi::maximum<double>(), 0);
  const std::uint64_t serve_calls = world.rank() == 0 ? deals : 0;
  boost::mpi::reduce(world, world.rank() == 0 ? std::uint64_t{0} : deals, all, std::plus<>(), 0);
  if (world.rank() == 0) {
    std::printf("ranks %d blocks %llu per-deal %llu deals %llu seconds %.4f deals/s %.0f\n",
                world.size(), static_cast<unsigned long long>(plan.blocks()),
                static_cast<unsigned long long>(plan.deal_per_thread),
                static_cast<unsigned long long>(all), slowest, static_cast<double>(all) / slowest);
    std::printf(
        "rank 0: %.2f us per answered request (%llu serve calls with answers), at most "
        "%.0f requests/s\n",
        1e6 * serving / static_cast<double>(all), static_cast<unsigned long long>(serve_calls),
        static_cast<double>(all) / serving);
  }
  return 0;
}
