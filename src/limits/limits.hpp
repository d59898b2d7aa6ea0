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

struct LimitsPlan {
  policy::Limits requested;
  std::vector<Rlimit> rlimits;             // set by the payload
  std::optional<cgroup::Settings> cgroup;  // the run's cgroups, when the host has a delegation
  cgroup::Delegation delegation;           // where they go
  bool cpu_time_by_cgroup = false;         // the supervisor samples cpu.stat (v2) or cpuacct.usage (v1)
  std::vector<Applied> applied;
};

struct HostLimits {
  cgroup::Delegation delegation;
  bool swap_active = false;  // /proc/swaps lists a swap area (read only for a memory cgroup without swap accounting)
};

// Throws Error("limits.cpus: ...") for a limit no mechanism of this host can enforce.
LimitsPlan plan_limits(const policy::Limits& limits, const HostLimits& host, bool with_init);

}  // namespace hutch::limits
