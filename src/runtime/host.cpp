#include "runtime/host.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <vector>

#include <fmt/format.h>

#include "cgroup/cgroup.hpp"
#include "mount/hostpath.hpp"
#include "mount/mountinfo.hpp"
#include "runtime/terminal.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/sys.hpp"

namespace hutch::runtime {
namespace {

std::map<std::string, std::string> caller_environment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string_view kv(*e);
    const std::size_t eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    env.emplace(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
  }
  return env;
}


std::vector<int> ignored_signals() {
  std::vector<int> ignored;
  for (int s = 1; s < NSIG; ++s) {
    struct sigaction sa{};
    if (s != SIGKILL && s != SIGSTOP && ::sigaction(s, nullptr, &sa) == 0 && sa.sa_handler == SIG_IGN) {
      ignored.push_back(s);
    }
  }
  return ignored;
}

}  // namespace

std::string default_rootfs_path() {
  if (const char* data = ::getenv("XDG_DATA_HOME"); data != nullptr && data[0] == '/') {
    return fmt::format("{}/hutch/rootfs/default", data);
  }
  const char* home = ::getenv("HOME");
  std::string home_dir = home != nullptr && home[0] == '/' ? home : "";
  if (home_dir.empty()) {
    if (const passwd* pw = ::getpwuid(::getuid()); pw != nullptr && pw->pw_dir != nullptr) home_dir = pw->pw_dir;
  }
  if (home_dir.empty()) throw Error("no default root filesystem: neither XDG_DATA_HOME nor HOME is set; pass --rootfs");
  return fmt::format("{}/.local/share/hutch/rootfs/default", home_dir);
}

namespace {

// -v: where the run's cgroups go, and what keeps cgroup v2 from giving more.
void log_delegation(const cgroup::Delegation& d) {
  if (d.v2) {
    std::string usable;
    for (cgroup::Controller c : d.v2->usable()) usable += fmt::format("{}, ", cgroup::controller_name(c));
    log::info("cgroup v2: {} is delegated{}; runs get a leaf below it with {}CPU time", d.v2->dir,
              d.v2->alone() ? " and hutch is alone in it (it moves itself to hutch-PID/supervisor)" : "", usable);
  }
  if (!d.v2_note.empty()) log::info("cgroup v2: {}", d.v2_note);
  for (const auto& [c, dir] : d.v1_dirs) {
    if (d.backend(c) == cgroup::Backend::V1) log::debug("cgroup v1: {} delegated at {}", cgroup::controller_name(c), dir);
  }
}

// The cgroups delegated to this user, if an administrator declared any, and swap.
limits::HostLimits host_limits(uid_t uid) {
  limits::HostLimits out;
  passwd pw{};
  passwd* found = nullptr;
  std::vector<char> buf(16384);
  const std::string user = ::getpwuid_r(uid, &pw, buf.data(), buf.size(), &found) == 0 && found != nullptr
                               ? std::string(pw.pw_name)
                               : std::to_string(uid);
  out.delegation = cgroup::find_delegation(cgroup::load_config(user, uid));
  log_delegation(out.delegation);
  // Swap matters only to a memory cgroup without swap accounting (limits/limits.cpp):
  // /proc/swaps has a header line, then one line per swap area in use.
  if (out.delegation.has(cgroup::Controller::Memory) && !out.delegation.can_limit_swap()) {
    const std::string swaps = sys::read_file("/proc/swaps");
    out.swap_active = std::count(swaps.begin(), swaps.end(), '\n') > 1;
  }
  return out;
}

}  // namespace

HostFacts gather_host_facts(const std::string& rootfs) {
  HostFacts facts;
  facts.uid = ::getuid();
  facts.gid = ::getgid();
  facts.env = caller_environment();
  facts.terminal_size = caller_terminal_size();
  facts.ignored_signals = ignored_signals();
  auto [root, is_dir] = mount::find_host_path(rootfs, "rootfs");
  if (!is_dir) throw_errno(ENOTDIR, "rootfs", rootfs);
  facts.rootfs = root;
  std::shared_ptr<UniqueFd> root_fd = std::make_shared<UniqueFd>(mount::open_host_path(root, "rootfs"));
  facts.exists_in_rootfs = [root_fd](const std::string& path) {
    const std::string rel = path == "/" ? "." : path.substr(1);
    const UniqueFd found(sys::try_openat2(root_fd->get(), rel, O_PATH, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS));
    return found.valid();
  };
  facts.find_source = [](const std::string& source) { return mount::find_host_path(source, "bind source"); };
  facts.rootfs_submounts = [path = root.path] {
    return mount::mounts_below(mount::parse_mountinfo(sys::read_file("/proc/self/mountinfo")), path);
  };
  facts.limits = host_limits(facts.uid);
  return facts;
}

}  // namespace hutch::runtime
