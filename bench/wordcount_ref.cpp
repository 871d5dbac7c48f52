// SPDX-License-Identifier: BSD-3-Clause
// Plain single-thread reference for the wordcount job, and the generator of its benchmark text.
//   wordcount_ref count FILE [K]         read FILE whole, count words and build the word map in
//                                        one loop; prints "seconds S words N distinct D MB/s R"
//                                        then the K (10) most frequent words as "COUNT WORD"
//   wordcount_ref generate FILE BYTES    write about BYTES of deterministic text: words drawn
//                                        with Zipf-like frequencies (p ~ 1/rank) from 100000
//                                        made-up words, spaces, a newline every ~12 words
// Whitespace is the C locale's (' ' \t \n \v \f \r), as in hpar. The time covers reading the
// file (from the page cache when warm) and counting, like hpar's compute phase.
#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace {

struct WordHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    return std::hash<std::string_view>{}(s);
  }
};
using WordMap = std::unordered_map<std::string, std::uint64_t, WordHash, std::equal_to<>>;

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

int count(const char* path, std::size_t top) {
  const auto start = std::chrono::steady_clock::now();
  std::FILE* file = std::fopen(path, "rb");
  if (file == nullptr) {
    std::perror(path);
    return 2;
  }
  std::string text;
  char piece[1 << 16];
  std::size_t n = 0;
  while ((n = std::fread(piece, 1, sizeof piece, file)) > 0) text.append(piece, n);
  std::fclose(file);

  WordMap counts;
  std::uint64_t words = 0;
  std::size_t i = 0;
  const std::size_t size = text.size();
  while (i < size) {
    while (i < size && is_space(text[i])) ++i;
    if (i == size) break;
    const std::size_t begin = i;
    while (i < size && !is_space(text[i])) ++i;
    ++words;
    const std::string_view word(text.data() + begin, i - begin);
    const auto it = counts.find(word);
    if (it != counts.end()) {
      ++it->second;
    } else {
      counts.emplace(word, 1);
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  std::vector<const WordMap::value_type*> entries;
  for (const auto& e : counts) entries.push_back(&e);
  top = std::min(top, entries.size());
  std::partial_sort(entries.begin(), entries.begin() + static_cast<std::ptrdiff_t>(top),
                    entries.end(), [](const auto* a, const auto* b) {
                      return a->second != b->second ? a->second > b->second : a->first < b->first;
                    });
  std::printf("seconds %.6f words %llu distinct %zu MB/s %.3f\n", seconds,
              static_cast<unsigned long long>(words), counts.size(),
              static_cast<double>(size) / 1e6 / seconds);
  for (std::size_t k = 0; k < top; ++k) {
    std::printf("%llu %s\n", static_cast<unsigned long long>(entries[k]->second),
                entries[k]->first.c_str());
  }
  return 0;
}

int generate(const char* path, std::uint64_t bytes) {
  constexpr std::size_t vocabulary = 100000;
  std::uint64_t state = 42;
  std::vector<std::string> words(vocabulary);
  for (auto& w : words) {
    const std::uint64_t r = splitmix64(state);
    const std::size_t length = 2 + r % 11;
    for (std::size_t k = 0; k < length; ++k) {
      w.push_back(static_cast<char>('a' + (r >> (8 + 5 * (k % 11))) % 26));
    }
  }
  std::vector<double> cdf(vocabulary);
  double sum = 0;
  for (std::size_t r = 0; r < vocabulary; ++r) cdf[r] = sum += 1.0 / static_cast<double>(r + 1);
  std::FILE* file = std::fopen(path, "wb");
  if (file == nullptr) {
    std::perror(path);
    return 2;
  }
  std::string line;
  std::uint64_t written = 0;
  while (written < bytes) {
    line.clear();
    const std::uint64_t in_line = 4 + splitmix64(state) % 17;
    for (std::uint64_t k = 0; k < in_line; ++k) {
      const double u = static_cast<double>(splitmix64(state) >> 11) * 0x1.0p-53 * sum;
      const auto r =
          static_cast<std::size_t>(std::lower_bound(cdf.begin(), cdf.end(), u) - cdf.begin());
      if (k > 0) line += splitmix64(state) % 50 == 0 ? "\t" : " ";
      line += words[std::min(r, vocabulary - 1)];
    }
    line += '\n';
    std::fwrite(line.data(), 1, line.size(), file);
    written += line.size();
  }
  return std::fclose(file) == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 3 && std::strcmp(argv[1], "count") == 0) {
    return count(argv[2], argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 10);
  }
  if (argc == 4 && std::strcmp(argv[1], "generate") == 0) {
    return generate(argv[2], std::strtoull(argv[3], nullptr, 10));
  }
  std::fprintf(stderr, "usage: %s count FILE [K] | generate FILE BYTES\n", argv[0]);
  return 2;
}
