// SPDX-License-Identifier: BSD-3-Clause
#include "hpar/engine/signals.hpp"

#include <csignal>

namespace hpar {
namespace {

extern "C" void on_stop_signal(int /*signal*/) {
  request_stop();
}

}  // namespace

void install_stop_handlers() {
  struct sigaction action = {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
}

}  // namespace hpar
