// The Plan: everything a run will do, computed before the first namespace exists.
//
// plan_run() is pure: it turns a Policy, the command and facts about the host into a
// plain value. The launcher carries it out step by step; tests inspect it without a
// kernel. Nothing in here performs a syscall.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "landlock/landlock.hpp"
#include "limits/limits.hpp"
#include "mount/spec.hpp"
#include "ns/userns.hpp"
#include "policy/schema.hpp"
#include "seccomp/compile.hpp"

namespace hutch::runtime {

using mount::HostPath;
using mount::MountStep;
using mount::RootPlan;
using mount::StepKind;
using ns::IdMap;

struct TerminalSize {
  unsigned short rows = 0;
  unsigned short cols = 0;
};

// Where the command's standard streams come from and go, when not hutch's own.
struct Stdio {
  std::optional<std::string> in;   // --stdin FILE (host path, read by hutch)
  std::optional<std::string> out;  // --stdout FILE (host path, created or truncated by hutch)
  std::optional<std::string> err;  // --stderr FILE
};

// What a run's seccomp filter is made of: the policy's section, whether nested user
// namespaces are allowed, and how `kill` is carried out. SECURITY: without an init no
// process can hand a listener to the supervisor before execve, so `kill` is then the
// kernel's KILL_PROCESS (docs/seccomp.md).
struct SeccompInputs {
  seccomp::Filter filter;
  seccomp::ResolveOptions options;
  seccomp::KillMode mode = seccomp::KillMode::Notify;
};
SeccompInputs seccomp_inputs(const policy::Policy& pol);

struct Plan {
  RootPlan root;
  std::vector<MountStep> mounts;  // in order
  // What the command may do below each mount, for Landlock (landlock/landlock.hpp);
  // empty when the run goes without Landlock (a policy that lets nested sandboxes
  // mount, which Landlock would forbid).
  std::vector<landlock::Rule> landlock;
  std::uint64_t clone_flags = 0;  // CLONE_NEW* for clone3
  IdMap uid_map;
  IdMap gid_map;
  policy::Network network = policy::Network::Loopback;
  std::string hostname;
  bool allow_nested_userns = false;
  bool init = true;  // false: the command itself is pid 1 (no reaping, no relaying inside)
  // What the seccomp filter is made of. The supervisor compiles it (compile_seccomp)
  // while the child assembles the root, and hands it over before sync #1.
  SeccompInputs seccomp;
  // Resource limits: the policy's, and how each is enforced (docs/limits.md).
  limits::LimitsPlan limits;
  std::vector<std::string> argv;
  std::vector<std::string> env;   // "KEY=value", sorted by key
  std::string workdir = "/";
  // Signals the caller ignores (nohup, a shell's background job): the command keeps
  // them ignored, as execve(2) would have, and hutch does not relay them.
  std::vector<int> ignored_signals;
  bool tty = false;               // allocate a pseudo-terminal inside the sandbox
  bool interactive = false;       // forward the caller's stdin
  Stdio stdio;
  // stdout and stderr go through the supervisor (limits.output, --stdout, --stderr).
  bool relay_output = false;
  std::optional<TerminalSize> tty_size;
};

// Facts about the invoking process, gathered by the CLI.
struct HostFacts {
  uid_t uid = 0;
  gid_t gid = 0;
  std::map<std::string, std::string> env;  // the caller's environment
  std::optional<TerminalSize> terminal_size;
  std::vector<int> ignored_signals;  // dispositions set to SIG_IGN in hutch at start
  HostPath rootfs;  // the root filesystem, found and checked
  // Filesystems mounted below the root filesystem (an overlay root cannot carry them);
  // asked only when an overlay is needed.
  std::function<std::vector<std::string>()> rootfs_submounts;
  // Does this normalized absolute path exist inside the root filesystem (resolved with
  // the root as "/")? Decides whether the root needs an overlay for mount points.
  std::function<bool(const std::string&)> exists_in_rootfs;
  // Finds a bind source (an absolute host path, symlinks followed as the caller meant
  // them) and reports whether it is a directory. Throws Error, naming the path and
  // errno, when it cannot be used.
  std::function<std::pair<HostPath, bool>(const std::string&)> find_source;
  // The cgroups delegated to this user (cgroup/config.hpp) and whether swap is on.
  limits::HostLimits limits;
};

struct RunRequest {
  policy::Policy policy;
  std::vector<std::string> argv;
  bool tty = false;
  bool interactive = false;
  Stdio stdio;
};

// Throws Error for anything invalid (relative or duplicate targets, empty command, ...).
Plan plan_run(const RunRequest& request, const HostFacts& host);

// The program the payload installs, from plan.seccomp: built into hutch for the shipped
// policies (seccomp/precompiled.hpp), else resolved and compiled, which takes 1-2 ms,
// so launch() does it after clone3, in parallel with the child.
// Throws hutch::Error ("policy: seccomp: ...") when libseccomp cannot build it as meant.
seccomp::Compiled compile_seccomp(const Plan& plan);

}  // namespace hutch::runtime
