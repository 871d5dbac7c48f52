// SPDX-License-Identifier: BSD-3-Clause
#include "hpar/core/chores.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>
#include <thread>
#include <utility>

namespace hpar {
namespace {

// Written only outside parallel regions, read inside them: the region's start orders them.
std::function<void()>& chores() {
  static std::function<void()> set;
  return set;
}

std::thread::id& chores_thread() {
  static std::thread::id id;
  return id;
}

}  // namespace

void set_main_thread_chores(std::function<void()> work) {
  chores() = std::move(work);
  chores_thread() = std::this_thread::get_id();
}

bool main_thread_has_chores() noexcept {
  return chores() && chores_thread() == std::this_thread::get_id();
}

void main_thread_chores() {
  if (main_thread_has_chores()) chores()();
}

int main_thread_wake_fd() {
  static const int fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);  // -1: none, waits nap
  return fd;
}

void wake_main_thread() {
  const std::uint64_t one = 1;
  if (main_thread_wake_fd() >= 0) (void)!::write(main_thread_wake_fd(), &one, sizeof one);
}

}  // namespace hpar
