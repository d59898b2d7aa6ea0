// What the kernel's cgroup files say, parsed, and what that means for hutch (cgroups(7),
// Documentation/admin-guide/cgroup-v2.rst). Pure: the files are read elsewhere
// (cgroup/detect.cpp, cgroup/v2.cpp), so a pure cgroup v2 host can be described in a
// unit test on any machine.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "cgroup/cgroup.hpp"
#include "mount/mountinfo.hpp"

namespace hutch::cgroup {

// The cgroup v2 path of /proc/PID/cgroup's "0::/user.slice/..." line; nullopt without
// one (no cgroup2 hierarchy, or none this process is in).
std::optional<std::string> parse_v2_path(std::string_view proc_pid_cgroup);

// Where cgroup v2 `path` is in this mount namespace: below the cgroup2 mount whose root
// holds it ("/sys/fs/cgroup" on a pure v2 host, "/sys/fs/cgroup/unified" on a hybrid
// one). nullopt when no mount shows it (e.g. "/../x": outside this cgroup namespace).
std::optional<std::string> resolve_v2_dir(const std::vector<mount::MountInfo>& mounts, std::string_view path);

// cgroup.controllers or cgroup.subtree_control ("cpuset cpu io memory pids"): the
// controllers hutch uses; the others (io, hugetlb, rdma, misc) are left out.
std::set<Controller> parse_controllers(std::string_view text);
// " +memory +pids" for cgroup.subtree_control (with '-': to disable).
std::string controller_list(const std::set<Controller>& controllers, char sign);

// cgroup.procs: one pid a line.
std::vector<pid_t> parse_pids(std::string_view text);

// A flat keyed file (cpu.stat "usage_usec 1234", memory.events "oom_kill 1"): the value
// of `key`; nullopt when it is missing or not a number.
std::optional<std::uint64_t> parse_keyed(std::string_view text, std::string_view key);

// What detection reads about the caller's cgroup v2 directory.
struct V2Facts {
  std::string dir;
  bool dir_writable = false;
  bool procs_writable = false;            // cgroup.procs
  bool subtree_control_writable = false;  // cgroup.subtree_control
  std::string controllers;                // cgroup.controllers
  std::string procs;                      // cgroup.procs
  pid_t self = 0;                         // hutch's pid
  bool swap_max = false;                  // memory.swap.max exists
};

// The delegation these facts make, or nullopt when the directory is not this user's;
// `note` says what is missing (why none, or what a delegated one cannot give): "" when
// nothing is.
std::optional<V2Delegation> resolve_v2_delegation(const V2Facts& facts, std::string& note);

}  // namespace hutch::cgroup
