// SPDX-License-Identifier: BSD-3-Clause
#include "hpar/core/chores.hpp"

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

}  // namespace hpar
