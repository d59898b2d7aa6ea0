#include "cgroup/cgroup.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <fstream>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "mount/mountinfo.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/sys.hpp"

namespace hutch::cgroup {
namespace {

constexpr Controller kControllers[] = {Controller::Memory, Controller::Pids, Controller::Cpu, Controller::Cpuacct,
                                       Controller::Cpuset};

std::uint64_t read_number(const std::string& path) {
  const std::string text = sys::read_file(path);
  std::uint64_t value = 0;
  if (std::from_chars(text.data(), text.data() + text.size(), value).ec != std::errc()) {
    throw Error(fmt::format("cgroup: {} holds {:?}, not a number", path, text), EPROTO);
  }
  return value;
}

void write_knob(const std::string& dir, const char* knob, const std::string& value) {
  sys::write_file(AT_FDCWD, dir + "/" + knob, value);
}

// "oom_kill 3" in memory.oom_control (Linux 4.13+).
std::uint64_t field_of(const std::string& text, std::string_view key) {
  std::istringstream in(text);
  std::string k;
  std::uint64_t v = 0;
  while (in >> k >> v) {
    if (k == key) return v;
  }
  return 0;
}

// A hutch that was killed (SIGKILL, a power cut in a container) leaves its empty run
// cgroups behind: those of processes that are gone are removed before a new one is made.
void remove_stale_runs(const std::string& parent) {
  DIR* dir = ::opendir(parent.c_str());
  if (dir == nullptr) return;
  while (const dirent* e = ::readdir(dir)) {
    const std::string_view name = e->d_name;
    if (name.rfind("hutch-run-", 0) != 0) continue;
    pid_t pid = 0;
    const auto [end, ec] = std::from_chars(name.data() + 10, name.data() + name.size(), pid);
    if (ec != std::errc() || end != name.data() + name.size()) continue;
    if (pid == ::getpid() || ::kill(pid, 0) == 0 || errno != ESRCH) continue;
    if (::rmdir((parent + "/" + std::string(name)).c_str()) == 0) log::debug("cgroup: removed stale {}/{}", parent, name);
  }
  ::closedir(dir);
}

}  // namespace

const char* controller_name(Controller c) {
  switch (c) {
    case Controller::Memory: return "memory";
    case Controller::Pids: return "pids";
    case Controller::Cpu: return "cpu";
    case Controller::Cpuacct: return "cpuacct";
    case Controller::Cpuset: return "cpuset";
  }
  return "?";
}

Delegation find_delegation(const Config& config) {
  Delegation d;
  d.config_file = config.file;
  if (!config.v1_path) return d;
  const std::vector<mount::MountInfo> mounts = mount::parse_mountinfo(sys::read_file("/proc/self/mountinfo"));
  for (Controller c : kControllers) {
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
      if (!S_ISDIR(st.st_mode) || ::access(dir.c_str(), W_OK) != 0 ||
          ::access((dir + "/cgroup.procs").c_str(), W_OK) != 0) {
        throw Error(fmt::format("{}: v1: {} is not writable by this user (hutch doctor prints how to delegate it)",
                                config.file, dir),
                    EACCES);
      }
      d.v1_dirs[c] = dir;
      if (c == Controller::Memory) d.memsw = ::access((dir + "/memory.memsw.limit_in_bytes").c_str(), F_OK) == 0;
      break;
    }
  }
  return d;
}

RunCgroup::RunCgroup(const Delegation& delegation, const Settings& s, const std::string& name) {
  try {
    for (const auto& [c, parent] : delegation.v1_dirs) {
      remove_stale_runs(parent);
      // cpu and cpuacct may share one hierarchy (cpu,cpuacct): one directory serves both.
      const std::string dir = parent + "/" + name;
      bool shared = false;
      for (const auto& [other, made] : dirs_) shared |= made == dir;
      if (!shared && ::mkdir(dir.c_str(), 0755) != 0) throw_sys("cgroup: mkdir", dir);
      dirs_[c] = dir;
    }
    if (s.memory) {
      const std::string& dir = dirs_.at(Controller::Memory);
      write_knob(dir, "memory.limit_in_bytes", std::to_string(*s.memory));
      if (s.memory_and_swap) write_knob(dir, "memory.memsw.limit_in_bytes", std::to_string(*s.memory_and_swap));
    }
    if (s.pids_max) write_knob(dirs_.at(Controller::Pids), "pids.max", std::to_string(*s.pids_max));
    if (s.cpus_millis) {
      const std::string& dir = dirs_.at(Controller::Cpu);
      write_knob(dir, "cpu.cfs_period_us", "100000");
      write_knob(dir, "cpu.cfs_quota_us", std::to_string(std::uint64_t{*s.cpus_millis} * 100));
    }
    if (auto it = dirs_.find(Controller::Cpuset); it != dirs_.end()) {
      // A v1 cpuset takes no task until both are set; mems always come from the parent.
      const std::string parent = delegation.v1_dirs.at(Controller::Cpuset);
      std::string cpus = s.cpuset ? *s.cpuset : sys::read_file(parent + "/cpuset.cpus");
      std::string mems = sys::read_file(parent + "/cpuset.mems");
      while (!cpus.empty() && cpus.back() == '\n') cpus.pop_back();
      while (!mems.empty() && mems.back() == '\n') mems.pop_back();
      write_knob(it->second, "cpuset.cpus", cpus);
      write_knob(it->second, "cpuset.mems", mems);
    }
  } catch (...) {
    remove();
    throw;
  }
}

RunCgroup::~RunCgroup() { remove(); }

void RunCgroup::remove() noexcept {
  for (auto it = dirs_.rbegin(); it != dirs_.rend(); ++it) {
    // The sandbox's last processes may still be on their way out: a few short retries.
    for (int attempt = 0; attempt < 50; ++attempt) {
      if (::rmdir(it->second.c_str()) == 0 || errno == ENOENT) break;
      if (errno != EBUSY) {
        log::warn("cgroup: cannot remove {}: {}", it->second, describe_errno(errno));
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }
  dirs_.clear();
}

void RunCgroup::place(pid_t pid) {
  for (const auto& [c, dir] : dirs_) write_knob(dir, "cgroup.procs", std::to_string(pid));
  // Read after the move: a little CPU time of after it may be in the figure, so what
  // is taken off the cgroup's total later is never more than the cgroup counted.
  std::ifstream schedstat("/proc/" + std::to_string(pid) + "/schedstat");
  std::uint64_t ns = 0;
  if (schedstat >> ns) cpu_before_placement_ = std::chrono::nanoseconds(ns);
}

std::optional<std::chrono::nanoseconds> RunCgroup::cpu_usage() const {
  const auto it = dirs_.find(Controller::Cpuacct);
  if (it == dirs_.end()) return std::nullopt;
  return std::chrono::nanoseconds(read_number(it->second + "/cpuacct.usage"));
}

Stats RunCgroup::stats() const {
  Stats st;
  st.cpu = cpu_usage();
  if (auto it = dirs_.find(Controller::Memory); it != dirs_.end()) {
    st.memory_peak = read_number(it->second + "/memory.max_usage_in_bytes");
    st.oom_kills = field_of(sys::read_file(it->second + "/memory.oom_control"), "oom_kill");
    st.memory_failcnt = read_number(it->second + "/memory.failcnt");
  }
  return st;
}

}  // namespace hutch::cgroup
