#include "hpar/core/errors.hpp"

#include <mpi.h>

namespace hpar {

void check_mpi(int rc, const char* what) {
  if (rc == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING] = {};
  int len = 0;
  MPI_Error_string(rc, text, &len);
  throw RuntimeError(std::string(what) +
                     " failed: " + std::string(text, static_cast<std::size_t>(len)));
}

}  // namespace hpar
