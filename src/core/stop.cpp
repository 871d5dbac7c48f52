// SPDX-License-Identifier: BSD-3-Clause
#include "hpar/core/stop.hpp"

#include <atomic>
#include <csignal>

namespace hpar {
namespace {

volatile std::sig_atomic_t stop_flag = 0;
std::atomic<bool> passed_on{false};
std::atomic<bool> halt_flag{false};
std::atomic<bool> drain_flag{false};

}  // namespace

bool stop_requested() noexcept {
  return stop_flag != 0 || passed_on.load(std::memory_order_relaxed);
}

void request_stop() noexcept {
  stop_flag = 1;
}

void clear_stop_request() noexcept {
  stop_flag = 0;
}

void pass_on_stop() noexcept {
  passed_on.store(true, std::memory_order_relaxed);
}

void clear_passed_on_stop() noexcept {
  passed_on.store(false, std::memory_order_relaxed);
}

void request_halt() noexcept {
  halt_flag.store(true, std::memory_order_relaxed);
}

bool halt_requested() noexcept {
  return halt_flag.load(std::memory_order_relaxed);
}

void clear_halt_request() noexcept {
  halt_flag.store(false, std::memory_order_relaxed);
}

void request_drain() noexcept {
  drain_flag.store(true, std::memory_order_relaxed);
}

bool drain_requested() noexcept {
  return drain_flag.load(std::memory_order_relaxed);
}

void clear_drain_request() noexcept {
  drain_flag.store(false, std::memory_order_relaxed);
}

}  // namespace hpar
