// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// Who the running program is: `hpar`, or a program of one's own built on hpar (hpar::main),
/// which names itself in its usage, hints, error lines ("NAME: error: ...") and --version.

#include <string>
#include <string_view>

namespace hpar {

/// A program's name and version, as it shows them to its users.
struct Program {
  /// The word in usage, hints, messages and --version; hpar::main puts argv[0]'s basename
  /// for "". No spaces.
  std::string name = {};
  /// The program's own version for --version (hpar's version is shown beside it); "" for none.
  std::string version = {};
};

/// The running program: that of the innermost live ProgramScope, else {"hpar", ""}.
[[nodiscard]] const Program& program();

/// program().name, the prefix of its messages ("NAME: error: ...").
[[nodiscard]] const std::string& program_name();

/// `text` in the running program's words: the word "hpar " where it names the command (at
/// the start, after a space, a newline or a quote: "see 'hpar list'") becomes the program's
/// name. hpar's own text comes back unchanged.
[[nodiscard]] std::string in_program_words(std::string_view text);

/// Makes `p` the running program while this object lives; the one before it is the program
/// again afterwards. Not thread-safe: make one before any run starts (hpar::main holds one).
class ProgramScope {
 public:
  explicit ProgramScope(Program p);
  ~ProgramScope();
  ProgramScope(const ProgramScope&) = delete;
  ProgramScope& operator=(const ProgramScope&) = delete;

 private:
  Program program_;
  const Program* previous_;
};

}  // namespace hpar
