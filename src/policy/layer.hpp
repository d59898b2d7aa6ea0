// One policy file as written: every key it sets, nothing it leaves to its parent.
// load.cpp turns YAML into a PolicyLayer; merge.cpp applies layers, from the root of
// the `extends` chain down, onto the built-in defaults.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "policy/diagnostics.hpp"
#include "policy/schema.hpp"

namespace hutch::policy {

// A list or map the child either extends (the default) or, tagged `!reset`, replaces.
template <typename T>
struct Patch {
  bool present = false;
  bool reset = false;
  T items{};
};

// The `seccomp` section as one file writes it.
struct SeccompLayer {
  std::optional<seccomp::Action> default_action;
  std::optional<seccomp::Action> baseline;
  Patch<std::vector<seccomp::Rule>> allow;  // rules with action allow, no arguments
  Patch<std::vector<seccomp::Rule>> rules;
};

struct PolicyLayer {
  Position origin;                     // the file (line 0)
  std::optional<std::string> extends;  // a name or a path, as written
  Position extends_at;
  std::optional<std::string> description;
  std::optional<std::string> rootfs;   // absolute: relative paths were resolved against the file's folder
  std::optional<std::uint32_t> uid;
  std::optional<std::uint32_t> gid;
  std::optional<std::string> hostname;
  std::optional<bool> nested_user_namespaces;
  std::optional<Network> network;
  Patch<std::vector<Mount>> mounts;
  std::optional<bool> mount_sys;       // a `- type: sysfs` entry in mounts
  Patch<std::map<std::string, std::string>> env;
  Patch<std::vector<std::string>> env_pass;
  std::optional<std::string> workdir;
  std::optional<bool> init;
  Patch<Limits> limits;
  Patch<std::vector<std::string>> preferred;
  SeccompLayer seccomp;  // each limit set here overrides the parent's; `!reset` clears them all first
};

// What `${NAME}` may stand for in a bind source or a rootfs path.
struct Substitutions {
  std::string cwd;   // ${CWD}: the caller's working directory
  std::string home;  // ${HOME}
};

// Parses one policy file's text. `file` is how errors name it; relative host paths
// are taken relative to `dir`. Throws PolicyError with every error of the file.
PolicyLayer parse_policy(std::string_view text, const std::string& file, const std::string& dir,
                         const Substitutions& subst);

// The same without throwing: what could be read, and every error (none: it is valid).
struct ParsedLayer {
  PolicyLayer layer;
  std::vector<Diagnostic> errors;
};
ParsedLayer parse_policy_collecting(std::string_view text, const std::string& file, const std::string& dir,
                                    const Substitutions& subst);

}  // namespace hutch::policy
