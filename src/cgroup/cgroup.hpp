// A run's own cgroups: created before the sandbox, limits written, the sandbox's init
// in them before its command starts, statistics read, removed afterwards
// (docs/limits.md). Two backends behind this one interface, chosen per controller:
// - cgroup v2, where the caller's own cgroup is delegated to it (systemd's
//   `Delegate=yes`): a fresh leaf DIR/hutch-PID/run, the sandbox cloned straight into it
//   (clone3 CLONE_INTO_CGROUP); CPU time from its cpu.stat, which needs no controller;
// - cgroup v1, in subtrees an administrator delegated (cgroup/config.hpp): a cgroup
//   hutch-run-PID below each, the sandbox's init moved into them after clone3.
// A controller delegated on v2 is used there, else on v1 (a controller is bound to one
// hierarchy at a time, so on a real host the two never offer the same one).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "cgroup/config.hpp"
#include "util/fd.hpp"

namespace hutch::cgroup {

// Cpuacct stands for CPU-time accounting: the v1 controller of that name; on v2 every
// cgroup has it (cpu.stat), with or without the cpu controller.
enum class Controller { Memory, Pids, Cpu, Cpuacct, Cpuset };
const char* controller_name(Controller c);  // "memory"

enum class Backend { None, V1, V2 };
const char* backend_name(Backend b);  // "cgroup-v1", "cgroup-v2"; "" for None

// The caller's own cgroup v2, found writable by this user (cgroup/detect.cpp).
struct V2Delegation {
  std::string dir;                  // e.g. /sys/fs/cgroup/user.slice/.../run-r1.scope
  std::set<Controller> offered;     // its cgroup.controllers, of those hutch uses
  std::size_t other_processes = 0;  // in it besides hutch itself
  bool swap = false;                // memory.swap.max exists: swap is accounted

  // cgroup v2 enables a controller for children only in a cgroup without processes
  // ("no internal processes"): hutch alone in `dir` moves itself below it and may
  // enable every offered controller; with other processes there, none.
  bool alone() const { return other_processes == 0; }
  std::set<Controller> usable() const { return alone() ? offered : std::set<Controller>{}; }
};

// What the host offers this user, found before anything is created.
struct Delegation {
  std::string config_file;                    // where it was declared ("" none)
  std::map<Controller, std::string> v1_dirs;  // the user's delegated v1 directory per controller
  bool memsw = false;                         // v1 memory.memsw.* exists (swap accounting)
  std::optional<V2Delegation> v2;             // the caller's cgroup v2, when delegated
  // What keeps cgroup v2 from giving hutch more, in a sentence (for -v and doctor):
  // "" when nothing does.
  std::string v2_note;

  // Where the run's cgroup for `c` goes: v2 when usable there, else v1, else None.
  Backend backend(Controller c) const;
  bool has(Controller c) const { return backend(c) != Backend::None; }
  // Swap can be limited (or kept at 0) where memory is.
  bool can_limit_swap() const;
  // A run gets cgroups at all (for statistics too).
  bool any() const { return v2.has_value() || !v1_dirs.empty(); }
};

// v1: reads /proc/self/mountinfo for the v1 hierarchies and keeps the controllers whose
// delegated directory (config.v1_path below the hierarchy) exists and is writable; a
// configured directory that is missing or not the user's is an error naming it.
// v2 (unless config says `v2 = off`): the caller's own cgroup from /proc/self/cgroup,
// where the cgroup2 hierarchy is mounted, and whether this user may write it; never an
// error (v2_note says what is missing).
Delegation find_delegation(const Config& config);

// What a run's cgroups are given; a limit is written where its controller's backend is.
struct Settings {
  std::optional<std::uint64_t> memory;       // v2 memory.max, v1 memory.limit_in_bytes
  std::optional<std::uint64_t> swap;         // v2 memory.swap.max, v1 memsw = memory + swap
  std::optional<std::uint64_t> pids_max;     // pids.max
  std::optional<std::uint32_t> cpus_millis;  // v2 cpu.max, v1 cpu.cfs_quota_us, over a 100 ms period
  std::optional<std::string> cpuset;         // cpuset.cpus (v1: mems copied from the parent)
};

struct Stats {
  std::optional<std::chrono::nanoseconds> cpu;  // v2 cpu.stat usage_usec, v1 cpuacct.usage
  std::optional<std::uint64_t> memory_peak;     // v2 memory.peak, v1 memory.max_usage_in_bytes
  std::uint64_t oom_kills = 0;                  // v2 memory.events, v1 memory.oom_control: oom_kill
  std::uint64_t memory_failcnt = 0;             // v2 memory.events max, v1 memory.failcnt
  std::optional<std::uint64_t> pids_peak;       // pids.peak: tasks at once, init included
};

class V1Run;
class V2Run;

class RunCgroup {
 public:
  // Makes the run's cgroups (`self`: hutch's pid, in their names) and writes
  // `settings`; first removes those left by hutch processes that are gone. On v2, when
  // hutch is alone in its cgroup, it moves itself to DIR/hutch-PID/supervisor and
  // enables the controllers it uses. On failure undoes what it did and throws Error.
  RunCgroup(const Delegation& delegation, const Settings& settings, pid_t self);
  RunCgroup(const RunCgroup&) = delete;
  RunCgroup& operator=(const RunCgroup&) = delete;
  // Kills what is left in them (cgroup.kill), removes them, and on v2 moves hutch
  // back where it was. Never throws.
  ~RunCgroup();

  // The v2 leaf, opened for clone3(CLONE_INTO_CGROUP): the sandbox is in it from its
  // first instruction. Invalid without v2.
  UniqueFd open_leaf() const;
  // Moves `pid` (the sandbox's init, before its command starts) into every v1 cgroup,
  // and notes how much CPU time it had used by then when v1 counts it (never counted).
  void place(pid_t pid);
  std::chrono::nanoseconds cpu_before_placement() const { return cpu_before_placement_; }
  std::optional<std::chrono::nanoseconds> cpu_usage() const;
  Stats stats() const;
  std::vector<std::string> dirs() const;  // every directory made, for logs

 private:
  void remove() noexcept;
  std::unique_ptr<V2Run> v2_;
  std::unique_ptr<V1Run> v1_;
  bool cpu_on_v1_ = false;
  std::chrono::nanoseconds cpu_before_placement_{0};
};

}  // namespace hutch::cgroup
