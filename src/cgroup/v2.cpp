// cgroup v2: a run's leaf below the caller's own delegated cgroup (docs/limits.md).
//
//   DIR                   the caller's cgroup; hutch enables controllers here only
//   └─ hutch-PID/         when it is alone in DIR and has moved itself out of it
//      ├─ supervisor/     hutch itself, then (only when alone in DIR)
//      └─ run/            the sandbox, from clone3(CLONE_INTO_CGROUP) on
//
// cgroup v2 lets a cgroup enable controllers for its children only while no process is
// in it (Documentation/admin-guide/cgroup-v2.rst, "No Internal Process Constraint"),
// and a process may move between two cgroups only with write access to their common
// ancestor's cgroup.procs ("Delegation Containment"): DIR's is delegated to the user.
#include <dirent.h>
#include <fcntl.h>
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

// Kills every process of the cgroup `dir` and below (cgroup.kill, Linux 5.14+; the
// sandbox's pid namespace is normally gone already), then removes it, children first.
void remove_tree(const std::string& dir) noexcept {
  if (::access((dir + "/cgroup.kill").c_str(), F_OK) == 0) {
    try {
      write_knob(dir, "cgroup.kill", "1");
    } catch (const Error& e) {
      log::warn("cgroup: {}", e.what());
    }
  }
  if (DIR* d = ::opendir(dir.c_str()); d != nullptr) {
    std::vector<std::string> children;
    while (const dirent* e = ::readdir(d)) {
      const std::string_view name = e->d_name;
      if (e->d_type == DT_DIR && name != "." && name != "..") children.push_back(dir + "/" + e->d_name);
    }
    ::closedir(d);
    for (const std::string& child : children) remove_tree(child);
  }
  remove_dir(dir);
}

// A hutch that was killed (SIGKILL, a power cut in a container) leaves its hutch-PID
// behind: those of processes that are gone are removed before a new one is made.
void remove_stale_runs(const std::string& parent, pid_t self) {
  DIR* dir = ::opendir(parent.c_str());
  if (dir == nullptr) return;
  std::vector<std::string> stale;
  while (const dirent* e = ::readdir(dir)) {
    if (e->d_type == DT_DIR && is_stale(e->d_name, "hutch-", self)) stale.push_back(parent + "/" + e->d_name);
  }
  ::closedir(dir);
  for (const std::string& path : stale) {
    remove_tree(path);
    log::debug("cgroup: removed stale {}", path);
  }
}

void make_dir(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0755) != 0) throw_sys("cgroup: mkdir", dir);
}

}  // namespace

V2Run::V2Run(const V2Delegation& d, const Settings& s, const std::set<Controller>& enable, pid_t self)
    : parent_(d.dir), top_(fmt::format("{}/hutch-{}", d.dir, self)), leaf_(top_ + "/run"), self_(self) {
  try {
    remove_stale_runs(parent_, self);
    make_dir(top_);
    top_made_ = true;
    if (d.alone()) take_over(enable);
    make_dir(leaf_);
    leaf_made_ = true;
    write_settings(s);
  } catch (Error& e) {
    remove();
    e.prepend("cgroup v2");
    throw;
  } catch (...) {
    remove();
    throw;
  }
}

V2Run::~V2Run() { remove(); }

void V2Run::take_over(const std::set<Controller>& enable) {
  supervisor_ = top_ + "/supervisor";
  make_dir(supervisor_);
  // ORDER: out of the caller's cgroup first: then it has no process, and controllers
  // can be enabled in it. hutch is single-threaded here; cgroup.procs moves them all.
  write_knob(supervisor_, "cgroup.procs", std::to_string(self_));
  moved_ = true;
  log::debug("cgroup: hutch moved itself to {}", supervisor_);
  if (enable.empty()) return;
  const std::set<Controller> before = parse_controllers(sys::read_file(parent_ + "/cgroup.subtree_control"));
  std::set<Controller> missing;
  for (Controller c : enable) {
    if (before.count(c) == 0) missing.insert(c);
  }
  if (!missing.empty()) write_knob(parent_, "cgroup.subtree_control", controller_list(missing, '+'));
  enabled_in_parent_ = missing;
  write_knob(top_, "cgroup.subtree_control", controller_list(enable, '+'));
  enabled_ = enable;
  log::debug("cgroup: enabled [{}] for the run", controller_list(enable, '+'));
}

void V2Run::write_settings(const Settings& s) {
  if (enabled_.count(Controller::Memory) != 0 && s.memory) {
    write_knob(leaf_, "memory.max", std::to_string(*s.memory));
    if (s.swap) write_knob(leaf_, "memory.swap.max", std::to_string(*s.swap));
  }
  if (enabled_.count(Controller::Pids) != 0 && s.pids_max) write_knob(leaf_, "pids.max", std::to_string(*s.pids_max));
  if (enabled_.count(Controller::Cpu) != 0 && s.cpus_millis) {
    // "$MAX $PERIOD": that much CPU time in each period of 100 ms.
    write_knob(leaf_, "cpu.max", fmt::format("{} 100000", std::uint64_t{*s.cpus_millis} * 100));
  }
  if (enabled_.count(Controller::Cpuset) != 0 && s.cpuset) write_knob(leaf_, "cpuset.cpus", *s.cpuset);
}

// ORDER: a controller leaves a parent's subtree_control only once no child enables it
// in its own, and a process enters a cgroup only while none is enabled there.
void V2Run::move_back() noexcept {
  try {
    if (!enabled_.empty()) write_knob(top_, "cgroup.subtree_control", controller_list(enabled_, '-'));
    if (!enabled_in_parent_.empty()) {
      write_knob(parent_, "cgroup.subtree_control", controller_list(enabled_in_parent_, '-'));
      enabled_in_parent_.clear();
    }
    write_knob(parent_, "cgroup.procs", std::to_string(self_));
    moved_ = false;
  } catch (const Error& e) {
    log::warn("cgroup: hutch cannot move itself back to {} ({}); {} stays until hutch is gone", parent_, e.what(),
              supervisor_);
  }
}

void V2Run::remove() noexcept {
  if (leaf_made_) remove_tree(leaf_);
  leaf_made_ = false;
  if (moved_) move_back();
  if (moved_) return;  // hutch is still in supervisor_, below top_
  if (!supervisor_.empty()) remove_dir(supervisor_);
  supervisor_.clear();
  if (top_made_) remove_dir(top_);
  top_made_ = false;
}

UniqueFd V2Run::open_leaf() const { return sys::open(leaf_, O_RDONLY | O_DIRECTORY); }

std::optional<std::chrono::nanoseconds> V2Run::cpu_usage() const {
  // Every v2 cgroup has cpu.stat's usage_usec, the cpu controller enabled or not.
  const std::optional<std::uint64_t> usec = parse_keyed(sys::read_file(leaf_ + "/cpu.stat"), "usage_usec");
  if (!usec) return std::nullopt;
  return std::chrono::microseconds(*usec);
}

void V2Run::add_stats(Stats& st) const {
  if (enabled_.count(Controller::Memory) != 0) {
    st.memory_peak = read_number_if_present(leaf_ + "/memory.peak");  // Linux 5.19+
    const std::string events = sys::read_file(leaf_ + "/memory.events");
    st.oom_kills = parse_keyed(events, "oom_kill").value_or(0);
    st.memory_failcnt = parse_keyed(events, "max").value_or(0);
  }
  if (enabled_.count(Controller::Pids) != 0) st.pids_peak = read_number_if_present(leaf_ + "/pids.peak");
}

std::vector<std::string> V2Run::dirs() const {
  std::vector<std::string> out{top_};
  if (!supervisor_.empty()) out.push_back(supervisor_);
  out.push_back(leaf_);
  return out;
}

}  // namespace hutch::cgroup
