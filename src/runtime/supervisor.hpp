// The supervisor: hutch's own process, outside every namespace of the sandbox. Once
// the sandbox exists it relays signals and the terminal, collects the sandbox's
// reports, waits for its init through a pidfd and turns all that into an Outcome.
// Private to runtime/.
#pragma once

#include <signal.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "cgroup/cgroup.hpp"
#include "runtime/launcher.hpp"
#include "runtime/output.hpp"
#include "runtime/plan.hpp"
#include "runtime/sync.hpp"
#include "util/fd.hpp"

namespace hutch::runtime {

// Takes over the signals hutch relays or reacts to: they are blocked and read from a
// signalfd. SIGPIPE is ignored and SIGCHLD set to its default (an ignored SIGCHLD
// inherited from the caller would make the kernel reap the sandbox's init before we
// can read its status). ORDER: created before clone3, so no signal can arrive between
// the clone and the first poll; the child resets all of this. Restores everything when
// destroyed, discarding signals that arrived for a sandbox that is gone.
class SignalRelay {
 public:
  SignalRelay();
  SignalRelay(const SignalRelay&) = delete;
  SignalRelay& operator=(const SignalRelay&) = delete;
  ~SignalRelay();
  int fd() const noexcept { return fd_.get(); }

 private:
  sigset_t old_mask_{};
  struct sigaction old_pipe_{};
  struct sigaction old_chld_{};
  UniqueFd fd_;
};

// Owns the sandbox's init until it has been reaped: any way out of the supervisor that
// did not reap it kills it, and with it every process of the sandbox.
class SandboxGuard {
 public:
  SandboxGuard(pid_t pid, UniqueFd pidfd) : pid_(pid), pidfd_(std::move(pidfd)) {}
  SandboxGuard(const SandboxGuard&) = delete;
  SandboxGuard& operator=(const SandboxGuard&) = delete;
  ~SandboxGuard();
  pid_t pid() const noexcept { return pid_; }
  int pidfd() const noexcept { return pidfd_.get(); }
  // waitid(P_PIDFD), with the resources init and every process it reaped used; false
  // when the status was already taken.
  bool reap(siginfo_t& info, rusage& usage);

 private:
  pid_t pid_;
  UniqueFd pidfd_;
  bool reaped_ = false;
};

// runs in: supervisor, after sync #1 until the sandbox is gone
// plan.init: the sandbox's pid 1 is hutch's init, which reports the command's status;
// without, pid 1 is the command and its own exit status is the command's. Enforces the
// wall-clock and CPU-time limits of plan.limits.
// cgroups (may be null): the run's own, for CPU time and statistics. output (may be
// null): the command's stdout and stderr, when they go through hutch. watched_policy
// (may be null): the policy's seccomp program, when the filter the payload installs
// watches the address-space calls (kProgramWatchAddressSpace).
Outcome supervise(SandboxGuard& sandbox, SyncChannel& sync, UniqueFd errors, const SignalRelay& signals,
                  const Plan& plan, const cgroup::RunCgroup* cgroups, OutputRelay* output,
                  const seccomp::Program* watched_policy);

}  // namespace hutch::runtime
