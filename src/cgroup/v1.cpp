// cgroup v1: a run's cgroups in the subtrees an administrator delegated (docs/limits.md).
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include "cgroup/backends.hpp"
#include "cgroup/parse.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/sys.hpp"

namespace hutch::cgroup {
namespace {

// A hutch that was killed (SIGKILL, a power cut in a container) leaves its empty run
// cgroups behind: those of processes that are gone are removed before a new one is made.
void remove_stale_runs(const std::string& parent) {
  DIR* dir = ::opendir(parent.c_str());
  if (dir == nullptr) return;
  while (const dirent* e = ::readdir(dir)) {
    if (!is_stale(e->d_name, "hutch-run-", ::getpid())) continue;
    if (::rmdir((parent + "/" + e->d_name).c_str()) == 0) log::debug("cgroup: removed stale {}/{}", parent, e->d_name);
  }
  ::closedir(dir);
}

std::string first_line(std::string text) {
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

}  // namespace

V1Run::V1Run(const std::map<Controller, std::string>& parents, const Settings& s, const std::string& name) {
  try {
    for (const auto& [c, parent] : parents) {
      remove_stale_runs(parent);
      // cpu and cpuacct may share one hierarchy (cpu,cpuacct): one directory serves both.
      const std::string dir = fmt::format("{}/{}", parent, name);
      bool shared = false;
      for (const auto& [other, made] : dirs_) shared |= made == dir;
      if (!shared && ::mkdir(dir.c_str(), 0755) != 0) throw_sys("cgroup: mkdir", dir);
      dirs_[c] = dir;
    }
    if (auto it = dirs_.find(Controller::Memory); it != dirs_.end() && s.memory) {
      write_knob(it->second, "memory.limit_in_bytes", std::to_string(*s.memory));
      // memsw limits memory and swap together: the memory limit plus the swap allowed.
      if (s.swap) write_knob(it->second, "memory.memsw.limit_in_bytes", std::to_string(*s.memory + *s.swap));
    }
    if (auto it = dirs_.find(Controller::Pids); it != dirs_.end() && s.pids_max) {
      write_knob(it->second, "pids.max", std::to_string(*s.pids_max));
    }
    if (auto it = dirs_.find(Controller::Cpu); it != dirs_.end() && s.cpus_millis) {
      write_knob(it->second, "cpu.cfs_period_us", "100000");
      write_knob(it->second, "cpu.cfs_quota_us", std::to_string(std::uint64_t{*s.cpus_millis} * 100));
    }
    if (auto it = dirs_.find(Controller::Cpuset); it != dirs_.end()) {
      // A v1 cpuset takes no task until both are set; mems always come from the parent.
      const std::string& parent = parents.at(Controller::Cpuset);
      write_knob(it->second, "cpuset.cpus", s.cpuset ? *s.cpuset : first_line(sys::read_file(parent + "/cpuset.cpus")));
      write_knob(it->second, "cpuset.mems", first_line(sys::read_file(parent + "/cpuset.mems")));
    }
  } catch (...) {
    remove();
    throw;
  }
}

V1Run::~V1Run() { remove(); }

void V1Run::remove() noexcept {
  for (auto it = dirs_.rbegin(); it != dirs_.rend(); ++it) remove_dir(it->second);
  dirs_.clear();
}

void V1Run::place(pid_t pid) {
  for (const auto& [c, dir] : dirs_) write_knob(dir, "cgroup.procs", std::to_string(pid));
}

std::optional<std::chrono::nanoseconds> V1Run::cpu_usage() const {
  const auto it = dirs_.find(Controller::Cpuacct);
  if (it == dirs_.end()) return std::nullopt;
  return std::chrono::nanoseconds(read_number(it->second + "/cpuacct.usage"));
}

void V1Run::add_stats(Stats& st) const {
  if (auto it = dirs_.find(Controller::Memory); it != dirs_.end()) {
    st.memory_peak = read_number(it->second + "/memory.max_usage_in_bytes");
    // "oom_kill 3" in memory.oom_control (Linux 4.13+).
    st.oom_kills = parse_keyed(sys::read_file(it->second + "/memory.oom_control"), "oom_kill").value_or(0);
    st.memory_failcnt = read_number(it->second + "/memory.failcnt");
  }
  if (auto it = dirs_.find(Controller::Pids); it != dirs_.end()) {
    st.pids_peak = read_number_if_present(it->second + "/pids.peak");
  }
}

std::vector<std::string> V1Run::dirs() const {
  std::vector<std::string> out;
  for (const auto& [c, dir] : dirs_) {
    if (out.empty() || out.back() != dir) out.push_back(dir);
  }
  return out;
}

}  // namespace hutch::cgroup
