#include "hpar/engine/signals.hpp"

#include <csignal>

namespace hpar {
namespace {

volatile std::sig_atomic_t stop_flag = 0;

extern "C" void on_stop_signal(int /*signal*/) {
  stop_flag = 1;
}

}  // namespace

void install_stop_handlers() {
  struct sigaction action = {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
}

bool stop_requested() noexcept {
  return stop_flag != 0;
}

void request_stop() noexcept {
  stop_flag = 1;
}

void clear_stop_request() noexcept {
  stop_flag = 0;
}

}  // namespace hpar
