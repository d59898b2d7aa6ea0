// The sandbox's init: pid 1 of its pid namespace, the payload's parent.
//
// pid_namespaces(7): orphans of the sandbox are reparented to it, so it reaps them (no
// zombie outlives its parent); when it exits, the kernel kills everything left in the
// namespace. It forwards the signals the supervisor relays, reports the payload's wait
// status on the sync channel, and exits with the payload's code. It holds no
// capability and is not dumpable, so the payload can neither ptrace nor impersonate it.
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <new>

#include <fmt/format.h>

#include "caps/caps.hpp"
#include "landlock/landlock.hpp"
#include "runtime/context.hpp"
#include "runtime/pty.hpp"
#include "seccomp/compile.hpp"
#include "seccomp/observe.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/signals.hpp"
#include "util/sys.hpp"

#if defined(__SANITIZE_ADDRESS__)
#define HUTCH_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HUTCH_ASAN 1
#endif
#endif
#ifndef HUTCH_ASAN
#define HUTCH_ASAN 0
#endif

namespace hutch::runtime {
namespace {

void ignore_signal(int) {}

// runs in: init, before the payload exists
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

// runs in: init, after the payload has called execve. No allocation: see spawn_payload.
// init keeps only the fds in `keep` (ascending, above 2); its stdio becomes /dev/null so
// a reader of the payload's output sees EOF when the payload (not init) closes it.
void shed_fds(int null_fd, std::array<int, 4> keep) {
  for (int fd : {0, 1, 2}) {
    if (::dup2(null_fd, fd) < 0) throw_sys("dup2 /dev/null onto", "init's stdio");
  }
  std::sort(keep.begin(), keep.end());
  unsigned first = 3;
  for (int fd : keep) {
    if (fd < static_cast<int>(first)) continue;
    if (static_cast<unsigned>(fd) > first && ::close_range(first, static_cast<unsigned>(fd) - 1, 0) != 0) {
      throw_sys("close_range", "init's fds");
    }
    first = static_cast<unsigned>(fd) + 1;
  }
  if (::close_range(first, ~0U, 0) != 0) throw_sys("close_range", "init's fds");
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

// runs in: init
// What a terminal would do for the job the payload leads. The payload started a session
// of its own (setsid), so it leads a process group:
// - signals a terminal sends to its foreground job go to that whole group, so a ^C
//   relayed by hutch also stops the payload's children (a shell's `sleep`);
// - that group is orphaned (its parent, init, is in another session), and the kernel
//   discards the tty stop signals for orphaned groups (POSIX "orphaned process group";
//   kernel/signal.c, get_signal()): SIGTSTP/SIGTTIN/SIGTTOU become SIGSTOP, which stops.
// Other signals (SIGTERM, SIGUSR1, ...) are for the payload process itself, as with
// `kill PID` outside a sandbox. The payload may be gone already; SIGCHLD will tell.
void relay_to_payload(pid_t payload, int s) {
  switch (s) {
    case SIGINT:
    case SIGQUIT:
    case SIGHUP:
    case SIGCONT:
      ::kill(-payload, s);
      return;
    case SIGTSTP:
    case SIGTTIN:
    case SIGTTOU:
      ::kill(-payload, SIGSTOP);
      return;
    default:
      ::kill(payload, s);
  }
}

// runs in: init, once the payload is gone
// The CPU time init itself used, for the supervisor to take out of the sandbox's total.
void send_own_usage(SyncChannel& sync) {
  rusage self{};
  ::getrusage(RUSAGE_SELF, &self);
  const long long cpu_us = (self.ru_utime.tv_sec + self.ru_stime.tv_sec) * 1000000LL + self.ru_utime.tv_usec +
                           self.ru_stime.tv_usec;
  sync.send(SyncMsg::InitCpu, static_cast<std::int32_t>(std::clamp<long long>(cpu_us, 0, INT32_MAX)));
}

// runs in: init, for the rest of its life
[[noreturn]] void supervise_payload(ChildContext& ctx, pid_t payload, int sfd) {
  for (;;) {
    signalfd_siginfo info{};
    const std::size_t n = sys::read_some(sfd, &info, sizeof info, "init signalfd");
    if (n != sizeof info) throw Error("init: short read from signalfd", EIO);
    const int s = static_cast<int>(info.ssi_signo);
    int status = 0;
    if (s == SIGCHLD) {
      if (reap(payload, status)) {
        send_own_usage(ctx.sync);
        ctx.sync.send(SyncMsg::PayloadStatus, status);
        ::_exit(exit_code_of(status));
      }
      continue;
    }
    relay_to_payload(payload, s);
  }
}

// runs in: init, before sync #1
SeccompInstall receive_seccomp(SyncChannel& sync) {
  SyncMessage msg = sync.expect(SyncMsg::SeccompProgram);
  if (!msg.fd) throw Error("sync channel: SeccompProgram without an fd", EPROTO);
  struct stat st{};
  if (::fstat(msg.fd.get(), &st) != 0) throw_sys("fstat", "seccomp program memfd");
  const auto size = static_cast<std::size_t>(st.st_size);
  if (size == 0 || size % sizeof(sock_filter) != 0 || size / sizeof(sock_filter) > BPF_MAXINSNS) {
    throw Error(fmt::format("sync channel: a seccomp program of {} bytes", size), EPROTO);
  }
  SeccompInstall out;
  out.program.resize(size / sizeof(sock_filter));
  if (::pread(msg.fd.get(), out.program.data(), size, 0) != static_cast<ssize_t>(size)) {
    throw_sys("read", "seccomp program memfd");
  }
  out.notify = (msg.value & kProgramNotifies) != 0;
  // Without a listener the policy's own program runs, kill as KILL_PROCESS; nothing is watched.
  out.fallback = seccomp::without_notify(out.program);
  if (out.notify && (msg.value & kProgramWatchAddressSpace) != 0) {
    out.program = seccomp::watching(out.program, seccomp::address_space_calls());
  }
  return out;
}

struct PayloadStart {
  ChildContext* ctx;
  const PreparedExec* exec;
  int pty_slave;
};

int payload_entry(void* arg) {
  const auto* start = static_cast<const PayloadStart*>(arg);
  payload_main(*start->ctx, *start->exec, start->pty_slave);
}

// runs in: init
// Starts the payload the way posix_spawn(3) does: clone(CLONE_VM | CLONE_VFORK) on a
// stack of its own. Init's page tables are not copied, no copy-on-write fault follows,
// and init sleeps until the payload has called execve (or failed), which is when it
// has nothing to do anyway: about 2 ms per run (bench/startup).
// The price: until execve the payload runs in init's memory. It allocates nothing on
// its way (PreparedExec, raw syscalls); and should it die holding a lock of the C
// library (only possible on a failure path), init no longer needs that lock: after
// this call it only dup2s, closes, reads its signalfd and waits.
pid_t spawn_payload(ChildContext& ctx, const PreparedExec& exec, int pty_slave) {
#if HUTCH_ASAN
  // AddressSanitizer cannot follow a switch to a stack of our own (false reports on
  // stderr, which belongs to the payload): sanitizer builds fork instead, sharing the
  // fd table and waiting for execve all the same.
  const auto forked = static_cast<pid_t>(::syscall(SYS_clone, CLONE_FILES | CLONE_VFORK | SIGCHLD, nullptr, nullptr,
                                                   nullptr, 0));
  if (forked == 0) payload_main(ctx, exec, pty_slave);
  if (forked < 0) throw_sys("fork", "payload");
  return forked;
#endif
  constexpr std::size_t kStackSize = std::size_t{512} * 1024;
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  void* area = ::mmap(nullptr, kStackSize + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK,
                      -1, 0);
  if (area == MAP_FAILED) throw_sys("mmap", "payload stack");
  // A guard page below the stack: an overflow faults instead of writing init's memory.
  if (::mprotect(area, page, PROT_NONE) != 0) {
    ::munmap(area, kStackSize + page);
    throw_sys("mprotect", "payload stack guard");
  }
  PayloadStart start{&ctx, &exec, pty_slave};
  char* top = static_cast<char*>(area) + page + kStackSize;
  // CLONE_FILES: the seccomp listener the payload creates last is in init's table too.
  const pid_t pid = ::clone(payload_entry, top, CLONE_VM | CLONE_VFORK | CLONE_FILES | SIGCHLD, &start);
  const int err = errno;
  ::munmap(area, kStackSize + page);
  if (pid < 0) throw_errno(err, "clone", "payload");
  return pid;
}

// runs in: init, before the payload exists
// The files the payload will hold as fds 0-2, by the fds init holds them on: --stdin's
// file, the output pipes, or hutch's own 0-2 (-1 where the payload opens /dev/null).
// With -t all three are the sandbox's pty, which the /dev/pts rule covers.
std::array<landlock::OpenFile, 3> payload_stdio(const ChildContext& ctx) {
  if (ctx.plan.tty) return {};
  const StdioFds& s = ctx.stdio;
  const int in = s.in >= 0 ? s.in : (ctx.plan.interactive ? 0 : -1);
  return {landlock::OpenFile{in, "stdin"}, landlock::OpenFile{s.out >= 0 ? s.out : 1, "stdout"},
          landlock::OpenFile{s.err >= 0 ? s.err : 2, "stderr"}};
}

}  // namespace

PreparedExec prepare_exec(const Plan& plan) {
  PreparedExec exec;
  const std::string& cmd = plan.argv.front();
  if (cmd.find('/') != std::string::npos) {
    exec.candidates.push_back(cmd);
  } else {
    // execvp(3)'s search, but through the sandbox's PATH rather than hutch's own.
    std::string path;
    for (const std::string& kv : plan.env) {
      if (kv.rfind("PATH=", 0) == 0) path = kv.substr(5);
    }
    std::size_t pos = 0;
    while (pos <= path.size()) {
      const std::size_t end = std::min(path.find(':', pos), path.size());
      const std::string dir = path.substr(pos, end - pos);
      exec.candidates.push_back((dir.empty() ? std::string(".") : dir) + "/" + cmd);
      pos = end + 1;
    }
  }
  for (const std::string& a : plan.argv) exec.argv.push_back(const_cast<char*>(a.c_str()));
  exec.argv.push_back(nullptr);
  for (const std::string& e : plan.env) exec.envp.push_back(const_cast<char*>(e.c_str()));
  exec.envp.push_back(nullptr);
  return exec;
}

void run_init(ChildContext& ctx) {
  UniqueFd sfd = take_over_signals();
  PtyPair pty;
  if (ctx.plan.tty) pty = open_pty(ctx.plan.tty_size);
  const PreparedExec exec = prepare_exec(ctx.plan);
  UniqueFd null = sys::open("/dev/null", O_RDWR);
  void* page = ::mmap(nullptr, sizeof(PayloadShared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (page == MAP_FAILED) throw_sys("mmap", "page shared with the payload");
  ctx.shared = new (page) PayloadShared{};
  // ORDER: before the capability drop, which could only make opening the rules' paths
  // (O_PATH: search permission on the way) fail where the mounts themselves worked.
  if (!ctx.plan.landlock.empty()) ctx.landlock = landlock::build_ruleset(ctx.plan.landlock, payload_stdio(ctx));
  // SECURITY: no capability is left in the sandbox before untrusted code runs in it:
  // the payload inherits these empty sets and no_new_privs, and checks them itself.
  caps::drop_all();
  caps::set_no_new_privs();
  ctx.seccomp = receive_seccomp(ctx.sync);
  ctx.sync.expect(SyncMsg::SupervisorReady);  // sync #1: outside setup done, the payload may start
  if (pty.master) ctx.sync.send(SyncMsg::PtyMaster, 0, pty.master.get());
  if (!ctx.plan.init) {
    // No init (policy `init: false`, --no-init): the command becomes pid 1 itself. The
    // supervisor then takes this process's own exit status as the command's.
    log::debug("init: none, the command is pid 1");
    payload_main(ctx, exec, pty.slave.get());
  }
  log::debug("init: starting the payload");
  const pid_t payload = spawn_payload(ctx, exec, pty.slave.get());
  // The payload has called execve (or failed); from here on nothing allocates.
  if (ctx.shared->listener_fd >= 0) {
    ctx.sync.send(SyncMsg::SeccompListener, 0, ctx.shared->listener_fd);  // closed below with the rest
  }
  pty.master.reset();
  pty.slave.reset();
  ctx.landlock.reset();
  log::set_fd(-1);  // init logs no more: a log line would allocate
  shed_fds(null.get(), {ctx.sync.fd(), sfd.get(), ctx.error_write.get(), -1});
  (void)null.release();  // shed_fds closed it with every other fd not kept
  // sync #2: the payload's copy closed on execve; with ours gone too, EOF tells the
  // supervisor that nothing is left to report.
  ctx.error_write.reset();
  supervise_payload(ctx, payload, sfd.get());
}

}  // namespace hutch::runtime
