// The sandbox's init: pid 1 of its pid namespace, the payload's parent.
//
// pid_namespaces(7): orphans of the sandbox are reparented to it, so it reaps them (no
// zombie outlives its parent); when it exits, the kernel kills everything left in the
// namespace. It forwards the signals the supervisor relays, reports the payload's wait
// status on the sync channel, and exits with the payload's code. It holds no
// capability and is not dumpable, so the payload can neither ptrace nor impersonate it.
#include <fcntl.h>
#include <signal.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

#include "caps/caps.hpp"
#include "runtime/context.hpp"
#include "runtime/pty.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/signals.hpp"
#include "util/sys.hpp"

namespace hutch::runtime {
namespace {

void ignore_signal(int) {}

// pid_namespaces(7): pid 1 only receives the signals it has a handler for, even from
// the parent namespace. Give every signal a handler, block them all, read them from
// a signalfd.
UniqueFd take_over_signals() {
  sig::set_all_dispositions(ignore_signal);
  sigset_t all;
  sigfillset(&all);
  if (::sigprocmask(SIG_BLOCK, &all, nullptr) != 0) throw_sys("sigprocmask", "init");
  UniqueFd sfd(::signalfd(-1, &all, SFD_CLOEXEC));
  if (!sfd) throw_sys("signalfd", "init");
  return sfd;
}

// init keeps only the sync channel and its signalfd; its stdio becomes /dev/null so a
// reader of the payload's output sees EOF when the payload (not init) closes it.
void shed_fds(const std::vector<int>& keep) {
  UniqueFd null = sys::open("/dev/null", O_RDWR);
  for (int fd : {0, 1, 2}) {
    if (::dup2(null.get(), fd) < 0) throw_sys("dup2 /dev/null onto", std::to_string(fd));
  }
  null.reset();
  std::vector<int> sorted = keep;
  std::sort(sorted.begin(), sorted.end());
  unsigned first = 3;
  for (int fd : sorted) {
    if (static_cast<unsigned>(fd) > first) ::close_range(first, static_cast<unsigned>(fd) - 1, 0);
    first = static_cast<unsigned>(fd) + 1;
  }
  ::close_range(first, ~0U, 0);
}

int exit_code_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return kExitSetupFailed;
}

// Reaps every exited child; returns true (and fills status) when the payload was one.
bool reap(pid_t payload, int& payload_status) {
  bool payload_done = false;
  for (;;) {
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid <= 0) break;
    if (pid == payload) {
      payload_status = status;
      payload_done = true;
    }
  }
  return payload_done;
}

[[noreturn]] void supervise_payload(ChildContext& ctx, pid_t payload, int sfd) {
  for (;;) {
    signalfd_siginfo info{};
    const std::size_t n = sys::read_some(sfd, &info, sizeof info, "init signalfd");
    if (n != sizeof info) throw Error("init: short read from signalfd", EIO);
    const int sig = static_cast<int>(info.ssi_signo);
    int status = 0;
    if (sig == SIGCHLD) {
      if (reap(payload, status)) {
        ctx.sync.send(SyncMsg::PayloadStatus, status);
        ::_exit(exit_code_of(status));
      }
      continue;
    }
    ::kill(payload, sig);  // the payload may already be gone; the SIGCHLD will tell
  }
}

struct PayloadStart {
  ChildContext* ctx;
  int pty_slave;
};

int payload_entry(void* arg) {
  auto* start = static_cast<PayloadStart*>(arg);
  payload_main(*start->ctx, start->pty_slave);
}

// Starts the payload the way posix_spawn(3) does: clone(CLONE_VM | CLONE_VFORK) on a
// stack of its own. Init's page tables are not copied, no copy-on-write fault follows,
// and init sleeps until the payload has called execve (or failed), which is when it
// has nothing to do anyway. Worth about a millisecond per run (bench/startup).
// The payload runs in init's memory until execve: it only writes its own stack and
// the heap, and init, single-threaded and suspended, holds no lock meanwhile.
pid_t spawn_payload(ChildContext& ctx, int pty_slave) {
  constexpr std::size_t kStackSize = 512 * 1024;
  void* stack = ::mmap(nullptr, kStackSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (stack == MAP_FAILED) throw_sys("mmap", "payload stack");
  PayloadStart start{&ctx, pty_slave};
  const pid_t pid = ::clone(payload_entry, static_cast<char*>(stack) + kStackSize, CLONE_VM | CLONE_VFORK | SIGCHLD,
                            &start);
  const int err = errno;
  ::munmap(stack, kStackSize);
  if (pid < 0) throw_errno(err, "clone", "payload");
  return pid;
}

}  // namespace

void run_init(ChildContext& ctx) {
  UniqueFd sfd = take_over_signals();
  PtyPair pty;
  if (ctx.plan.tty) pty = open_pty(ctx.plan.tty_size);
  ctx.sync.expect(SyncMsg::SupervisorReady);  // sync #1: outside setup done, the payload may start
  const pid_t payload = spawn_payload(ctx, pty.slave.get());
  log::debug("init: payload is pid {}", payload);
  // sync #2: the payload holds the only write end of the error pipe from now on; EOF on
  // it tells the supervisor that execve succeeded.
  ctx.error_write.reset();
  if (pty.master) ctx.sync.send(SyncMsg::PtyMaster, 0, pty.master.get());
  pty = PtyPair{};
  // From here on, init's own failures end the sandbox (kill the payload) and are
  // reported as the status of the init itself.
  try {
    shed_fds({ctx.sync.fd(), sfd.get()});
    caps::drop_all();
    caps::set_no_new_privs();
  } catch (...) {
    ::kill(payload, SIGKILL);
    throw;
  }
  supervise_payload(ctx, payload, sfd.get());
}

}  // namespace hutch::runtime
