#include "runtime/plan.hpp"

#include <sched.h>

#include <algorithm>
#include <array>
#include <string_view>

#include <fmt/format.h>

#include "policy/validate.hpp"
#include "seccomp/compile.hpp"
#include "seccomp/precompiled.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/path.hpp"

namespace hutch::runtime {
namespace {

using policy::MountType;
using policy::Network;

constexpr std::string_view kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
constexpr std::uint64_t kDevTmpfsSize = std::uint64_t{64} * 1024;

// Host device nodes bound into the sandbox's /dev (the set bubblewrap's --dev gives).
constexpr std::array<std::string_view, 6> kDevNodes{"null", "zero", "full", "random", "urandom", "tty"};

struct DevLink {
  std::string_view name;
  std::string_view target;
};
constexpr std::array<DevLink, 6> kDevLinks{{{"ptmx", "pts/ptmx"},
                                            {"fd", "/proc/self/fd"},
                                            {"stdin", "/proc/self/fd/0"},
                                            {"stdout", "/proc/self/fd/1"},
                                            {"stderr", "/proc/self/fd/2"},
                                            {"core", "/proc/kcore"}}};

// SECURITY: the kernel knobs under /proc that a user namespace can still reach are made
// read-only, as runc and bubblewrap do (sysctls of the sandbox's own namespaces included).
constexpr std::array<std::string_view, 4> kProcReadOnly{"/proc/sys", "/proc/sysrq-trigger", "/proc/irq",
                                                        "/proc/bus"};

// One of hutch's own tmpfs mounts (/dev, /dev/shm, /tmp): never on a symlink.
MountStep tmpfs_step(std::string target, std::uint32_t mode, std::uint64_t size, bool noexec) {
  MountStep s;
  s.kind = StepKind::Tmpfs;
  s.no_symlinks = true;
  s.target = std::move(target);
  s.mode = mode;
  s.size = size;
  s.noexec = noexec;
  return s;
}

void add_proc(std::vector<MountStep>& steps) {
  MountStep proc;
  proc.kind = StepKind::Proc;
  proc.target = "/proc";
  proc.noexec = true;
  proc.no_symlinks = true;
  steps.push_back(proc);
  for (std::string_view p : kProcReadOnly) {
    MountStep ro;
    ro.kind = StepKind::Bind;
    ro.source = std::string(p);
    ro.target = std::string(p);
    ro.source_in_root = true;
    ro.readonly = true;
    ro.noexec = true;
    ro.optional = true;
    ro.no_symlinks = true;
    ro.directory = p != "/proc/sysrq-trigger";
    steps.push_back(ro);
  }
}

void add_dev(std::vector<MountStep>& steps) {
  steps.push_back(tmpfs_step("/dev", 0755, kDevTmpfsSize, true));
  for (std::string_view node : kDevNodes) {
    MountStep s;
    s.kind = StepKind::Bind;
    s.source = fmt::format("/dev/{}", node);
    s.host_source.path = s.source;  // the host's own /dev: trusted, not re-checked
    s.target = s.source;
    s.no_symlinks = true;
    s.recursive = false;
    s.nodev = false;
    s.noexec = true;
    s.directory = false;
    steps.push_back(s);
  }
  MountStep pts;
  pts.kind = StepKind::Devpts;
  pts.target = "/dev/pts";
  pts.no_symlinks = true;
  pts.nodev = false;
  pts.noexec = true;
  steps.push_back(pts);
  steps.push_back(tmpfs_step("/dev/shm", 01777, 0, true));
  for (const DevLink& link : kDevLinks) {
    MountStep s;
    s.kind = StepKind::Symlink;
    s.source = std::string(link.target);
    s.target = fmt::format("/dev/{}", link.name);
    s.no_symlinks = true;
    steps.push_back(s);
  }
}

void add_sys(std::vector<MountStep>& steps, Network network) {
  MountStep s;
  // sysfs(5) may only be mounted by the owner of the network namespace; with the host's
  // network the host's /sys is bound read-only instead.
  if (network == Network::Host) {
    s.kind = StepKind::Bind;
    s.source = "/sys";
    s.host_source.path = "/sys";
  } else {
    s.kind = StepKind::Sysfs;
  }
  s.target = "/sys";
  s.readonly = true;
  s.noexec = true;
  s.no_symlinks = true;
  steps.push_back(s);
}

std::string plan_target(const policy::Mount& m) {
  std::string target;
  try {
    target = path::normalize_absolute(m.target);
  } catch (Error& e) {
    e.prepend(fmt::format("mount target \"{}\"", m.target));
    throw;
  }
  if (auto problem = policy::mount_target_problem(target)) throw Error("mount target " + *problem);
  return target;
}

MountStep plan_user_mount(const policy::Mount& m, const HostFacts& host) {
  MountStep s;
  s.target = plan_target(m);
  s.readonly = m.readonly;
  if (m.type == MountType::Tmpfs) {
    s.kind = StepKind::Tmpfs;
    s.size = m.size.value_or(0);
    s.mode = m.mode.value_or(01777);
    return s;
  }
  if (m.source.empty() || m.source.front() != '/') {
    throw Error(fmt::format("bind source \"{}\" for {} is not an absolute path", m.source, s.target));
  }
  s.kind = StepKind::Bind;
  s.source = m.source;
  if (host.find_source) {
    auto [found, directory] = host.find_source(m.source);
    s.host_source = std::move(found);
    s.directory = directory;
  } else {
    s.host_source.path = m.source;
  }
  return s;
}

std::size_t depth(std::string_view target) { return path::components(target).size(); }

// The deepest earlier step that mounts a filesystem covering `target`, or nullptr for
// the root itself.
const MountStep* covering_mount(const std::vector<MountStep>& steps, std::size_t index) {
  const MountStep* best = nullptr;
  for (std::size_t i = 0; i < index; ++i) {
    const MountStep& s = steps[i];
    if (s.kind == StepKind::Symlink || s.kind == StepKind::Seal) continue;
    if (!path::is_under(steps[index].target, s.target) || s.target == steps[index].target) continue;
    if (best == nullptr || s.target.size() > best->target.size()) best = &s;
  }
  return best;
}

// The first mount point the root filesystem itself would have to provide but lacks.
std::optional<std::string> first_missing_mount_point(const std::vector<MountStep>& steps, const HostFacts& host) {
  for (std::size_t i = 0; i < steps.size(); ++i) {
    if (steps[i].kind == StepKind::Seal) continue;
    if (covering_mount(steps, i) != nullptr) continue;
    if (!host.exists_in_rootfs || !host.exists_in_rootfs(steps[i].target)) return steps[i].target;
  }
  return std::nullopt;
}

// Mount points missing from --rootfs go to an overlay; overlayfs(5) cannot take a
// lower layer with filesystems mounted below it (they are locked in a user namespace,
// and would be dropped anyway), so that case is refused here, before anything exists.
bool plan_overlay(const std::vector<MountStep>& steps, const HostFacts& host, const std::string& rootfs) {
  const std::optional<std::string> missing = first_missing_mount_point(steps, host);
  if (!missing) return false;
  const std::vector<std::string> submounts = host.rootfs_submounts ? host.rootfs_submounts()
                                                                    : std::vector<std::string>{};
  if (!submounts.empty()) {
    throw Error(fmt::format("rootfs {}: the mount point {} is missing from it, and other filesystems are mounted "
                            "below it ({}{}), which the overlay hutch would put on top cannot carry; create {} in "
                            "the root filesystem or mount somewhere that exists",
                            rootfs, *missing, submounts.front(), submounts.size() > 1 ? ", ..." : "", *missing));
  }
  return true;
}

void check_env_name(std::string_view name) {
  if (auto problem = policy::env_name_problem(name)) throw Error("environment: " + *problem);
}

std::vector<std::string> plan_env(const RunRequest& req, const HostFacts& host) {
  std::map<std::string, std::string> env;
  env["PATH"] = std::string(kDefaultPath);
  env["HOME"] = req.policy.user.uid == 0 ? "/root" : "/";
  if (req.tty) {
    auto term = host.env.find("TERM");
    env["TERM"] = term != host.env.end() && !term->second.empty() ? term->second : "xterm";
  } else {
    env["TERM"] = "dumb";
  }
  for (const std::string& name : req.policy.env_pass) {
    check_env_name(name);
    if (auto it = host.env.find(name); it != host.env.end()) env[name] = it->second;
  }
  for (const auto& [name, value] : req.policy.env) {
    check_env_name(name);
    if (value.find('\0') != std::string::npos) throw Error(fmt::format("environment variable {} contains NUL", name));
    env[name] = value;
  }
  std::vector<std::string> out;
  out.reserve(env.size());
  for (const auto& [name, value] : env) out.push_back(fmt::format("{}={}", name, value));
  return out;
}

void check_hostname(std::string_view name) {
  if (auto problem = policy::hostname_problem(name)) throw Error("hostname: " + *problem);
}

IdMap plan_id_map(std::uint32_t inside, std::uint32_t outside, std::string_view what) {
  // user_namespaces(7): (uid_t)-1 is never mappable; 65534 is the overflow id and works.
  if (inside == 0xFFFFFFFFu) throw Error(fmt::format("{} 4294967295 cannot be mapped", what));
  return IdMap{inside, outside, 1};
}

// An optional bind whose source is missing is left out (policy `optional: true`).
bool is_absent_optional(const policy::Mount& m, const HostFacts& host) {
  if (!m.optional || m.type != MountType::Bind || !host.find_source) return false;
  try {
    host.find_source(m.source);
    return false;
  } catch (const Error& e) {
    return e.sys_errno() == ENOENT;
  }
}

std::vector<MountStep> plan_user_mounts(const RunRequest& req, const HostFacts& host) {
  std::vector<MountStep> user;
  for (const policy::Mount& m : req.policy.mounts) {
    if (is_absent_optional(m, host)) continue;
    MountStep s = plan_user_mount(m, host);
    for (const MountStep& other : user) {
      if (other.target == s.target) throw Error(fmt::format("mount target {} is given twice", s.target));
    }
    user.push_back(std::move(s));
  }
  // Parents before children, whatever order they were given in (as Docker does), so
  // that --bind a:/x/y --bind b:/x does not hide /x/y under /x.
  std::stable_sort(user.begin(), user.end(),
                   [](const MountStep& a, const MountStep& b) { return depth(a.target) < depth(b.target); });
  return user;
}

std::vector<MountStep> plan_mounts(const RunRequest& req, const HostFacts& host) {
  std::vector<MountStep> user = plan_user_mounts(req, host);
  const bool user_tmp = std::any_of(user.begin(), user.end(), [](const MountStep& s) { return s.target == "/tmp"; });
  std::vector<MountStep> steps;
  add_proc(steps);
  add_dev(steps);
  if (!user_tmp) steps.push_back(tmpfs_step("/tmp", 01777, 0, false));
  if (req.policy.mount_sys) add_sys(steps, req.policy.network);
  steps.insert(steps.end(), user.begin(), user.end());
  // ORDER: /dev is sealed read-only last, so that binds below /dev can still create
  // their mount points in its tmpfs.
  MountStep seal;
  seal.kind = StepKind::Seal;
  seal.target = "/dev";
  seal.no_symlinks = true;
  steps.push_back(seal);
  return steps;
}

// SECURITY: Landlock forbids every change of the mount tree in its domain (landlock(7),
// "Filesystem topology modification"), nested mount namespaces included. A policy that
// lets the command build sandboxes of its own (nested user namespaces, and a call of
// the mount family allowed by name, which the seccomp baseline otherwise refuses)
// would be undone by it, so such a run goes without Landlock; its mounts, seccomp
// filter and every other layer hold as declared.
bool lets_nested_sandboxes_mount(const policy::Policy& pol) {
  if (!pol.nested_user_namespaces) return false;
  constexpr std::array<std::string_view, 5> kTopology{"mount", "umount", "umount2", "pivot_root", "move_mount"};
  return std::any_of(pol.seccomp.rules.begin(), pol.seccomp.rules.end(), [&](const seccomp::Rule& r) {
    const bool passes = r.action.kind == seccomp::Action::Kind::Allow || r.action.kind == seccomp::Action::Kind::Log;
    return passes && std::find(kTopology.begin(), kTopology.end(), r.syscall) != kTopology.end();
  });
}

std::uint64_t plan_clone_flags(Network network) {
  std::uint64_t flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP;
  if (network != Network::Host) flags |= CLONE_NEWNET;
  return flags;
}

}  // namespace

Plan plan_run(const RunRequest& req, const HostFacts& host) {
  const policy::Policy& pol = req.policy;
  Plan plan;
  if (req.argv.empty() || req.argv.front().empty()) throw Error("no command given (usage: hutch run [OPTIONS] [--] COMMAND [ARG...])");
  if (!pol.rootfs || pol.rootfs->empty() || pol.rootfs->front() != '/') {
    throw Error(fmt::format("rootfs \"{}\" is not an absolute path", pol.rootfs.value_or("")));
  }
  // Fail closed: a limit no mechanism of this host can enforce stops the run, unless
  // the policy marked it preferred.
  plan.limits = limits::plan_limits(pol.limits, host.limits, pol.init, pol.preferred);
  plan.root.rootfs = host.rootfs.path.empty() ? HostPath{*pol.rootfs, 0, 0} : host.rootfs;
  plan.mounts = plan_mounts(req, host);
  plan.root.overlay = plan_overlay(plan.mounts, host, plan.root.rootfs.path);
  // The root is always read-only (mount/assemble.cpp), an overlay root too.
  if (!lets_nested_sandboxes_mount(pol)) plan.landlock = landlock::plan_rules(plan.mounts, false);
  plan.clone_flags = plan_clone_flags(pol.network);
  plan.uid_map = plan_id_map(pol.user.uid, host.uid, "uid");
  plan.gid_map = plan_id_map(pol.user.gid, host.gid, "gid");
  plan.network = pol.network;
  plan.allow_nested_userns = pol.nested_user_namespaces;
  plan.init = pol.init;
  plan.seccomp = seccomp_inputs(pol);
  check_hostname(pol.hostname);
  plan.hostname = pol.hostname;
  plan.argv = req.argv;
  plan.env = plan_env(req, host);
  if (pol.workdir) {
    try {
      plan.workdir = path::normalize_absolute(*pol.workdir);
    } catch (Error& e) {
      e.prepend("workdir");
      throw;
    }
  }
  plan.ignored_signals = host.ignored_signals;
  plan.tty = req.tty;
  plan.interactive = req.interactive;
  plan.stdio = req.stdio;
  // With -t the terminal carries the output, and counts it against limits.output.
  plan.relay_output = (pol.limits.output && !req.tty) || req.stdio.out || req.stdio.err;
  if (req.tty && (req.stdio.out || req.stdio.err || req.stdio.in)) {
    throw Error("-t does not combine with --stdin, --stdout or --stderr (the terminal carries the command's input and "
                "output)");
  }
  if (req.interactive && req.stdio.in) throw Error("-i forwards hutch's stdin; --stdin FILE replaces it: give one");
  if (req.tty) plan.tty_size = host.terminal_size;
  return plan;
}

SeccompInputs seccomp_inputs(const policy::Policy& pol) {
  return {pol.seccomp, {pol.nested_user_namespaces},
          pol.init ? seccomp::KillMode::Notify : seccomp::KillMode::KillProcess};
}

seccomp::Compiled compile_seccomp(const Plan& plan) {
  try {
    bool precompiled = false;
    seccomp::Compiled out =
        seccomp::compile_filter(plan.seccomp.filter, plan.seccomp.options, plan.seccomp.mode, &precompiled);
    log::debug("seccomp: {}", precompiled ? "compiled at build time (a shipped policy's filter)" : "compiled");
    return out;
  } catch (Error& e) {
    e.prepend("policy");
    throw;
  }
}

}  // namespace hutch::runtime
