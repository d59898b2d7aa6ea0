// The command line: one file per subcommand, each thin (parse, build the Policy, call
// the library, print). main() catches what escapes and turns it into the documented
// exit status (runtime/launcher.hpp, docs/exit-codes.md).
#pragma once

#include <span>
#include <string>

namespace hutch::cli {

int main(int argc, char** argv);

// `hutch run`; args excludes "hutch" and "run".
int run_command(std::span<char* const> args);
// `hutch policy ...`; args excludes "hutch" and "policy".
int policy_command(std::span<char* const> args);
// `hutch doctor`; args excludes "hutch" and "doctor".
int doctor_command(std::span<char* const> args);
// `hutch selftest`; args excludes "hutch" and "selftest".
int selftest_command(std::span<char* const> args);

// Thrown for command-line mistakes: printed with a hint to --help.
struct UsageError {
  std::string message;
  std::string command;  // "run", or empty for hutch itself
};

}  // namespace hutch::cli
