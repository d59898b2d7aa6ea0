// Per-process resource limits (setrlimit(2)): the backend that works everywhere, and
// defence in depth under cgroups (docs/limits.md).
//
// What they cannot do, plainly: RLIMIT_AS counts virtual memory, not memory used (a
// program that reserves much more than it touches, like the JVM, fails under it), and
// per process; RLIMIT_NPROC counts the tasks (threads too) of one user in the sandbox's
// user namespace, so every uid inside gets its own count; RLIMIT_CPU is per process
// (the supervisor enforces the sandbox's total). RLIMIT_CORE is always 0.
#pragma once

#include <sys/resource.h>

#include <string>
#include <vector>

#include "policy/schema.hpp"

namespace hutch::limits {

struct Rlimit {
  int resource = 0;   // RLIMIT_*
  rlim_t soft = 0;
  rlim_t hard = 0;
  std::string key;    // the policy key it comes from, for messages: "limits.memory"
};

// What the payload sets for `limits`. with_init: the sandbox's init counts as one
// process of the same user. extra: the grace period a time limit gets (--extra-time).
std::vector<Rlimit> plan_rlimits(const policy::Limits& limits, bool with_init, std::chrono::milliseconds extra);

// runs in: payload, before execve. Only lowers limits; a value above the caller's hard
// limit is an error naming the key (hutch never runs with less than the policy says).
void apply_rlimits(const std::vector<Rlimit>& rlimits);

const char* rlimit_name(int resource);  // "RLIMIT_AS"

}  // namespace hutch::limits
