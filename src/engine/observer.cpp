// SPDX-License-Identifier: BSD-3-Clause
#include "hpar/engine/observer.hpp"

namespace hpar {

std::string_view to_string(Phase phase) noexcept {
  switch (phase) {
    case Phase::setup:
      return "setup";
    case Phase::compute:
      return "compute";
    case Phase::gather:
      return "gather";
    case Phase::finish:
      break;
  }
  return "finish";
}

}  // namespace hpar
