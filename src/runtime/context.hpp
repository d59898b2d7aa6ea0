// What the child and the payload inherit from the supervisor across clone3: the plan
// (a copy of the supervisor's memory), their end of the sync channel, the error pipe
// and the log fd. Private to runtime/.
#pragma once

#include "runtime/launcher.hpp"
#include "runtime/plan.hpp"
#include "runtime/sync.hpp"

#include <string>
#include <vector>
#include "util/fd.hpp"

namespace hutch::runtime {

// What the payload leaves for init on its way to execve, in a MAP_SHARED page (the
// payload shares init's memory only in non-sanitizer builds).
struct PayloadShared {
  int listener_fd = -1;     // the seccomp listener, in the fd table it shares with init
  int listener_errno = 0;   // why there is none, when the kernel refused one
};

// The filter the payload installs, as the supervisor sent it (SeccompProgram).
struct SeccompInstall {
  seccomp::Program program;
  seccomp::Program fallback;  // kill as KILL_PROCESS, for when no listener can be had
  bool notify = false;        // `program` returns USER_NOTIF: install it with a listener
};

// The command's standard streams as fd numbers inherited across clone3 (O_CLOEXEC:
// the payload dup2()s them onto 0-2); -1 leaves hutch's own.
struct StdioFds {
  int in = -1;
  int out = -1;
  int err = -1;
};

struct ChildContext {
  const Plan& plan;
  SyncChannel sync;      // child end
  UniqueFd error_write;  // write end of the O_CLOEXEC error pipe (sync #2)
  PayloadShared* shared = nullptr;
  SeccompInstall seccomp;
  StdioFds stdio;
  // The Landlock ruleset the payload enters (O_CLOEXEC); empty without Landlock.
  UniqueFd landlock;
};

// runs in: child (pid 1 of the new pid namespace); never returns
[[noreturn]] void child_main(ChildContext& ctx) noexcept;

// The command, made ready for execve(2) by init before the payload exists: the payload
// shares init's memory until execve and must not allocate on its way there.
struct PreparedExec {
  std::vector<std::string> candidates;  // paths to try in order (PATH search done here)
  std::vector<char*> argv;              // null-terminated, pointing into the plan
  std::vector<char*> envp;
};
PreparedExec prepare_exec(const Plan& plan);

// runs in: child, after pivot_root; starts the payload and stays as its init
[[noreturn]] void run_init(ChildContext& ctx);

// runs in: payload (started by init with CLONE_VM|CLONE_VFORK), after pivot_root;
// never returns. Allocates nothing until execve, failures excepted.
[[noreturn]] void payload_main(ChildContext& ctx, const PreparedExec& exec, int pty_slave) noexcept;

// Reports an exception on the error pipe; never throws.
void report_current_exception(int error_fd, FailureKind kind) noexcept;

}  // namespace hutch::runtime
