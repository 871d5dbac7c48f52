// SPDX-License-Identifier: BSD-3-Clause
#include "hpar/core/stop.hpp"

#include <csignal>

namespace hpar {
namespace {

volatile std::sig_atomic_t stop_flag = 0;

}  // namespace

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
