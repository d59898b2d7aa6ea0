// `hutch run`'s command line: which policy, the flags that override it, the command.
// Flags are overrides of the Policy (policy/schema.hpp), never a second model.
// Parsing is pure and unit-tested; loading the policy happens in run.cpp.
#pragma once

#include <cstdint>
#include <map>
#include <exception>
#include <optional>
#include <string>
#include <vector>

#include "policy/schema.hpp"
#include "runtime/plan.hpp"

namespace hutch::cli {

// What the flags set; anything unset leaves the policy's value.
struct Overrides {
  std::optional<std::string> rootfs;  // absolute (relative ones resolved against cwd)
  std::optional<std::uint32_t> uid;
  std::optional<std::uint32_t> gid;
  std::optional<std::string> hostname;
  std::optional<policy::Network> network;
  std::optional<std::string> workdir;
  bool sys = false;
  bool nested_userns = false;
  bool no_init = false;
  std::vector<policy::Mount> mounts;  // --bind, --ro-bind, --tmpfs in command-line order
  std::map<std::string, std::string> env;
  std::vector<std::string> env_pass;
  policy::Limits limits;  // --memory, --cpu-time, ...: each one given replaces the policy's
};

// Applies the flags onto a policy: scalars replace, a mount replaces the policy's at the
// same target or is added, env and env_pass add.
void apply_overrides(const Overrides& overrides, policy::Policy& policy);

struct RunArgs {
  std::optional<std::string> policy;  // --policy NAME|FILE
  Overrides overrides;
  std::vector<std::string> argv;
  bool tty = false;
  bool interactive = false;
  int verbosity = 0;  // -v: 1, -vv or -v -v: 2
  std::optional<std::string> result;  // --result FILE: the JSON result (docs/result.md)
  runtime::Stdio stdio;               // --stdin, --stdout, --stderr FILE (absolute)
  // A bad option value, kept until the result file can say so (only with --result).
  std::exception_ptr bad_value;
  bool help = false;
};

// tokens: everything after "hutch run"; cwd: what relative paths are relative to.
// Throws UsageError for command-line mistakes and Error for bad values. Without
// require_command (hutch policy show), no command may be given.
RunArgs parse_run_args(const std::vector<std::string>& tokens, const std::string& cwd, bool require_command = true);

// The options `hutch run` takes, for help texts (hutch policy show uses them too).
std::string run_options_help();

}  // namespace hutch::cli
