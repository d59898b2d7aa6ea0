#include "doctor/doctor.hpp"

#include <sched.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <optional>
#include <set>
#include <sstream>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include "cgroup/cgroup.hpp"
#include "cgroup/config.hpp"
#include "landlock/landlock.hpp"
#include "util/error.hpp"
#include "util/sys.hpp"

namespace hutch::doctor {
namespace {

using State = Finding::State;

// A file that does not exist reads as empty: a kernel without that knob, no /etc/subuid.
std::string read_first_line(const std::string& path) {
  const std::optional<std::string> text = sys::read_file_if_exists(path);
  return text ? text->substr(0, text->find('\n')) : std::string();
}

bool file_has_word(const std::string& path, const std::string& word) {
  std::istringstream in(sys::read_file_if_exists(path).value_or(""));
  std::string w;
  while (in >> w) {
    if (w == word) return true;
  }
  return false;
}

// "6.1.0-13-amd64" -> {6, 1}; what is not a number stays 0.
std::pair<int, int> kernel_version(std::string_view release) {
  int major = 0;
  int minor = 0;
  const char* const end = release.data() + release.size();
  const auto [rest, ec] = std::from_chars(release.data(), end, major);
  if (ec == std::errc() && rest != end && *rest == '.') std::from_chars(rest + 1, end, minor);
  return {major, minor};
}

std::string on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    std::string candidate = dir;
    candidate.append("/").append(name);
    if (!dir.empty() && ::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

// Tries unshare(CLONE_NEWUSER) in a child: 0 or the errno it failed with.
int try_user_namespace() {
  const pid_t pid = ::fork();
  if (pid < 0) return errno;
  if (pid == 0) ::_exit(::unshare(CLONE_NEWUSER) == 0 ? 0 : (errno & 0xff));
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) return EIO;
  return WEXITSTATUS(status);
}

Finding user_namespaces() {
  Finding f{State::Ok, "user namespaces", "", ""};
  const int err = try_user_namespace();
  const std::string restrict_apparmor = read_first_line("/proc/sys/kernel/apparmor_restrict_unprivileged_userns");
  if (err != 0) {
    f.state = State::Missing;
    f.blocks_runs = true;
    f.detail = fmt::format("unshare(CLONE_NEWUSER) fails: {}", describe_errno(err));
    if (read_first_line("/proc/sys/kernel/unprivileged_userns_clone") == "0") {
      f.fix = "sudo sysctl -w kernel.unprivileged_userns_clone=1 (and put it in /etc/sysctl.d/ to keep it)";
    } else if (read_first_line("/proc/sys/user/max_user_namespaces") == "0") {
      f.fix = "sudo sysctl -w user.max_user_namespaces=15000 (and put it in /etc/sysctl.d/ to keep it)";
    }
    return f;
  }
  f.detail = "unprivileged ones can be created";
  if (restrict_apparmor == "1") {
    // Ubuntu 23.10+: the namespace is created, but without capabilities inside.
    f.state = State::Missing;
    f.blocks_runs = true;
    f.detail += ", but AppArmor restricts them (kernel.apparmor_restrict_unprivileged_userns=1)";
    f.fix = "sudo install -m 644 scripts/system/apparmor.d/hutch /etc/apparmor.d/hutch && sudo apparmor_parser -r "
            "/etc/apparmor.d/hutch (edit the path of hutch in it first)";
  }
  return f;
}

Finding seccomp_check() {
  const std::string path = "/proc/sys/kernel/seccomp/actions_avail";
  if (!file_has_word(path, "user_notif") || !file_has_word(path, "kill_process")) {
    return {State::Missing, "seccomp", fmt::format("{} lacks user_notif or kill_process", path),
            "a kernel of 5.0 or later built with CONFIG_SECCOMP_FILTER", true};
  }
  return {State::Ok, "seccomp", "filters with user notification (kill names the call)", ""};
}

Finding overlay_check() {
  utsname u{};
  ::uname(&u);
  const auto [major, minor] = kernel_version(u.release);
  if (!file_has_word("/proc/filesystems", "overlay")) {
    return {State::Missing, "overlayfs", "not in /proc/filesystems", "sudo modprobe overlay"};
  }
  if (major < 5 || (major == 5 && minor < 11)) {
    return {State::Missing, "overlayfs", fmt::format("kernel {} mounts it only for root (5.11 or later needed)", u.release),
            "a kernel of 5.11 or later"};
  }
  return {State::Ok, "overlayfs", "mountable in a user namespace (mount points for binds missing from a root)", ""};
}

// Runs use Landlock where the kernel has it, and fail when it cannot be asked
// (runtime/init.cpp); without it they go on, confined by their mounts alone.
Finding landlock_check() {
  int abi = 0;
  try {
    abi = landlock::abi_version();
  } catch (const Error& e) {
    return {State::Missing, "Landlock", fmt::format("{}: every run fails at this step", e.message()),
            "allow landlock_create_ruleset to hutch (a seccomp filter around it refuses it)", true};
  }
  if (abi == 0) {
    return {State::Missing, "Landlock", "not in this kernel: runs go without it, confined by their mounts alone",
            "boot with Landlock among the LSMs (lsm=landlock,... on the kernel command line), a kernel of 5.13 or later"};
  }
  std::string detail = fmt::format("ABI version {}: runs confine the command's file access to the mount plan", abi);
  const landlock::Access lacking = landlock::kAll & ~landlock::known_access(abi);
  if (lacking != 0) detail += fmt::format(" (without {}, which newer kernels add)", landlock::describe(lacking));
  return {State::Ok, "Landlock", detail, ""};
}

std::string names(const std::set<cgroup::Controller>& controllers) {
  std::string out;
  for (cgroup::Controller c : controllers) out += fmt::format("{}{}", out.empty() ? "" : " ", cgroup::controller_name(c));
  return out;
}

// Which backend each cgroup-backed limit would get, e.g. "memory: cgroup-v1, processes:
// rlimit, cpu_time: cgroup-v2, cpus: refused, cpuset: refused".
std::string backends(const cgroup::Delegation& d) {
  using C = cgroup::Controller;
  const auto or_else = [&](C c, const char* fallback) { return d.has(c) ? cgroup::backend_name(d.backend(c)) : fallback; };
  return fmt::format("memory: {}, processes: {}, cpu_time: {}, cpus: {}, cpuset: {}", or_else(C::Memory, "rlimit"),
                     or_else(C::Pids, "rlimit"), or_else(C::Cpuacct, "rlimit"), or_else(C::Cpu, "refused"),
                     or_else(C::Cpuset, "refused"));
}

constexpr const char* kV2Fix = "start hutch alone in a delegated cgroup: systemd-run --user --scope -p Delegate=yes "
                               "hutch run ...";
constexpr const char* kDropIn = "install scripts/system/systemd/user@.service.d/delegate.conf (see its header; it "
                                "delegates memory pids cpu cpuset to every user's systemd), log in again";

// cgroup v2: the caller's own cgroup, whether it is delegated, who else is in it and
// which controllers it offers (docs/doctor.md).
Finding v2_check(const cgroup::Delegation& d, const std::string& v1_controllers) {
  if (!d.v2) {
    if (d.v2_note.rfind("turned off", 0) == 0) return {State::Info, "cgroup v2", d.v2_note, ""};
    if (d.v2_note.find("is not delegated") == std::string::npos) return {State::Info, "cgroup v2", d.v2_note, ""};
    return {State::Missing, "cgroup v2", d.v2_note + ": hutch does not use it",
            fmt::format("{}; for every session: {}", kV2Fix, kDropIn)};
  }
  const cgroup::V2Delegation& v2 = *d.v2;
  const std::string detail = fmt::format(
      "{}: delegated to you; {}; controllers offered [{}]; runs get [{}] there, CPU time, placement from the first "
      "instruction and clean-up always",
      v2.dir,
      v2.alone() ? "no other process in it (hutch moves itself to hutch-PID/supervisor and enables them)"
                 : fmt::format("{} other process{} in it, so none can be enabled (no internal processes)",
                               v2.other_processes, v2.other_processes == 1 ? "" : "es"),
      names(v2.offered), names(v2.usable()));
  if (v2.usable().count(cgroup::Controller::Memory) != 0 && v2.usable().count(cgroup::Controller::Pids) != 0) {
    return {State::Ok, "cgroup v2", detail, ""};
  }
  if (v2.offered.empty() && !v1_controllers.empty()) {
    // Hybrid: the controllers are bound to v1 hierarchies and cannot be on v2 as well.
    return {State::Info, "cgroup v2", detail,
            fmt::format("[{}] are on cgroup v1 on this host: use the v1 delegation below, or boot with "
                        "systemd.unified_cgroup_hierarchy=1 to have them on v2",
                        v1_controllers)};
  }
  return {State::Missing, "cgroup v2", detail, v2.offered.empty() ? kDropIn : kV2Fix};
}

std::vector<Finding> cgroup_checks(const std::string& user, uid_t uid) {
  std::vector<Finding> out;
  std::string v1;
  for (cgroup::Controller c : {cgroup::Controller::Memory, cgroup::Controller::Pids, cgroup::Controller::Cpu,
                               cgroup::Controller::Cpuacct, cgroup::Controller::Cpuset}) {
    if (::access(fmt::format("/sys/fs/cgroup/{}/tasks", cgroup::controller_name(c)).c_str(), F_OK) == 0) {
      v1 += fmt::format("{}{}", v1.empty() ? "" : " ", cgroup::controller_name(c));
    }
  }
  std::optional<cgroup::Config> config;
  std::string config_error;
  try {
    config = cgroup::load_config(user, uid);
  } catch (const Error& e) {
    config_error = e.message();
  }
  // cgroup v2 first, on its own: a v1 declaration in error does not hide it.
  cgroup::Config v2_only = config.value_or(cgroup::Config{});
  v2_only.v1_path.reset();
  const cgroup::Delegation v2 = cgroup::find_delegation(v2_only);
  out.push_back(v2_check(v2, v1));
  // cgroup v1: the controllers, and the delegation hutch would use.
  if (v1.empty()) {
    out.push_back({State::Info, "cgroup v1", "no v1 controllers mounted", ""});
    return out;
  }
  try {
    if (!config) throw Error(config_error);
    if (!config->v1_path) {
      out.push_back({State::Missing, "cgroup v1",
                     fmt::format("controllers [{}] on v1, none delegated to you (no cgroups.conf declares v1): {}", v1,
                                 backends(v2)),
                     "as root:\n" + v1_delegation_commands(user)});
      return out;
    }
    const cgroup::Delegation d = cgroup::find_delegation(*config);
    std::string have;
    for (const auto& [c, dir] : d.v1_dirs) have += fmt::format("{}{}", have.empty() ? "" : " ", cgroup::controller_name(c));
    out.push_back({State::Ok, "cgroup v1",
                   fmt::format("delegated by {}: [{}]{}; {}", config->file, have,
                               d.memsw ? ", swap accounting on" : ", no swap accounting (memory.memsw)", backends(d)),
                   ""});
  } catch (const Error& e) {
    out.push_back({State::Missing, "cgroup v1", e.message(), "as root:\n" + v1_delegation_commands(user)});
  }
  return out;
}

Finding id_mapping_check(const std::string& user) {
  const std::string newuidmap = on_path("newuidmap");
  bool ranges = false;
  std::istringstream subuid(sys::read_file_if_exists("/etc/subuid").value_or(""));
  for (std::string line; std::getline(subuid, line);) ranges |= line.rfind(user + ":", 0) == 0;
  if (newuidmap.empty() || !ranges) {
    return {State::Info, "newuidmap", newuidmap.empty() ? "not installed" : "no range for you in /etc/subuid",
            "not needed yet: hutch maps only your own uid (apt-get install uidmap; usermod --add-subuids)"};
  }
  return {State::Ok, "newuidmap", fmt::format("{}, with a range in /etc/subuid", newuidmap), ""};
}

Finding user_networking_check() {
  for (const char* tool : {"pasta", "slirp4netns"}) {
    const std::string path = on_path(tool);
    if (!path.empty()) return {State::Ok, "user-mode networking", path + " (not used by this version of hutch)", ""};
  }
  return {State::Info, "user-mode networking", "neither pasta nor slirp4netns (not used by this version of hutch)",
          ""};
}

}  // namespace

std::string v1_delegation_commands(const std::string& user) {
  return fmt::format(
      "  user={}\n"
      "  for c in memory pids cpu cpuacct cpuset; do mkdir -p /sys/fs/cgroup/$c/hutch/$user; done\n"
      "  for d in /sys/fs/cgroup/cpuset/hutch /sys/fs/cgroup/cpuset/hutch/$user; do\n"
      "      cat /sys/fs/cgroup/cpuset/cpuset.cpus > $d/cpuset.cpus\n"
      "      cat /sys/fs/cgroup/cpuset/cpuset.mems > $d/cpuset.mems\n"
      "  done\n"
      "  for c in memory pids cpu cpuacct cpuset; do chown -R $user: /sys/fs/cgroup/$c/hutch/$user; done\n"
      "  mkdir -p /etc/hutch && echo 'v1 = hutch/${{USER}}' > /etc/hutch/cgroups.conf",
      user);
}

std::vector<Finding> examine(const std::string& user, uid_t uid) {
  std::vector<Finding> out{user_namespaces(), seccomp_check(), overlay_check(), landlock_check()};
  for (Finding& f : cgroup_checks(user, uid)) out.push_back(std::move(f));
  out.push_back(id_mapping_check(user));
  out.push_back(user_networking_check());
  return out;
}

}  // namespace hutch::doctor
