#include "hpar/core/format.hpp"

#include <iomanip>
#include <sstream>

namespace hpar {

std::string format_exact(double value) {
  std::ostringstream o;
  o << std::setprecision(17) << value;
  return o.str();
}

std::string format_fixed(double value, int digits) {
  std::ostringstream o;
  o << std::fixed << std::setprecision(digits) << value;
  return o.str();
}

}  // namespace hpar
