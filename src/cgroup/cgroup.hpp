// A run's own cgroups: created before the sandbox, the sandbox's init placed in them
// before its command starts, limits written, statistics read, removed afterwards
// (docs/limits.md). This version drives cgroup v1 subtrees an administrator delegated
// (cgroup/config.hpp); cgroup v2 comes behind the same interface.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cgroup/config.hpp"

namespace hutch::cgroup {

enum class Controller { Memory, Pids, Cpu, Cpuacct, Cpuset };
const char* controller_name(Controller c);  // "memory"

// What the host offers this user, found before anything is created.
struct Delegation {
  std::string config_file;                    // where it was declared ("" none)
  std::map<Controller, std::string> v1_dirs;  // the user's delegated directory per controller
  bool memsw = false;                         // memory.memsw.* exists (swap accounting)
  bool has(Controller c) const { return v1_dirs.count(c) != 0; }
};

// Reads /proc/self/mountinfo for the v1 hierarchies and keeps the controllers whose
// delegated directory (config.v1_path below the hierarchy) exists and is writable.
// A configured directory that is missing or not the user's is an error naming it.
Delegation find_delegation(const Config& config);

struct Settings {
  std::optional<std::uint64_t> memory;           // memory.limit_in_bytes
  std::optional<std::uint64_t> memory_and_swap;  // memory.memsw.limit_in_bytes
  std::optional<std::uint64_t> pids_max;         // pids.max
  std::optional<std::uint32_t> cpus_millis;      // cpu.cfs_quota_us over a 100 ms period
  std::optional<std::string> cpuset;             // cpuset.cpus (mems copied from the parent)
};

struct Stats {
  std::optional<std::chrono::nanoseconds> cpu;  // cpuacct.usage
  std::optional<std::uint64_t> memory_peak;     // memory.max_usage_in_bytes
  std::uint64_t oom_kills = 0;                  // memory.oom_control: oom_kill
  std::uint64_t memory_failcnt = 0;             // memory.failcnt
};

class RunCgroup {
 public:
  // Creates `name` below every delegated directory and writes `settings`. On failure
  // removes what it created and throws Error naming the file.
  RunCgroup(const Delegation& delegation, const Settings& settings, const std::string& name);
  RunCgroup(const RunCgroup&) = delete;
  RunCgroup& operator=(const RunCgroup&) = delete;
  ~RunCgroup();  // removes the directories (the sandbox must be gone)

  // Moves `pid` (the sandbox's init, before its command starts) into every one, and
  // notes how much CPU time it had used by then (never counted by the cgroup).
  void place(pid_t pid);
  std::chrono::nanoseconds cpu_before_placement() const { return cpu_before_placement_; }
  std::optional<std::chrono::nanoseconds> cpu_usage() const;
  Stats stats() const;
  const std::map<Controller, std::string>& dirs() const { return dirs_; }

 private:
  void remove() noexcept;
  std::map<Controller, std::string> dirs_;
  std::chrono::nanoseconds cpu_before_placement_{0};
};

}  // namespace hutch::cgroup
