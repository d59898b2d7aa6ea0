// The payload: the process that becomes the user's command.
//
// Started by init with CLONE_VM|CLONE_VFORK after pivot_root, it sheds what it
// inherited before execve: signal state, session and terminal, working directory,
// every fd but 0-2; it checks that no capability is left and no_new_privs is set.
// Until execve it runs in init's memory, so its way there allocates nothing: only raw
// syscalls on data init prepared. Failures are written to the error pipe.
#include <fcntl.h>
#include <signal.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fmt/format.h>

#include "caps/caps.hpp"
#include "landlock/landlock.hpp"
#include "limits/rlimits.hpp"
#include "runtime/context.hpp"
#include "util/error.hpp"
#include "util/signals.hpp"

namespace hutch::runtime {
namespace {

// runs in: payload
// Blocked and ignored signals survive execve(2); the command starts with defaults,
// except for what the caller itself ignored (nohup): that stays ignored.
void reset_signals(const Plan& plan) {
  sig::set_all_dispositions(SIG_DFL);
  struct sigaction ign{};
  ign.sa_handler = SIG_IGN;
  for (int s : plan.ignored_signals) ::sigaction(s, &ign, nullptr);
  sigset_t none;
  sigemptyset(&none);
  if (::sigprocmask(SIG_SETMASK, &none, nullptr) != 0) throw_sys("sigprocmask", "payload");
}

// runs in: payload
// SECURITY: setsid(2) leaves the caller's controlling terminal behind, so TIOCSTI on an
// inherited terminal fd fails with EPERM (the bubblewrap CVE-2017-5226 class). With -t
// the payload's terminal is a pty of the sandbox's own devpts.
void setup_session_and_stdio(const Plan& plan, const StdioFds& stdio, int pty_slave) {
  // Without an init the payload is the sandbox's first process, a session leader already.
  if (::getsid(0) != ::getpid() && ::setsid() < 0) throw_sys("setsid", "payload");
  if (plan.tty) {
    if (::ioctl(pty_slave, TIOCSCTTY, 0) != 0) throw_sys("make controlling terminal", "pty");
    for (int target : {0, 1, 2}) {
      if (::dup2(pty_slave, target) < 0) throw_sys("dup2 pty onto", "stdio");
    }
    return;  // the original is O_CLOEXEC and goes at execve
  }
  if (stdio.in >= 0) {
    if (::dup2(stdio.in, 0) < 0) throw_sys("dup2 --stdin onto", "stdin");
  } else if (!plan.interactive) {
    const int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null < 0 || ::dup2(null, 0) < 0) throw_sys("open /dev/null as", "stdin");
    ::close(null);  // not a UniqueFd: nothing here may allocate or unwind
  }
  if (stdio.out >= 0 && ::dup2(stdio.out, 1) < 0) throw_sys("dup2 the output pipe onto", "stdout");
  if (stdio.err >= 0 && ::dup2(stdio.err, 2) < 0) throw_sys("dup2 the output pipe onto", "stderr");
}

// runs in: payload; returns only on failure, with errno set as execvp(3) would
int exec_command(const PreparedExec& exec) {
  int err = ENOENT;
  for (const std::string& candidate : exec.candidates) {
    ::execve(candidate.c_str(), exec.argv.data(), exec.envp.data());
    if (errno == EACCES) {
      err = EACCES;
    } else if (errno != ENOENT && errno != ENOTDIR) {
      return errno;
    }
  }
  return err;
}

[[noreturn]] void fail_exec(const Plan& plan, const PreparedExec& exec, int err) {
  const std::string& cmd = plan.argv.front();
  if (err == ENOENT && exec.candidates.size() > 1) {
    std::string path;
    for (const std::string& kv : plan.env) {
      if (kv.rfind("PATH=", 0) == 0) path = kv.substr(5);
    }
    throw Error(fmt::format("exec {}: command not found (PATH={})", cmd, path), err);
  }
  throw Error(fmt::format("exec {}: {}", cmd, describe_errno(err)), err);
}

// runs in: payload, last before execve
// SECURITY: from here on every system call, execve included, goes through the filter.
// With a listener, the fd lands in the fd table init shares until execve (CLONE_FILES;
// execve(2) gives the payload a copy of its own and closes the O_CLOEXEC listener there),
// so no call the filter might refuse is needed to hand it over (docs/seccomp.md).
void install_seccomp(const SeccompInstall& filter, PayloadShared* shared) {
  const seccomp::Program& code = filter.program;
  sock_fprog prog{static_cast<unsigned short>(code.size()), const_cast<sock_filter*>(code.data())};
  // SECURITY: a notifying program without a listener would turn kill into ENOSYS;
  // without one, the fallback (kill as KILL_PROCESS) is installed instead.
  if (filter.notify && shared != nullptr) {
    const long fd = ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
    if (fd >= 0) {
      shared->listener_fd = static_cast<int>(fd);
      return;
    }
    // EBUSY: a filter above ours has a listener already (hutch inside a sandbox that
    // uses one); only one may exist. Kill actions then kill the process instead.
    if (errno != EBUSY) throw_sys("install", "seccomp filter with a listener");
    shared->listener_errno = errno;
    prog = sock_fprog{static_cast<unsigned short>(filter.fallback.size()),
                      const_cast<sock_filter*>(filter.fallback.data())};
  } else if (filter.notify) {
    prog = sock_fprog{static_cast<unsigned short>(filter.fallback.size()),
                      const_cast<sock_filter*>(filter.fallback.data())};
  }
  if (::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) throw_sys("install", "seccomp filter");
}

}  // namespace

void payload_main(ChildContext& ctx, const PreparedExec& exec, int pty_slave) noexcept {
  FailureKind kind = FailureKind::Setup;
  try {
    const Plan& plan = ctx.plan;
    // SECURITY: until execve this process is hutch's code, holding hutch's fds (the
    // sync channel, the error pipe, the Landlock ruleset) and, with CLONE_VM, init's
    // memory: not dumpable, so no process of the sandbox may ptrace it or read its
    // /proc/PID/mem (ptrace(2), "ptrace access mode checking"). It inherits that from
    // init already (the same mm, or a copy whose dumpability dup_mm keeps); it says so
    // itself, whatever started it. execve(2) gives the command the kernel's default.
    if (::prctl(PR_SET_DUMPABLE, 0) != 0) throw_sys("prctl", "PR_SET_DUMPABLE");
    reset_signals(plan);
    setup_session_and_stdio(plan, ctx.stdio, pty_slave);
    if (::chdir(plan.workdir.c_str()) != 0) throw_sys("chdir to workdir", plan.workdir);
    // Every fd but 0-2 closes on execve; the error pipe stays open until then (sync #2).
    if (::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) != 0) throw_sys("close_range", "3..");
    // Only lowering: no capability is needed, and a value above the hard limit fails here.
    limits::apply_rlimits(plan.limits.rlimits);
    caps::verify_unprivileged();
    // ORDER: landlock_restrict_self(2) needs no_new_privs (or CAP_SYS_ADMIN, gone), and
    // comes before seccomp so that the filter never has to allow Landlock's calls.
    if (ctx.landlock) landlock::restrict_self(ctx.landlock.get());
    install_seccomp(ctx.seccomp, ctx.shared);
    kind = FailureKind::Exec;
    fail_exec(plan, exec, exec_command(exec));
  } catch (...) {
    report_current_exception(ctx.error_write.get(), kind);
  }
  ::_exit(kind == FailureKind::Exec ? kExitNotFound : kExitSetupFailed);
}

}  // namespace hutch::runtime
