#include "hpar/core/errors.hpp"

#include <mpi.h>

#include <new>

namespace hpar {

std::pair<int, std::string> describe(const std::exception_ptr& failure) {
  try {
    std::rethrow_exception(failure);
  } catch (const Error& e) {
    return {static_cast<int>(e.code()), e.what()};
  } catch (const std::bad_alloc&) {
    return {static_cast<int>(ExitCode::runtime), "out of memory"};
  } catch (const std::exception& e) {
    return {static_cast<int>(ExitCode::runtime), e.what()};
  } catch (...) {
    return {static_cast<int>(ExitCode::runtime), "unknown exception"};
  }
}

void check_mpi(int rc, const char* what) {
  if (rc == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING] = {};
  int len = 0;
  MPI_Error_string(rc, text, &len);
  throw RuntimeError(std::string(what) +
                     " failed: " + std::string(text, static_cast<std::size_t>(len)));
}

}  // namespace hpar
