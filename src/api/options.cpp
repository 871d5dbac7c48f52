// SPDX-License-Identifier: BSD-3-Clause
// The small API's options: declared (name, kind, default, help), added to a job's options as
// text values (so --config, `help` and weak scaling see them like a built-in job's), parsed
// once per run with hpar's own strict parsers.

#include "hpar/api/options.hpp"

#include <algorithm>
#include <boost/program_options.hpp>
#include <cctype>
#include <stdexcept>

#include "hpar/core/errors.hpp"
#include "hpar/core/parse.hpp"

namespace po = boost::program_options;

namespace hpar {
namespace {

Option make_option(std::string name, Option::Kind kind, std::string default_value,
                   std::string help) {
  return {std::move(name), kind, std::move(default_value), std::move(help)};
}

std::string_view kind_name(Option::Kind kind) {
  switch (kind) {
    case Option::Kind::count:
      return "count";
    case Option::Kind::integer:
      return "integer";
    case Option::Kind::real:
      return "real";
    case Option::Kind::size:
      return "size";
    case Option::Kind::flag:
      return "flag";
    case Option::Kind::text:
      break;
  }
  return "text";
}

/// The placeholder `help` shows for the value (--intervals N).
const char* value_name(Option::Kind kind) {
  switch (kind) {
    case Option::Kind::count:
      return "N";
    case Option::Kind::integer:
      return "INT";
    case Option::Kind::real:
      return "X";
    case Option::Kind::size:
      return "BYTES";
    case Option::Kind::text:
    case Option::Kind::flag:
      break;
  }
  return "TEXT";
}

void check_declared(std::string_view job, std::span<const Option> declared,
                    std::string_view size_option) {
  const std::string where = "job '" + std::string(job) + "': ";
  for (auto it = declared.begin(); it != declared.end(); ++it) {
    const std::string& name = it->name;
    const bool bad_char = std::any_of(name.begin(), name.end(), [](char c) {
      return std::isspace(static_cast<unsigned char>(c)) != 0 || c == '=';
    });
    if (name.empty() || name.front() == '-' || bad_char) {
      throw UsageError(where + "bad option name '" + name +
                       "': give it without '--', with no spaces or '='");
    }
    if (std::any_of(declared.begin(), it, [&](const Option& o) { return o.name == name; })) {
      throw UsageError(where + "option --" + name + " is declared twice");
    }
  }
  if (size_option.empty()) return;
  const auto size = std::find_if(declared.begin(), declared.end(),
                                 [&](const Option& o) { return o.name == size_option; });
  if (size == declared.end() || size->kind != Option::Kind::count) {
    throw UsageError(where + "the size option --" + std::string(size_option) +
                     " must be one of the job's count options");
  }
}

}  // namespace

Option Option::count(std::string name, std::string default_value, std::string help) {
  return make_option(std::move(name), Kind::count, std::move(default_value), std::move(help));
}
Option Option::integer(std::string name, std::string default_value, std::string help) {
  return make_option(std::move(name), Kind::integer, std::move(default_value), std::move(help));
}
Option Option::real(std::string name, std::string default_value, std::string help) {
  return make_option(std::move(name), Kind::real, std::move(default_value), std::move(help));
}
Option Option::size(std::string name, std::string default_value, std::string help) {
  return make_option(std::move(name), Kind::size, std::move(default_value), std::move(help));
}
Option Option::text(std::string name, std::string default_value, std::string help) {
  return make_option(std::move(name), Kind::text, std::move(default_value), std::move(help));
}
Option Option::flag(std::string name, std::string help) {
  return make_option(std::move(name), Kind::flag, "", std::move(help));
}

Options::Options(std::span<const Option> declared, const po::variables_map& vm) {
  for (const auto& option : declared) {
    const auto it = vm.find(option.name);
    const bool present = it != vm.end() && !it->second.empty();
    std::string text;
    if (present && option.kind != Option::Kind::flag) text = it->second.as<std::string>();
    parse(option, present, std::move(text));
  }
}

Options::Options(std::span<const Option> declared,
                 const std::map<std::string, std::string>& given) {
  for (const auto& option : declared) {
    const auto it = given.find(option.name);
    if (option.kind == Option::Kind::flag) {
      parse(option, it != given.end(), "");
    } else if (it != given.end()) {
      parse(option, true, it->second);
    } else {
      parse(option, !option.default_value.empty(), option.default_value);
    }
  }
}

void Options::parse(const Option& option, bool present, std::string text) {
  Value v;
  v.kind = option.kind;
  v.present = present;
  const std::string flag = "--" + option.name;
  if (present) {
    switch (option.kind) {
      case Option::Kind::count:
        v.unsigned_value = parse_count(text, flag);
        break;
      case Option::Kind::size:
        v.unsigned_value = parse_size(text, flag);
        break;
      case Option::Kind::integer:
        v.signed_value = parse_int(text, flag);
        break;
      case Option::Kind::real:
        v.real_value = parse_real(text, flag);
        break;
      case Option::Kind::text:
      case Option::Kind::flag:
        break;
    }
  }
  v.text = std::move(text);
  values_.insert_or_assign(option.name, std::move(v));
}

const Options::Value& Options::value(std::string_view name, Option::Kind kind) const {
  const auto it = values_.find(name);
  if (it == values_.end()) {
    throw std::logic_error("the job asks for option --" + std::string(name) +
                           ", which it does not declare");
  }
  if (it->second.kind != kind) {
    throw std::logic_error("the job asks for option --" + std::string(name) + " as " +
                           std::string(kind_name(kind)) + ", but declares it as " +
                           std::string(kind_name(it->second.kind)));
  }
  if (!it->second.present && kind != Option::Kind::flag) {
    throw UsageError("missing --" + std::string(name) + " (see the job's help)");
  }
  return it->second;
}

std::uint64_t Options::count(std::string_view name) const {
  return value(name, Option::Kind::count).unsigned_value;
}
std::int64_t Options::integer(std::string_view name) const {
  return value(name, Option::Kind::integer).signed_value;
}
double Options::real(std::string_view name) const {
  return value(name, Option::Kind::real).real_value;
}
std::uint64_t Options::size(std::string_view name) const {
  return value(name, Option::Kind::size).unsigned_value;
}
const std::string& Options::text(std::string_view name) const {
  return value(name, Option::Kind::text).text;
}
bool Options::flag(std::string_view name) const {
  return value(name, Option::Kind::flag).present;
}
bool Options::has(std::string_view name) const {
  const auto it = values_.find(name);
  if (it == values_.end()) {
    throw std::logic_error("the job asks for option --" + std::string(name) +
                           ", which it does not declare");
  }
  return it->second.present;
}

void add_declared_options(std::string_view job, std::span<const Option> declared,
                          std::string_view size_option, po::options_description& description) {
  check_declared(job, declared, size_option);
  for (const auto& option : declared) {
    if (option.kind == Option::Kind::flag) {
      description.add_options()(option.name.c_str(), option.help.c_str());
      continue;
    }
    if (!option.default_value.empty()) {  // a default that does not parse is the job's bug
      try {
        [[maybe_unused]] const Options check({&option, 1}, std::map<std::string, std::string>{});
      } catch (const UsageError& e) {
        throw UsageError("job '" + std::string(job) + "': the default of --" + option.name +
                         " does not parse: " + e.what());
      }
    }
    auto* value = po::value<std::string>()->value_name(value_name(option.kind));
    if (!option.default_value.empty()) value->default_value(option.default_value);
    description.add_options()(option.name.c_str(), value, option.help.c_str());
  }
}

}  // namespace hpar
