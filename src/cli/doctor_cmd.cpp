// `hutch doctor`: prints what this machine offers, one item a line, and under each
// missing one what fixes it (docs/doctor.md). Exit status 0 when everything hutch
// needs to run is there (user namespaces, seccomp, an answer from Landlock), 1 otherwise.
#include <pwd.h>
#include <unistd.h>

#include <iostream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli/cli.hpp"
#include "doctor/doctor.hpp"

namespace hutch::cli {

int doctor_command(std::span<char* const> args) {
  if (!args.empty()) {
    if (std::string_view(args[0]) == "--help" || std::string_view(args[0]) == "-h") {
      std::cout << "usage: hutch doctor\n\nWhat this machine offers hutch, and what fixes what is missing "
                   "(docs/doctor.md).\n";
      return 0;
    }
    throw UsageError{fmt::format("unexpected argument \"{}\"", args[0]), "doctor"};
  }
  const uid_t uid = ::getuid();
  const passwd* pw = ::getpwuid(uid);
  const std::string user = pw != nullptr ? pw->pw_name : std::to_string(uid);
  int status = 0;
  for (const doctor::Finding& f : doctor::examine(user, uid)) {
    const char* mark = f.state == doctor::Finding::State::Ok ? "ok" : f.state == doctor::Finding::State::Missing
                                                                          ? "missing"
                                                                          : "info";
    std::cout << fmt::format("{:<8} {}: {}\n", mark, f.name, f.detail);
    if (!f.fix.empty()) std::cout << fmt::format("         fix: {}\n", f.fix);
    if (f.state == doctor::Finding::State::Missing && f.blocks_runs) status = 1;
  }
  return status;
}

}  // namespace hutch::cli
