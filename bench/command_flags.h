// Command-line flags of the load clients in bench/ (tls_load, rate_load): a table of
// "--name" entries, each pointing at the option it sets.
#pragma once

#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>

namespace bench {

struct Switch {
  bool* target;  // set to `value` when the flag is present; takes no argument
  bool value;
};

struct Flag {
  std::string_view name;
  std::variant<int*, double*, std::string*, Switch> target;
};

// Sets each option named in argv[first..argc) from the value that follows it. Calls `usage`
// (which should exit) with a one-line reason for an unknown flag or a missing value, and stops;
// numbers are parsed leniently (atoi/atof), so callers check their ranges afterwards.
template <std::size_t count>
void parse_flags(int argc, char** argv, int first, const Flag (&flags)[count],
                 void (*usage)(const char* problem)) {
  for (int i = first; i < argc; ++i) {
    std::string_view name = argv[i];
    const Flag* flag = nullptr;
    for (const Flag& candidate : flags) {
      if (candidate.name == name) flag = &candidate;
    }
    if (flag == nullptr) return usage("unknown flag");
    if (const Switch* on = std::get_if<Switch>(&flag->target)) {
      *on->target = on->value;
      continue;
    }
    if (i + 1 >= argc) return usage("a flag without its value");
    const char* value = argv[++i];
    if (int* const* number = std::get_if<int*>(&flag->target)) {
      **number = std::atoi(value);
    } else if (double* const* real = std::get_if<double*>(&flag->target)) {
      **real = std::atof(value);
    } else {
      *std::get<std::string*>(flag->target) = value;
    }
  }
}

}  // namespace bench
