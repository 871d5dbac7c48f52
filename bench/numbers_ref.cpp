// SPDX-License-Identifier: BSD-3-Clause
// Plain single-thread reference for the numbers job: the tutorial's loop written flat.
//   numbers_ref values N [STEPS]   make the values x+1..x+STEPS of inputs 1..N into a vector
//   numbers_ref text N [STEPS] F   also format them as hpar does ("x: v1 v2 ...") into file F
// Prints the seconds taken (allocation included) and a checksum so the work is not optimised away.
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

void append_number(std::string& out, std::int64_t v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s values|text N [STEPS] [FILE]\n", argv[0]);
    return 2;
  }
  const bool text = std::strcmp(argv[1], "text") == 0;
  const auto n = static_cast<std::int64_t>(std::strtoll(argv[2], nullptr, 10));
  const std::int64_t steps = argc > 3 ? std::strtoll(argv[3], nullptr, 10) : 5;
  const auto start = std::chrono::steady_clock::now();
  std::uint64_t checksum = 0;
  if (!text) {
    std::vector<std::int64_t> values(static_cast<std::size_t>(n * steps));
    std::size_t at = 0;
    for (std::int64_t x = 1; x <= n; ++x) {
      for (std::int64_t k = 1; k <= steps; ++k) values[at++] = x + k;
    }
    for (const auto v : values) checksum += static_cast<std::uint64_t>(v);
  } else {
    std::string out;
    out.reserve(static_cast<std::size_t>(n * (steps + 1) * 9));
    for (std::int64_t x = 1; x <= n; ++x) {
      append_number(out, x);
      out.push_back(':');
      for (std::int64_t k = 1; k <= steps; ++k) {
        out.push_back(' ');
        append_number(out, x + k);
      }
      out.push_back('\n');
    }
    std::FILE* f = std::fopen(argc > 4 ? argv[4] : "/dev/null", "wb");
    if (f == nullptr) return 1;
    std::fwrite(out.data(), 1, out.size(), f);
    std::fclose(f);
    checksum = out.size();
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%.6f %llu\n", seconds, static_cast<unsigned long long>(checksum));
  return 0;
}
