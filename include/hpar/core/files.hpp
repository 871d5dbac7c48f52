#pragma once
/// Files that hpar writes (results, images, reports, traces, plots): never half-written.

#include <string>
#include <string_view>

namespace hpar {

/// Writes `bytes` to `path` through a temporary file in the same directory and a rename, so a
/// failure never leaves a partial file. Throws RuntimeError (or UsageError when the directory
/// cannot be written) naming the path.
void write_file_atomically(const std::string& path, std::string_view bytes);

}  // namespace hpar
