// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// Options of a job made with the small API: declared as (name, default, help), received
/// parsed. A value that does not parse is bad input: UsageError, exit 2, like every built-in
/// job's options.

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace boost::program_options {
class options_description;
class variables_map;
}  // namespace boost::program_options

namespace hpar {

/// One option a job declares: --NAME, the kind of value it takes, its default and a help line.
/// An empty default (except for a flag) means none: asking for the value of an option that was
/// not given is then a usage error ("missing --NAME").
struct Option {
  enum class Kind {
    count,    ///< a whole number >= 0: digits or exact scientific ("1e9"), as parse_count
    integer,  ///< a signed 64-bit integer, as parse_int
    real,     ///< a finite double, as parse_real
    size,     ///< a size in bytes with an optional multiplier ("64Mi", "2G"), as parse_size
    text,     ///< any text (a path, a name)
    flag,     ///< no value: given or not
  };
  std::string name = {};  ///< without the leading "--"
  Kind kind = Kind::text;
  std::string default_value = {};  ///< as the user would type it; "" = no default
  std::string help = {};

  /// --NAME COUNT (whole number >= 0).
  [[nodiscard]] static Option count(std::string name, std::string default_value, std::string help);
  /// --NAME INT (signed 64-bit).
  [[nodiscard]] static Option integer(std::string name, std::string default_value,
                                      std::string help);
  /// --NAME X (finite double).
  [[nodiscard]] static Option real(std::string name, std::string default_value, std::string help);
  /// --NAME BYTES (a count with an optional Ki/Mi/Gi/Ti or k/M/G/T multiplier).
  [[nodiscard]] static Option size(std::string name, std::string default_value, std::string help);
  /// --NAME TEXT.
  [[nodiscard]] static Option text(std::string name, std::string default_value, std::string help);
  /// --NAME, without a value (false unless given).
  [[nodiscard]] static Option flag(std::string name, std::string help);
};

/// The declared options of one run, every value parsed and checked before the job is set up.
/// Asking for an option that was not declared, or as another kind than declared, is a
/// programming error: std::logic_error (the run ends with exit code 1 and its message).
class Options {
 public:
  /// Parses every declared option from `vm` (the command line, --config, the defaults).
  /// Throws UsageError naming the option when a value does not parse.
  Options(std::span<const Option> declared, const boost::program_options::variables_map& vm);
  /// An option made of plain values, for tests: every declared option takes its default or
  /// the value `given` names for it. Throws UsageError like the other constructor.
  Options(std::span<const Option> declared, const std::map<std::string, std::string>& given);

  /// The value of a count option. Throws UsageError "missing --NAME" when it has none.
  [[nodiscard]] std::uint64_t count(std::string_view name) const;
  /// The value of an integer option. Throws UsageError when it has none.
  [[nodiscard]] std::int64_t integer(std::string_view name) const;
  /// The value of a real option. Throws UsageError when it has none.
  [[nodiscard]] double real(std::string_view name) const;
  /// The value of a size option, in bytes. Throws UsageError when it has none.
  [[nodiscard]] std::uint64_t size(std::string_view name) const;
  /// The value of a text option. Throws UsageError when it has none.
  [[nodiscard]] const std::string& text(std::string_view name) const;
  /// Whether a flag was given.
  [[nodiscard]] bool flag(std::string_view name) const;
  /// Whether the option has a value (given, or by default); a flag: whether it was given.
  [[nodiscard]] bool has(std::string_view name) const;

 private:
  struct Value {
    Option::Kind kind = Option::Kind::text;
    bool present = false;
    std::string text;
    std::uint64_t unsigned_value = 0;  // count, size
    std::int64_t signed_value = 0;     // integer
    double real_value = 0.0;           // real
  };
  void parse(const Option& option, bool present, std::string text);
  [[nodiscard]] const Value& value(std::string_view name, Option::Kind kind) const;

  std::map<std::string, Value, std::less<>> values_;
};

/// Adds the declared options to a description, with their defaults, as a built-in job's
/// add_options does. Throws UsageError naming `job` when an option name is empty, starts with
/// '-', holds a space or '=', or is declared twice, or when `size_option` is not "" or one of
/// the declared count options.
void add_declared_options(std::string_view job, std::span<const Option> declared,
                          std::string_view size_option,
                          boost::program_options::options_description& description);

}  // namespace hpar
