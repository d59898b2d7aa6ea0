// Which mechanism enforces each limit of a run: the run's cgroup v2 where the caller's
// cgroup offers the controller, else its cgroup v1 where an administrator delegated it,
// else rlimits, else the run is refused (docs/limits.md).
// Pure: the host's facts come in, a plan goes out.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cgroup/cgroup.hpp"
#include "limits/rlimits.hpp"
#include "policy/schema.hpp"

namespace hutch::limits {

// One limit in force, for the result: {"memory", 268435456, "", "cgroup-v2"}.
struct Applied {
  std::string key;                     // the policy key
  std::optional<std::uint64_t> value;  // bytes, milliseconds, a count, thousandths of a CPU
  std::string text;                    // instead, for cpuset: "0-1"
  std::string backend;                 // "cgroup-v2", "cgroup-v1", "rlimit", "supervisor"
};

// A limit the policy marked preferred that this machine cannot enforce: the run goes on
// without it, warns, and the result says so.
struct Missing {
  std::string key;     // "limits.cpus"
  std::string reason;  // "it needs the cpu controller of a delegated cgroup"
};

struct LimitsPlan {
  policy::Limits requested;
  std::vector<Rlimit> rlimits;             // set by the payload
  std::optional<cgroup::Settings> cgroup;  // the run's cgroups, when the host has a delegation
  cgroup::Delegation delegation;           // where they go
  bool cpu_time_by_cgroup = false;         // the supervisor samples cpu.stat (v2) or cpuacct.usage (v1)
  // memory by RLIMIT_AS, with an init: the supervisor watches mmap, mremap and brk
  // through the seccomp listener, for the memory-limit verdict (limits/address_space.hpp)
  bool watch_address_space = false;
  std::vector<Applied> applied;
  std::vector<Missing> missing;
};

struct HostLimits {
  cgroup::Delegation delegation;
  bool swap_active = false;  // /proc/swaps lists a swap area (read only for a memory cgroup without swap accounting)
};

// Throws Error("limits.cpus: ...") for a limit no mechanism of this host can enforce,
// unless `preferred` names it ("limits.cpus"): then it is left out and listed in missing.
LimitsPlan plan_limits(const policy::Limits& limits, const HostLimits& host, bool with_init,
                       const std::vector<std::string>& preferred = {});

}  // namespace hutch::limits
