#include "limits/limits.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "util/error.hpp"

namespace hutch::limits {
namespace {

// A limit this host cannot enforce: the run stops here, unless the policy prefers it.
class Refusals {
 public:
  Refusals(const std::vector<std::string>& preferred, std::vector<Missing>& missing)
      : preferred_(preferred), missing_(missing) {}
  // false: go on without the limit (listed in missing); throws when it is required.
  bool cannot(const char* key, const std::string& why) {
    const std::string name = fmt::format("limits.{}", key);
    if (std::find(preferred_.begin(), preferred_.end(), name) != preferred_.end()) {
      missing_.push_back({name, why});
      return false;
    }
    throw Error(fmt::format("{}: {}; hutch will not run without it (remove it, mark it `preferred: [{}]` to run "
                            "without it where it cannot be had, or clear inherited limits with `limits: !reset`; "
                            "`hutch doctor` says what this machine offers)",
                            name, why, name));
  }

 private:
  const std::vector<std::string>& preferred_;
  std::vector<Missing>& missing_;
};

}  // namespace

LimitsPlan plan_limits(const policy::Limits& l, const HostLimits& host, bool with_init,
                       const std::vector<std::string>& preferred) {
  using cgroup::Controller;
  const cgroup::Delegation& d = host.delegation;
  LimitsPlan plan;
  Refusals refuse(preferred, plan.missing);
  plan.requested = l;
  // Every run of a delegating host gets its cgroups, for exact statistics too.
  if (d.any()) plan.cgroup = cgroup::Settings{};
  plan.delegation = d;
  const auto applied = [&](const char* key, std::uint64_t value, const char* backend) {
    plan.applied.push_back({key, value, "", backend});
  };
  // The backend of the cgroup that does it: "cgroup-v2", "cgroup-v1".
  const auto by = [&](Controller c) { return cgroup::backend_name(d.backend(c)); };
  if (l.output) applied("output", *l.output, "supervisor");

  policy::Limits for_rlimits = l;
  if (l.memory && d.has(Controller::Memory)) {
    plan.cgroup->memory = *l.memory;
    bool swap_limited = true;
    if (d.can_limit_swap()) {
      plan.cgroup->swap = l.swap.value_or(0);
    } else if (l.swap || host.swap_active) {
      // Without swap accounting the memory limit holds for memory; swap goes unlimited.
      swap_limited = refuse.cannot("swap", fmt::format("this machine has swap but no swap accounting (v1 memory.memsw, "
                                                       "v2 memory.swap.max), so swap cannot be limited{} (boot with "
                                                       "swapaccount=1)",
                                                       l.swap ? "" : " (0 unless given)"));
    }
    for_rlimits.memory.reset();  // RLIMIT_AS would count reserved address space: the cgroup counts memory
    applied("memory", *l.memory, by(Controller::Memory));
    if (swap_limited) applied("swap", l.swap.value_or(0), by(Controller::Memory));
  } else if (l.memory) {
    if (l.swap) refuse.cannot("swap", "it needs the memory controller of a delegated cgroup");
    applied("memory", *l.memory, "rlimit");
    plan.watch_address_space = with_init;  // the listener needs init (`init: false` kills by the kernel)
  } else if (l.swap) {
    refuse.cannot("swap", "it limits swap on top of limits.memory, which is not set");
  }
  if (l.processes) {
    // The cgroup counts the sandbox's init as well: one more, as for RLIMIT_NPROC.
    const std::uint64_t n = *l.processes + (with_init ? 1 : 0);
    if (d.has(Controller::Pids)) {
      plan.cgroup->pids_max = n;
      applied("processes", *l.processes, by(Controller::Pids));
    } else {
      applied("processes", *l.processes, "rlimit");
    }
  }
  if (l.cpu_time) {
    // CPU-time accounting: every cgroup v2 has it (cpu.stat), v1 with cpuacct.
    plan.cpu_time_by_cgroup = d.has(Controller::Cpuacct);
    applied("cpu_time", static_cast<std::uint64_t>(l.cpu_time->count()),
            plan.cpu_time_by_cgroup ? by(Controller::Cpuacct) : "rlimit");
  }
  if (l.wall_time) applied("wall_time", static_cast<std::uint64_t>(l.wall_time->count()), "supervisor");
  if (l.cpus_millis) {
    if (d.has(Controller::Cpu)) {
      plan.cgroup->cpus_millis = *l.cpus_millis;
      applied("cpus", *l.cpus_millis, by(Controller::Cpu));
    } else {
      refuse.cannot("cpus", "it needs the cpu controller of a delegated cgroup");
    }
  }
  if (l.cpuset) {
    if (d.has(Controller::Cpuset)) {
      plan.cgroup->cpuset = *l.cpuset;
      plan.applied.push_back({"cpuset", std::nullopt, *l.cpuset, by(Controller::Cpuset)});
    } else {
      refuse.cannot("cpuset", "it needs the cpuset controller of a delegated cgroup");
    }
  }
  if (l.file_size) applied("file_size", *l.file_size, "rlimit");
  if (l.open_files) applied("open_files", *l.open_files, "rlimit");
  if (l.stack) applied("stack", *l.stack, "rlimit");
  if (l.extra_time) applied("extra_time", static_cast<std::uint64_t>(l.extra_time->count()), "supervisor");
  plan.rlimits = plan_rlimits(for_rlimits, with_init, l.extra_time.value_or(std::chrono::milliseconds(0)));
  return plan;
}

}  // namespace hutch::limits
