// Finding what the host delegates to this user: the v1 subtrees cgroups.conf names, and
// the caller's own cgroup v2. Reads /proc and /sys; creates nothing.
#include <sys/stat.h>
#include <unistd.h>

#include <sstream>

#include <fmt/format.h>

#include "cgroup/cgroup.hpp"
#include "cgroup/parse.hpp"
#include "util/error.hpp"
#include "util/sys.hpp"

namespace hutch::cgroup {
namespace {

constexpr Controller kV1Controllers[] = {Controller::Memory, Controller::Pids, Controller::Cpu, Controller::Cpuacct,
                                         Controller::Cpuset};

bool is_writable(const std::string& path) { return ::access(path.c_str(), W_OK) == 0; }

// A file the kernel may refuse to show (a cgroup removed meanwhile): "" then.
std::string read_or_empty(const std::string& path) {
  try {
    return sys::read_file(path);
  } catch (const Error&) {
    return "";
  }
}

void find_v1(Delegation& d, const std::vector<mount::MountInfo>& mounts, const Config& config) {
  for (Controller c : kV1Controllers) {
    for (const mount::MountInfo& m : mounts) {
      if (m.fstype != "cgroup") continue;
      // Super options "rw,cpu,cpuacct": the controllers of this hierarchy.
      bool has = false;
      std::istringstream opts(m.super_options);
      for (std::string o; std::getline(opts, o, ',');) has |= o == controller_name(c);
      if (!has) continue;
      // The hierarchy's root as mounted here ("/" on a host; a subtree in a container).
      if (m.root != "/") continue;
      const std::string dir = m.mount_point + "/" + *config.v1_path;
      struct stat st {};
      if (::stat(dir.c_str(), &st) != 0) {
        throw Error(fmt::format("{}: v1: {} does not exist (hutch doctor prints how to delegate it)", config.file, dir),
                    errno);
      }
      if (!S_ISDIR(st.st_mode) || !is_writable(dir) || !is_writable(dir + "/cgroup.procs")) {
        throw Error(fmt::format("{}: v1: {} is not writable by this user (hutch doctor prints how to delegate it)",
                                config.file, dir),
                    EACCES);
      }
      d.v1_dirs[c] = dir;
      if (c == Controller::Memory) d.memsw = ::access((dir + "/memory.memsw.limit_in_bytes").c_str(), F_OK) == 0;
      break;
    }
  }
}

std::optional<V2Delegation> find_v2(const std::vector<mount::MountInfo>& mounts, std::string& note) {
  const std::optional<std::string> path = parse_v2_path(read_or_empty("/proc/self/cgroup"));
  if (!path) {
    note = "this process is in no cgroup v2 (no 0:: line in /proc/self/cgroup)";
    return std::nullopt;
  }
  const std::optional<std::string> dir = resolve_v2_dir(mounts, *path);
  if (!dir) {
    note = fmt::format("no cgroup2 mount here shows this process's cgroup {}", *path);
    return std::nullopt;
  }
  V2Facts f;
  f.dir = *dir;
  f.dir_writable = is_writable(f.dir);
  f.procs_writable = is_writable(f.dir + "/cgroup.procs");
  f.subtree_control_writable = is_writable(f.dir + "/cgroup.subtree_control");
  f.controllers = read_or_empty(f.dir + "/cgroup.controllers");
  f.procs = read_or_empty(f.dir + "/cgroup.procs");
  f.self = ::getpid();
  f.swap_max = ::access((f.dir + "/memory.swap.max").c_str(), F_OK) == 0;
  return resolve_v2_delegation(f, note);
}

}  // namespace

const char* controller_name(Controller c) {
  switch (c) {
    case Controller::Memory:
      return "memory";
    case Controller::Pids:
      return "pids";
    case Controller::Cpu:
      return "cpu";
    case Controller::Cpuacct:
      return "cpuacct";
    case Controller::Cpuset:
      return "cpuset";
  }
  return "?";
}

const char* backend_name(Backend b) {
  switch (b) {
    case Backend::V1:
      return "cgroup-v1";
    case Backend::V2:
      return "cgroup-v2";
    case Backend::None:
      return "";
  }
  return "";
}

Backend Delegation::backend(Controller c) const {
  // CPU time: every v2 cgroup counts it in cpu.stat, without the cpu controller.
  if (v2 && (c == Controller::Cpuacct || v2->usable().count(c) != 0)) return Backend::V2;
  if (v1_dirs.count(c) != 0) return Backend::V1;
  return Backend::None;
}

bool Delegation::can_limit_swap() const {
  switch (backend(Controller::Memory)) {
    case Backend::V2:
      return v2->swap;
    case Backend::V1:
      return memsw;
    case Backend::None:
      return false;
  }
  return false;
}

Delegation find_delegation(const Config& config) {
  Delegation d;
  d.config_file = config.file;
  const std::vector<mount::MountInfo> mounts = mount::parse_mountinfo(sys::read_file("/proc/self/mountinfo"));
  if (config.v1_path) find_v1(d, mounts, config);
  if (config.v2) {
    d.v2 = find_v2(mounts, d.v2_note);
  } else {
    d.v2_note = fmt::format("turned off by {}:{} (v2 = off)", config.file, config.v2_line);
  }
  return d;
}

}  // namespace hutch::cgroup
