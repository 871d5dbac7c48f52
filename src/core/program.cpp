// SPDX-License-Identifier: BSD-3-Clause
// The running program's name and version: hpar's, or those a program of one's own gives
// hpar::main (the innermost live ProgramScope).

#include "hpar/core/program.hpp"

#include <utility>

namespace hpar {
namespace {

const Program*& current_program() {
  static const Program* current = nullptr;
  return current;
}

}  // namespace

const Program& program() {
  static const Program hpar{"hpar", ""};
  const Program* p = current_program();
  return p == nullptr ? hpar : *p;
}

const std::string& program_name() {
  return program().name;
}

std::string in_program_words(std::string_view text) {
  const std::string& name = program_name();
  if (name == "hpar") return std::string(text);
  constexpr std::string_view word = "hpar ";
  std::string out;
  out.reserve(text.size());
  std::size_t at = 0;
  for (std::size_t hit = text.find(word); hit != std::string_view::npos;
       hit = text.find(word, hit + 1)) {
    const char before = hit == 0 ? ' ' : text[hit - 1];
    if (before != ' ' && before != '\n' && before != '\'') continue;
    out.append(text.substr(at, hit - at)).append(name).push_back(' ');
    at = hit + word.size();
  }
  out.append(text.substr(at));
  return out;
}

ProgramScope::ProgramScope(Program p) : program_(std::move(p)), previous_(current_program()) {
  current_program() = &program_;
}

ProgramScope::~ProgramScope() {
  current_program() = previous_;
}

}  // namespace hpar
