#include "doctor/doctor.hpp"

#include <linux/landlock.h>
#include <sched.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "cgroup/cgroup.hpp"
#include "cgroup/config.hpp"
#include "util/error.hpp"

namespace hutch::doctor {
namespace {

using State = Finding::State;

std::string read_first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

bool file_has_word(const std::string& path, const std::string& word) {
  std::ifstream in(path);
  std::string w;
  while (in >> w) {
    if (w == word) return true;
  }
  return false;
}

std::string on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    const std::string candidate = dir + "/" + name;
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
            "a kernel of 5.0 or later built with CONFIG_SECCOMP_FILTER"};
  }
  return {State::Ok, "seccomp", "filters with user notification (kill names the call)", ""};
}

Finding overlay_check() {
  utsname u{};
  ::uname(&u);
  int major = 0, minor = 0;
  std::sscanf(u.release, "%d.%d", &major, &minor);
  if (!file_has_word("/proc/filesystems", "overlay")) {
    return {State::Missing, "overlayfs", "not in /proc/filesystems", "sudo modprobe overlay"};
  }
  if (major < 5 || (major == 5 && minor < 11)) {
    return {State::Missing, "overlayfs", fmt::format("kernel {} mounts it only for root (5.11 or later needed)", u.release),
            "a kernel of 5.11 or later"};
  }
  return {State::Ok, "overlayfs", "mountable in a user namespace (mount points for binds missing from a root)", ""};
}

Finding landlock_check() {
  const long abi = ::syscall(SYS_landlock_create_ruleset, nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION);
  if (abi < 0) {
    return {State::Missing, "Landlock", fmt::format("not available: {}", describe_errno(errno)),
            "boot with Landlock among the LSMs (lsm=landlock,... on the kernel command line)"};
  }
  return {State::Ok, "Landlock", fmt::format("ABI version {}", abi), ""};
}

std::vector<Finding> cgroup_checks(const std::string& user, uid_t uid) {
  std::vector<Finding> out;
  // cgroup v2: where the caller's cgroup is, and what it may use.
  std::string v2_mount;
  for (const char* candidate : {"/sys/fs/cgroup", "/sys/fs/cgroup/unified"}) {
    if (::access((std::string(candidate) + "/cgroup.controllers").c_str(), R_OK) == 0) v2_mount = candidate;
    if (!v2_mount.empty()) break;
  }
  if (v2_mount.empty()) {
    out.push_back({State::Info, "cgroup v2", "not mounted", ""});
  } else {
    std::string own;
    std::ifstream self("/proc/self/cgroup");
    for (std::string line; std::getline(self, line);) {
      if (line.rfind("0::", 0) == 0) own = line.substr(3);
    }
    const std::string dir = v2_mount + (own == "/" ? "" : own);
    const std::string controllers = read_first_line(dir + "/cgroup.controllers");
    const bool writable = ::access((dir + "/cgroup.procs").c_str(), W_OK) == 0;
    out.push_back({State::Info, "cgroup v2",
                   fmt::format("{}: controllers [{}], {}; this version of hutch does not drive cgroup v2 yet", dir,
                               controllers, writable ? "delegated to you" : "not delegated to you"),
                   writable ? "" : "install scripts/system/systemd/user@.service.d/delegate.conf (see its header), or "
                                   "start hutch with systemd-run --user --scope -p Delegate=yes"});
  }
  // cgroup v1: the controllers, and the delegation hutch would use.
  std::string v1;
  for (cgroup::Controller c : {cgroup::Controller::Memory, cgroup::Controller::Pids, cgroup::Controller::Cpu,
                               cgroup::Controller::Cpuacct, cgroup::Controller::Cpuset}) {
    if (::access(fmt::format("/sys/fs/cgroup/{}/tasks", cgroup::controller_name(c)).c_str(), F_OK) == 0) {
      v1 += fmt::format("{}{}", v1.empty() ? "" : " ", cgroup::controller_name(c));
    }
  }
  if (v1.empty()) {
    out.push_back({State::Info, "cgroup v1", "no v1 controllers mounted", ""});
    return out;
  }
  try {
    const cgroup::Config config = cgroup::load_config(user, uid);
    if (!config.v1_path) {
      out.push_back({State::Missing, "cgroup v1",
                     fmt::format("controllers [{}] on v1, none delegated to you (no cgroups.conf): memory, swap, "
                                 "processes and CPU time fall back to rlimits; cpus and cpuset are refused",
                                 v1),
                     "as root:\n" + v1_delegation_commands(user)});
      return out;
    }
    const cgroup::Delegation d = cgroup::find_delegation(config);
    std::string have;
    for (const auto& [c, dir] : d.v1_dirs) have += fmt::format("{}{}", have.empty() ? "" : " ", cgroup::controller_name(c));
    out.push_back({State::Ok, "cgroup v1",
                   fmt::format("delegated by {}: [{}]{}", config.file, have,
                               d.memsw ? ", swap accounting on" : ", no swap accounting (memory.memsw)"),
                   ""});
  } catch (const Error& e) {
    out.push_back({State::Missing, "cgroup v1", e.message(), "as root:\n" + v1_delegation_commands(user)});
  }
  return out;
}

Finding id_mapping_check(const std::string& user) {
  const std::string newuidmap = on_path("newuidmap");
  bool ranges = false;
  std::ifstream subuid("/etc/subuid");
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
