// The supervisor: hutch's own process, outside every namespace of the sandbox. It
// creates the sandbox (steps 1-2 of the launch sequence in child.cpp), relays signals
// and the terminal, and waits for the sandbox's init through a pidfd.
#include "runtime/launcher.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <optional>

#include <fmt/format.h>

#include "runtime/context.hpp"
#include "runtime/terminal.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/sys.hpp"

namespace hutch::runtime {
namespace {

// Signals a user or an orchestrator sends to hutch, relayed to the payload via init.
constexpr std::array<int, 6> kRelayed{SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2};

// Blocks the relayed signals and SIGWINCH (read from a signalfd instead) and ignores
// SIGPIPE for the supervisor's lifetime. ORDER: before clone3, so no signal can arrive
// between the clone and the first poll; the child resets all of this.
class SignalRelay {
 public:
  SignalRelay() {
    sigset_t set;
    sigemptyset(&set);
    for (int sig : kRelayed) sigaddset(&set, sig);
    sigaddset(&set, SIGWINCH);
    if (::sigprocmask(SIG_BLOCK, &set, &old_mask_) != 0) throw_sys("sigprocmask", "supervisor");
    fd_.reset(::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
    if (!fd_) throw_sys("signalfd", "supervisor");
    struct sigaction ign{};
    ign.sa_handler = SIG_IGN;
    ::sigaction(SIGPIPE, &ign, &old_pipe_);
  }
  SignalRelay(const SignalRelay&) = delete;
  SignalRelay& operator=(const SignalRelay&) = delete;
  ~SignalRelay() {
    fd_.reset();
    ::sigaction(SIGPIPE, &old_pipe_, nullptr);
    ::sigprocmask(SIG_SETMASK, &old_mask_, nullptr);
  }
  int fd() const noexcept { return fd_.get(); }

 private:
  sigset_t old_mask_{};
  struct sigaction old_pipe_{};
  UniqueFd fd_;
};

// Owns the sandbox's init until it has been reaped: any way out of the supervisor that
// did not reap it kills it, and with it every process of the sandbox.
class SandboxGuard {
 public:
  SandboxGuard(pid_t pid, UniqueFd pidfd) : pid_(pid), pidfd_(std::move(pidfd)) {}
  SandboxGuard(const SandboxGuard&) = delete;
  SandboxGuard& operator=(const SandboxGuard&) = delete;
  ~SandboxGuard() {
    if (reaped_) return;
    try {
      sys::pidfd_send_signal(pidfd_.get(), SIGKILL);
    } catch (const Error&) {  // destructors never throw; waitid below still reaps
    }
    siginfo_t info{};
    sys::retry_eintr([&] { return ::waitid(P_PIDFD, static_cast<id_t>(pidfd_.get()), &info, WEXITED); });
  }
  pid_t pid() const noexcept { return pid_; }
  int pidfd() const noexcept { return pidfd_.get(); }
  siginfo_t reap() {
    siginfo_t info{};
    if (sys::retry_eintr([&] { return ::waitid(P_PIDFD, static_cast<id_t>(pidfd_.get()), &info, WEXITED); }) != 0) {
      throw_sys("waitid", "sandbox init");
    }
    reaped_ = true;
    return info;
  }

 private:
  pid_t pid_;
  UniqueFd pidfd_;
  bool reaped_ = false;
};

struct Collected {
  std::string failure_bytes;          // what the error pipe carried
  std::optional<int> payload_status;  // wait status, from init
};

class Supervisor {
 public:
  Supervisor(const Plan& plan, SandboxGuard& sandbox, SyncChannel& sync, UniqueFd errors, int signal_fd)
      : sandbox_(sandbox), sync_(sync), errors_(std::move(errors)), signal_fd_(signal_fd),
        terminal_(plan.interactive) {}

  Outcome run() {
    while (!init_exited_) poll_once();
    terminal_.drain();
    terminal_.restore();
    drain_errors();
    drain_sync();
    Outcome out = outcome(sandbox_.reap());
    log::debug("supervisor: sandbox gone");
    return out;
  }

 private:
  void poll_once() {
    std::vector<pollfd> fds{{sandbox_.pidfd(), POLLIN, 0},
                            {signal_fd_, POLLIN, 0},
                            {sync_.fd(), POLLIN, 0},
                            {errors_.get(), POLLIN, 0}};
    terminal_.add_pollfds(fds);
    if (sys::retry_eintr([&] { return ::poll(fds.data(), fds.size(), -1); }) < 0) throw_sys("poll", "supervisor");
    if (fds[1].revents != 0) on_signal();
    if (fds[2].revents != 0) on_sync();
    if (fds[3].revents != 0) on_errors();
    terminal_.handle(fds);
    if (fds[0].revents != 0) {
      log::debug("supervisor: init exited");
      init_exited_ = true;
    }
  }

  void on_signal() {
    signalfd_siginfo info{};
    while (::read(signal_fd_, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
      const int sig = static_cast<int>(info.ssi_signo);
      if (sig == SIGWINCH) {
        terminal_.resize();
        continue;
      }
      log::debug("supervisor: relaying {}", ::sigabbrev_np(sig));
      sys::pidfd_send_signal(sandbox_.pidfd(), sig);
    }
  }

  void on_sync() {
    std::optional<SyncMessage> msg = sync_.receive();
    if (!msg) {
      sync_.close();
      return;
    }
    switch (msg->type) {
      case SyncMsg::PtyMaster:
        if (!msg->fd) throw Error("sync channel: PtyMaster without an fd", EPROTO);
        terminal_.attach(std::move(msg->fd));
        terminal_.resize();
        break;
      case SyncMsg::PayloadStatus:
        collected_.payload_status = msg->value;
        break;
      case SyncMsg::SupervisorReady:
        throw Error("sync channel: unexpected SupervisorReady from the sandbox", EPROTO);
    }
  }

  void on_errors() {
    char buf[4096];
    const std::size_t n = sys::read_some(errors_.get(), buf, sizeof buf, "error pipe");
    if (n == 0) {
      errors_.reset();  // sync #2: EOF, the payload ran execve (or the sandbox is gone)
      return;
    }
    collected_.failure_bytes.append(buf, n);
  }

  // The init has exited, and with it every process of its pid namespace
  // (pid_namespaces(7)); every write end is closed, so these reads end at EOF.
  void drain_errors() {
    while (errors_) on_errors();
  }
  void drain_sync() {
    while (sync_.fd() >= 0) on_sync();
  }

  Outcome outcome(const siginfo_t& init) const;

  SandboxGuard& sandbox_;
  SyncChannel& sync_;
  UniqueFd errors_;
  int signal_fd_;
  TerminalRelay terminal_;
  Collected collected_;
  bool init_exited_ = false;
};

Outcome Supervisor::outcome(const siginfo_t& init) const {
  Outcome out;
  if (std::optional<Failure> failure = parse_failure(collected_.failure_bytes)) {
    out.status = Outcome::Status::SetupError;
    out.sys_errno = failure->sys_errno;
    out.message = failure->message;
    if (failure->kind == FailureKind::Exec) {
      out.exit_code = failure->sys_errno == ENOENT ? kExitNotFound : kExitCannotExecute;
    } else {
      out.exit_code = kExitSetupFailed;
    }
    return out;
  }
  if (collected_.payload_status) {
    const int st = *collected_.payload_status;
    if (WIFSIGNALED(st)) {
      out.status = Outcome::Status::Signaled;
      out.signal = WTERMSIG(st);
    } else {
      out.status = Outcome::Status::Exited;
      out.exit_code = WEXITSTATUS(st);
    }
    return out;
  }
  if (init.si_code == CLD_KILLED || init.si_code == CLD_DUMPED) {
    out.status = Outcome::Status::Signaled;
    out.signal = init.si_status;
    out.message = fmt::format("the sandbox's init was killed by {}", ::sigabbrev_np(init.si_status));
    return out;
  }
  out.status = Outcome::Status::SetupError;
  out.exit_code = kExitSetupFailed;
  out.message = fmt::format("the sandbox's init exited with status {} before reporting the command's status",
                            init.si_status);
  return out;
}

UniqueFd duplicate_log_fd() {
  // Child and payload log to a private copy of stderr that closes on execve: fds 0-2
  // belong to the payload (STYLE.md section 6).
  return UniqueFd(::fcntl(log::fd(), F_DUPFD_CLOEXEC, 3));
}

}  // namespace

int exit_status(const Outcome& outcome) {
  switch (outcome.status) {
    case Outcome::Status::Exited:
      return outcome.exit_code;
    case Outcome::Status::Signaled:
      return 128 + outcome.signal;
    case Outcome::Status::SetupError:
      return outcome.exit_code != 0 ? outcome.exit_code : kExitSetupFailed;
  }
  return kExitSetupFailed;
}

Outcome launch(const Plan& plan) {
  SignalRelay signals;
  auto [sync, child_sync] = SyncChannel::create_pair();
  Pipe errors = Pipe::create();
  UniqueFd log_fd = duplicate_log_fd();
  log::debug("launch: clone3 flags {:#x}", plan.clone_flags);
  sys::CloneResult clone = sys::clone3_with_pidfd(plan.clone_flags);
  if (clone.pid == 0) {
    // runs in: child, straight after clone3; nothing here returns
    if (log_fd) log::set_fd(log_fd.get());
    sync.close();  // else the child would never see EOF should the supervisor die
    errors.read.reset();
    ChildContext ctx{plan, std::move(child_sync), std::move(errors.write)};
    child_main(ctx);
  }
  SandboxGuard sandbox(clone.pid, std::move(clone.pidfd));
  child_sync.close();
  errors.write.reset();
  // Work outside the sandbox that must be done before the payload runs goes here; the
  // child assembles its root meanwhile and waits for this message only before forking
  // the payload.
  sync.send(SyncMsg::SupervisorReady);  // sync #1: nothing outside is left to do
  Supervisor supervisor(plan, sandbox, sync, std::move(errors.read), signals.fd());
  return supervisor.run();
}

}  // namespace hutch::runtime
