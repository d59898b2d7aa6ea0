#include "limits/limits.hpp"

#include <fmt/format.h>

#include "util/error.hpp"

namespace hutch::limits {
namespace {

[[noreturn]] void cannot(const char* key, const std::string& why) {
  throw Error(fmt::format("limits.{}: {}; hutch will not run without it (remove it, or clear inherited limits with "
                          "`limits: !reset`; `hutch doctor` says what this machine offers)",
                          key, why));
}

}  // namespace

LimitsPlan plan_limits(const policy::Limits& l, const HostLimits& host, bool with_init) {
  using cgroup::Controller;
  const cgroup::Delegation& d = host.delegation;
  LimitsPlan plan;
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
    if (d.can_limit_swap()) {
      plan.cgroup->swap = l.swap.value_or(0);
    } else if (l.swap || host.swap_active) {
      cannot(l.swap ? "swap" : "memory", "this machine has swap but no swap accounting (v1 memory.memsw, v2 "
                                         "memory.swap.max), so swap cannot be limited (boot with swapaccount=1)");
    }
    for_rlimits.memory.reset();  // RLIMIT_AS would count reserved address space: the cgroup counts memory
    applied("memory", *l.memory, by(Controller::Memory));
    applied("swap", l.swap.value_or(0), by(Controller::Memory));
  } else if (l.memory) {
    if (l.swap) cannot("swap", "it needs the memory controller of a delegated cgroup");
    applied("memory", *l.memory, "rlimit");
  } else if (l.swap) {
    cannot("swap", "it limits swap on top of limits.memory, which is not set");
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
    if (!d.has(Controller::Cpu)) cannot("cpus", "it needs the cpu controller of a delegated cgroup");
    plan.cgroup->cpus_millis = *l.cpus_millis;
    applied("cpus", *l.cpus_millis, by(Controller::Cpu));
  }
  if (l.cpuset) {
    if (!d.has(Controller::Cpuset)) cannot("cpuset", "it needs the cpuset controller of a delegated cgroup");
    plan.cgroup->cpuset = *l.cpuset;
    plan.applied.push_back({"cpuset", std::nullopt, *l.cpuset, by(Controller::Cpuset)});
  }
  if (l.file_size) applied("file_size", *l.file_size, "rlimit");
  if (l.open_files) applied("open_files", *l.open_files, "rlimit");
  if (l.stack) applied("stack", *l.stack, "rlimit");
  if (l.extra_time) applied("extra_time", static_cast<std::uint64_t>(l.extra_time->count()), "supervisor");
  plan.rlimits = plan_rlimits(for_rlimits, with_init, l.extra_time.value_or(std::chrono::milliseconds(0)));
  return plan;
}

}  // namespace hutch::limits
