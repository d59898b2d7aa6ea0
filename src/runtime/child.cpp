// The launch sequence (STYLE.md section 5; a change of order changes both places):
//  1. supervisor: build the Plan, check the root filesystem and bind sources (bad input
//     fails here, before anything exists), create the sync channel and error pipe, and
//     the run's cgroups (on cgroup v2 hutch may first move itself out of its cgroup).
//  2. supervisor: clone3(CLONE_NEWUSER|NEWNS|NEWPID|NEWNET|NEWIPC|NEWUTS|NEWCGROUP|PIDFD),
//     with CLONE_INTO_CGROUP into the run's cgroup v2 leaf when there is one, still
//     single-threaded; then, while the child works, place it in the run's cgroup v1
//     cgroups, resolve and compile the seccomp filter and send it (SeccompProgram, a
//     memfd), and send sync #1 SupervisorReady. A filter libseccomp refuses ends the
//     run here, the guard killing the child.
//  3. child (pid 1): set the parent-death signal, start a session, write its own
//     setgroups=deny, gid_map and uid_map, forbid nested user namespaces, become
//     non-dumpable.
//  4. child: open the host paths to mount (checked against what the supervisor found),
//     make / private, assemble the root, pivot_root, detach the old root, seal it
//     read-only, set the hostname and loopback.
//  5. init (the child, from here on): open the pty (-t), prepare the command's argv and
//     envp, build the Landlock ruleset (the plan's rules, each path opened; none when
//     the kernel has no Landlock), drop every capability set and set no_new_privs,
//     receive the seccomp program, wait for sync #1, start the payload
//     (CLONE_VM|CLONE_VFORK|CLONE_FILES: init sleeps until execve), pass the seccomp
//     listener the payload left in the shared fd table to the supervisor
//     (SeccompListener), point its own stdio at /dev/null, close its copy of the error
//     pipe and stay as the init.
//  6. payload: stay non-dumpable (saying so itself), reset signals, setsid, stdio,
//     chdir, close every fd but 0-2 on exec, rlimits, check that no capability is left
//     and no_new_privs is set, enter the Landlock ruleset, install the seccomp filter
//     (with a listener when its kill action notifies), execve. Success closes the
//     error pipe on exec (sync #2: EOF means it runs); a failure writes
//     {kind, errno, text} to it.
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <exception>

#include "mount/assemble.hpp"
#include "ns/net.hpp"
#include "ns/userns.hpp"
#include "ns/uts.hpp"
#include "runtime/context.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/sys.hpp"

namespace hutch::runtime {

void report_current_exception(int error_fd, FailureKind kind) noexcept {
  try {
    throw;
  } catch (const Error& e) {
    write_failure(error_fd, Failure{kind, e.sys_errno(), e.message()});
  } catch (const std::exception& e) {
    write_failure(error_fd, Failure{kind, 0, std::string("internal error: ") + e.what()});
  } catch (...) {
    write_failure(error_fd, Failure{kind, 0, "internal error: unknown exception"});
  }
}

namespace {

// runs in: child, before pivot_root
void build_root(const Plan& plan) {
  const mount::Sources sources = mount::open_sources(plan.root, plan.mounts);
  mount::make_private_recursive();
  mount::Root root = mount::prepare_root(plan.root, sources);
  mount::apply_steps(root.fd.get(), plan.mounts, sources);
  mount::finish_root(root);
  mount::pivot_into(root.fd.get());
}

// runs in: child, after the id maps, before pivot_root
// SECURITY: inside its own user namespace the payload could create another one and
// hold every capability there, reaching kernel code (mount, netfilter, keyrings...)
// that is otherwise closed to it. user.max_user_namespaces is a limit of our user
// namespace (namespaces(7), /proc/sys/user): 0 forbids nesting for everything inside.
void forbid_nested_user_namespaces() {
  const int raw = ::open("/proc/sys/user/max_user_namespaces", O_WRONLY | O_CLOEXEC);
  if (raw < 0 && errno == EROFS) {
    throw Error("cannot forbid nested user namespaces: /proc/sys is read-only here (inside another sandbox?); "
                "hutch will not run with them allowed unless asked (--allow-nested-userns)",
                EROFS);
  }
  if (raw < 0) throw_sys("open", "/proc/sys/user/max_user_namespaces");
  UniqueFd fd(raw);
  sys::write_all(fd.get(), "0\n", "/proc/sys/user/max_user_namespaces");
  log::debug("userns: nesting forbidden (max_user_namespaces=0)");
}

}  // namespace

// runs in: child (pid 1 of the new pid namespace); never returns
void child_main(ChildContext& ctx) noexcept {
  try {
    // ORDER: the parent-death signal first, so that a supervisor killed from here on
    // takes the whole sandbox with it (pid 1 dying empties the pid namespace). One that
    // died before this line has closed its end of the sync channel.
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) throw_sys("prctl", "PR_SET_PDEATHSIG");
    if (ctx.sync.peer_gone()) ::_exit(kExitSetupFailed);
    // A session of its own: signals for hutch's process group (^C on a terminal, kill
    // -- -PGID) reach the sandbox once, relayed by the supervisor, not also directly.
    if (::setsid() < 0) throw_sys("setsid", "sandbox init");
    ns::write_own_id_maps(ctx.plan.uid_map, ctx.plan.gid_map);
    if (!ctx.plan.allow_nested_userns) forbid_nested_user_namespaces();
    // SECURITY: not dumpable from here on, so the payload cannot ptrace its init or read
    // its memory through /proc/1 (ptrace(2), "ptrace access mode checking"). ORDER: after
    // the id maps: a non-dumpable process's /proc/self files belong to root.
    if (::prctl(PR_SET_DUMPABLE, 0) != 0) throw_sys("prctl", "PR_SET_DUMPABLE");
    build_root(ctx.plan);
    ns::set_hostname(ctx.plan.hostname);
    if (ctx.plan.network == policy::Network::Loopback) ns::bring_loopback_up();
    run_init(ctx);
  } catch (...) {
    report_current_exception(ctx.error_write.get(), FailureKind::Setup);
  }
  ::_exit(kExitSetupFailed);
}

}  // namespace hutch::runtime
