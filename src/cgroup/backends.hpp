// The two backends RunCgroup (cgroup/cgroup.cpp) is made of, and what they share.
// Private to cgroup/.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "cgroup/cgroup.hpp"
#include "util/fd.hpp"

namespace hutch::cgroup {

// A cgroup file holding one number; throws Error naming it.
std::uint64_t read_number(const std::string& path);
// The same, nullopt when the kernel has no such file (older than the feature).
std::optional<std::uint64_t> read_number_if_present(const std::string& path);
void write_knob(const std::string& dir, const char* knob, const std::string& value);
// rmdir(2), retried a little while the cgroup's last processes are on their way out;
// false (and a warning) when it stays.
bool remove_dir(const std::string& dir) noexcept;
// `name` is PREFIX<pid> of a process that is gone (not hutch itself): a run of a hutch
// that was killed before it could clean up.
bool is_stale(std::string_view name, std::string_view prefix, pid_t self);

// cgroup v1: hutch-run-PID below each delegated directory; init placed after clone3.
class V1Run {
 public:
  V1Run(const std::map<Controller, std::string>& parents, const Settings& settings, const std::string& name);
  V1Run(const V1Run&) = delete;
  V1Run& operator=(const V1Run&) = delete;
  ~V1Run();
  void place(pid_t pid);
  std::optional<std::chrono::nanoseconds> cpu_usage() const;  // cpuacct.usage
  void add_stats(Stats& stats) const;
  std::vector<std::string> dirs() const;

 private:
  void remove() noexcept;
  std::map<Controller, std::string> dirs_;
};

// cgroup v2: the leaf DIR/hutch-PID/run the sandbox is cloned into. When hutch is alone
// in DIR, it moves itself to DIR/hutch-PID/supervisor and enables `enable` in DIR and
// DIR/hutch-PID; undone in reverse when destroyed.
class V2Run {
 public:
  V2Run(const V2Delegation& delegation, const Settings& settings, const std::set<Controller>& enable, pid_t self);
  V2Run(const V2Run&) = delete;
  V2Run& operator=(const V2Run&) = delete;
  ~V2Run();
  UniqueFd open_leaf() const;
  std::optional<std::chrono::nanoseconds> cpu_usage() const;  // cpu.stat usage_usec
  void add_stats(Stats& stats) const;
  std::vector<std::string> dirs() const;

 private:
  void take_over(const std::set<Controller>& enable);
  void write_settings(const Settings& s);
  void move_back() noexcept;
  void remove() noexcept;
  std::string parent_;      // the caller's cgroup
  std::string top_;         // parent_/hutch-PID
  std::string supervisor_;  // top_/supervisor, hutch itself, when it moved
  std::string leaf_;        // top_/run, the sandbox
  pid_t self_;
  bool top_made_ = false;
  bool leaf_made_ = false;
  bool moved_ = false;                      // hutch is in supervisor_
  std::set<Controller> enabled_;            // in top_'s subtree_control: the leaf's controllers
  std::set<Controller> enabled_in_parent_;  // of those, what hutch enabled in parent_'s
};

}  // namespace hutch::cgroup
