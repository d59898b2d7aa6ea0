// `hutch doctor`: what this machine offers a rootless sandbox, each item with what
// fixes it when it is missing (docs/doctor.md). Reads /proc and /sys, and tries the
// one thing that cannot be read: creating a user namespace, in a throw-away child.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace hutch::doctor {

struct Finding {
  enum class State { Ok, Missing, Info };
  State state = State::Info;
  std::string name;    // "user namespaces"
  std::string detail;  // what was found
  std::string fix;     // the command or file that fixes it; "" when nothing to do
  bool blocks_runs = false;  // missing, and no run can start (`hutch doctor` exits 1)
};

std::vector<Finding> examine(const std::string& user, uid_t uid);

// The commands an administrator runs, as root, to delegate cgroup v1 subtrees to `user`
// (docs/limits.md shows the same).
std::string v1_delegation_commands(const std::string& user);

}  // namespace hutch::doctor
