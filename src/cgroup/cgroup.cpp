#include "cgroup/cgroup.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <charconv>
#include <thread>

#include <fmt/format.h>

#include "cgroup/backends.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/sys.hpp"

namespace hutch::cgroup {

std::uint64_t read_number(const std::string& path) {
  const std::string text = sys::read_file(path);
  std::uint64_t value = 0;
  if (std::from_chars(text.data(), text.data() + text.size(), value).ec != std::errc()) {
    throw Error(fmt::format("cgroup: {} holds {:?}, not a number", path, text), EPROTO);
  }
  return value;
}

std::optional<std::uint64_t> read_number_if_present(const std::string& path) {
  if (::access(path.c_str(), F_OK) != 0) return std::nullopt;
  return read_number(path);
}

void write_knob(const std::string& dir, const char* knob, const std::string& value) {
  sys::write_file(AT_FDCWD, dir + "/" + knob, value);
}

bool remove_dir(const std::string& dir) noexcept {
  // The sandbox's last processes may still be on their way out: a few short retries.
  for (int attempt = 0; attempt < 50; ++attempt) {
    if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) return true;
    if (errno != EBUSY) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  log::warn("cgroup: cannot remove {}: {}", dir, describe_errno(errno));
  return false;
}

bool is_stale(std::string_view name, std::string_view prefix, pid_t self) {
  if (name.substr(0, prefix.size()) != prefix) return false;
  pid_t pid = 0;
  const char* first = name.data() + prefix.size();
  const char* last = name.data() + name.size();
  const auto [end, ec] = std::from_chars(first, last, pid);
  if (ec != std::errc() || end != last || first == last || pid <= 0) return false;
  return pid != self && ::kill(pid, 0) != 0 && errno == ESRCH;
}

RunCgroup::RunCgroup(const Delegation& d, const Settings& s, pid_t self) {
  // ORDER: v2 first: it may move hutch itself, which v1 does not care about; members are
  // destroyed in reverse, so a failure below removes what was made here.
  if (d.v2) {
    // memory and pids always, for the statistics; cpu and cpuset when limited.
    std::set<Controller> enable;
    for (Controller c : d.v2->usable()) {
      if (c == Controller::Memory || c == Controller::Pids || (c == Controller::Cpu && s.cpus_millis) ||
          (c == Controller::Cpuset && s.cpuset)) {
        enable.insert(c);
      }
    }
    v2_ = std::make_unique<V2Run>(*d.v2, s, enable, self);
  }
  std::map<Controller, std::string> v1;
  for (const auto& [c, dir] : d.v1_dirs) {
    if (d.backend(c) == Backend::V1) v1.emplace(c, dir);
  }
  if (!v1.empty()) v1_ = std::make_unique<V1Run>(v1, s, fmt::format("hutch-run-{}", self));
  cpu_on_v1_ = d.backend(Controller::Cpuacct) == Backend::V1;
}

RunCgroup::~RunCgroup() { remove(); }

void RunCgroup::remove() noexcept {
  v1_.reset();
  v2_.reset();  // last: it may move hutch back to where it was
}

UniqueFd RunCgroup::open_leaf() const { return v2_ ? v2_->open_leaf() : UniqueFd(); }

void RunCgroup::place(pid_t pid) {
  if (!v1_) return;
  v1_->place(pid);
  if (!cpu_on_v1_) return;
  // Read after the move: a little CPU time of after it may be in the figure, so what
  // is taken off the cgroup's total later is never more than the cgroup counted.
  // proc(5): the first field of schedstat is the time spent on the CPU, in ns.
  const std::optional<std::string> schedstat = sys::read_file_if_exists("/proc/" + std::to_string(pid) + "/schedstat");
  std::uint64_t ns = 0;
  if (schedstat && std::from_chars(schedstat->data(), schedstat->data() + schedstat->size(), ns).ec == std::errc()) {
    cpu_before_placement_ = std::chrono::nanoseconds(ns);
  }
}

std::optional<std::chrono::nanoseconds> RunCgroup::cpu_usage() const {
  if (v2_) return v2_->cpu_usage();
  if (v1_) return v1_->cpu_usage();
  return std::nullopt;
}

Stats RunCgroup::stats() const {
  Stats st;
  st.cpu = cpu_usage();
  if (v1_) v1_->add_stats(st);
  if (v2_) v2_->add_stats(st);
  return st;
}

std::vector<std::string> RunCgroup::dirs() const {
  std::vector<std::string> out = v2_ ? v2_->dirs() : std::vector<std::string>{};
  if (v1_) {
    for (std::string& dir : v1_->dirs()) out.push_back(std::move(dir));
  }
  return out;
}

}  // namespace hutch::cgroup
