#include "runtime/supervisor.hpp"

#include <poll.h>
#include <seccomp.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "limits/address_space.hpp"
#include "runtime/terminal.hpp"
#include "seccomp/describe.hpp"
#include "seccomp/observe.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/sys.hpp"

namespace hutch::runtime {
namespace {

// Signals a user or an orchestrator sends to hutch, relayed to the payload via init.
constexpr std::array<int, 7> kRelayed{SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGALRM};

bool is_ignored(int s) {
  struct sigaction sa{};
  return ::sigaction(s, nullptr, &sa) == 0 && sa.sa_handler == SIG_IGN;
}

// A signal the caller ignores (nohup, a background job) is left alone: blocked, it would
// be queued on the signalfd and relayed anyway.
sigset_t supervised_signals() {
  sigset_t set;
  sigemptyset(&set);
  for (int s : kRelayed) {
    if (!is_ignored(s)) sigaddset(&set, s);
  }
  // SIGWINCH resizes the pty; SIGTSTP and SIGCONT suspend and resume the whole run.
  for (int s : {SIGWINCH, SIGTSTP, SIGCONT}) {
    if (!is_ignored(s)) sigaddset(&set, s);
  }
  return set;
}

bool is_relayed(int s) {
  for (int r : kRelayed) {
    if (r == s) return true;
  }
  return false;
}

using Clock = std::chrono::steady_clock;

std::chrono::milliseconds ms_of(const timeval& tv) {
  return std::chrono::milliseconds(static_cast<long long>(tv.tv_sec) * 1000 + tv.tv_usec / 1000);
}

Outcome::Usage usage_of(const rusage& ru) {
  Outcome::Usage u;
  u.cpu_time = ms_of(ru.ru_utime) + ms_of(ru.ru_stime);
  u.max_rss_bytes = static_cast<std::uint64_t>(ru.ru_maxrss) * 1024;  // the kernel counts in KiB
  u.voluntary_switches = static_cast<std::uint64_t>(ru.ru_nvcsw);
  u.forced_switches = static_cast<std::uint64_t>(ru.ru_nivcsw);
  return u;
}

struct Collected {
  std::string failure_bytes;          // what the error pipe carried
  std::optional<int> payload_status;  // wait status, from init
  std::optional<seccomp::Violation> violation;  // the first call the filter's kill action stopped
  std::optional<Outcome::Usage> usage;
  std::optional<std::chrono::milliseconds> run_time;
  std::optional<std::chrono::microseconds> init_cpu;  // init's own (SyncMsg::InitCpu), taken out of the total
  std::optional<limits::AddressSpaceRequest> past_memory;  // the first watched call past RLIMIT_AS
};

class Supervisor {
 public:
  Supervisor(SandboxGuard& sandbox, SyncChannel& sync, UniqueFd errors, int signal_fd, const Plan& plan,
             const cgroup::RunCgroup* cgroups, OutputRelay* output, const seccomp::Program* watched_policy)
      : sandbox_(sandbox), sync_(sync), errors_(std::move(errors)), signal_fd_(signal_fd),
        terminal_(plan.interactive, plan.limits.requested.output),
        with_init_(plan.init), limits_(plan.limits.requested), applied_(plan.limits.applied),
        missing_(plan.limits.missing),
        cgroups_(cgroups), output_(output), watched_policy_(watched_policy),
        sample_cpu_(plan.limits.cpu_time_by_cgroup && cgroups != nullptr) {}

  Outcome run() {
    while (!init_exited_) poll_once();
    const Clock::time_point ended = Clock::now();
    log::debug("supervisor: init exited");
    // ORDER: the sync channel first: a pty master still queued there must be attached
    // before the terminal is drained, or a quick command's output would be lost.
    drain_errors();
    drain_sync();
    if (output_ != nullptr) output_->drain();
    terminal_.drain();
    terminal_.restore();
    siginfo_t init{};
    rusage usage{};
    const bool reaped = sandbox_.reap(init, usage);
    if (reaped) collected_.usage = usage_of(usage);
    if (collected_.usage && cgroups_ != nullptr) {
      // The cgroup counts every process from placement on, whoever reaped it.
      const cgroup::Stats st = cgroups_->stats();
      if (st.cpu) collected_.usage->cpu_time = std::chrono::duration_cast<std::chrono::milliseconds>(*st.cpu);
      collected_.usage->memory_peak_bytes = st.memory_peak;
      collected_.usage->oom_kills = st.oom_kills;
      // pids.peak counts hutch's init too: in the cgroup before the command's first fork.
      const std::uint64_t inits = with_init_ ? 1 : 0;
      if (st.pids_peak) collected_.usage->processes_peak = *st.pids_peak - std::min(*st.pids_peak, inits);
    }
    if (collected_.usage) without_init(*collected_.usage);
    if (exec_at_) collected_.run_time = std::chrono::duration_cast<std::chrono::milliseconds>(ended - *exec_at_);
    Outcome out = outcome(reaped ? &init : nullptr);
    out.usage = collected_.usage;
    out.run_time = collected_.run_time;
    if (output_ != nullptr) out.output_bytes = output_->bytes();
    else if (terminal_.attached()) out.output_bytes = terminal_.bytes();
    if (out.status != Outcome::Status::SetupError) {
      out.limits = applied_;
      out.missing = missing_;
    }
    log::debug("supervisor: sandbox gone");
    return out;
  }

 private:
  void poll_once() {
    std::vector<pollfd> fds{{sandbox_.pidfd(), POLLIN, 0},
                            {signal_fd_, POLLIN, 0},
                            {sync_.fd(), POLLIN, 0},
                            {errors_.get(), POLLIN, 0}};
    fds.push_back({listener_.get(), POLLIN, 0});  // -1 (ignored by poll) until init sends it
    terminal_.add_pollfds(fds);
    if (output_ != nullptr) output_->add_pollfds(fds);
    if (sys::retry_eintr([&] { return ::poll(fds.data(), fds.size(), poll_timeout()); }) < 0) {
      throw_sys("poll", "supervisor");
    }
    check_wall_time();
    check_cpu_time();
    if (fds[1].revents != 0) on_signal();
    if (fds[2].revents != 0) on_sync();
    if (fds[3].revents != 0) on_errors();
    if (fds[4].revents != 0) on_notification(fds[4].revents);
    terminal_.handle(fds);
    if (output_ != nullptr) output_->handle(fds);
    check_output();
    if (fds[0].revents != 0) init_exited_ = true;
  }

  // The CPU time is the command's: init's own comes off the total (under a cgroup, only
  // what init used after it was placed: the rest was never counted there).
  void without_init(Outcome::Usage& u) const {
    if (!with_init_ || !collected_.init_cpu) return;
    std::chrono::microseconds init = *collected_.init_cpu;
    if (cgroups_ != nullptr) {
      init -= std::chrono::duration_cast<std::chrono::microseconds>(cgroups_->cpu_before_placement());
      init = std::max(init, std::chrono::microseconds(0));
    }
    const auto own = std::chrono::duration_cast<std::chrono::microseconds>(u.cpu_time) - init;
    u.cpu_time = std::chrono::duration_cast<std::chrono::milliseconds>(std::max(own, std::chrono::microseconds(0)));
  }

  // The wall clock runs from execve (sync #2) to the end of the sandbox.
  std::optional<Clock::time_point> wall_deadline() const {
    if (!limits_.wall_time || !exec_at_) return std::nullopt;
    return *exec_at_ + *limits_.wall_time + extra();
  }

  // The grace period past a time limit before the kill (isolate's --extra-time); the
  // verdict is still taken against the limit itself.
  std::chrono::milliseconds extra() const { return limits_.extra_time.value_or(std::chrono::milliseconds(0)); }

  // How often the cgroup's CPU time is read: a tenth of the limit, from 5 to 100 ms.
  // The total can pass the limit by at most this long times the CPUs it runs on.
  std::chrono::milliseconds cpu_sample_interval() const {
    return std::clamp(*limits_.cpu_time / 10, std::chrono::milliseconds(5), std::chrono::milliseconds(100));
  }

  int poll_timeout() const {
    long long timeout = -1;
    const std::optional<Clock::time_point> deadline = wall_deadline();
    if (deadline && killed_ == Killed::No) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - Clock::now()).count();
      timeout = std::max<long long>(left + 1, 0);
    }
    if (sample_cpu_ && exec_at_ && killed_ == Killed::No) {
      const long long sample = cpu_sample_interval().count();
      timeout = timeout < 0 ? sample : std::min(timeout, sample);
    }
    return static_cast<int>(std::min<long long>(timeout, 1 << 30));
  }

  // The cgroup's CPU time of every process together, against limits.cpu_time.
  void check_cpu_time() {
    if (!sample_cpu_ || !exec_at_ || killed_ != Killed::No) return;
    const std::optional<std::chrono::nanoseconds> used = cgroups_->cpu_usage();
    if (!used || *used <= *limits_.cpu_time + extra()) return;
    killed_ = Killed::CpuTime;
    log::debug("supervisor: CPU-time limit reached ({} ns); killing the sandbox", used->count());
    sys::pidfd_send_signal(sandbox_.pidfd(), SIGKILL);
  }

  // Past limits.output: what fit was written; the run ends here.
  bool output_exceeded() const { return (output_ != nullptr && output_->exceeded()) || terminal_.exceeded(); }
  void check_output() {
    if (killed_ != Killed::No || !output_exceeded()) return;
    killed_ = Killed::Output;
    log::debug("supervisor: output limit reached; killing the sandbox");
    sys::pidfd_send_signal(sandbox_.pidfd(), SIGKILL);
  }

  // Killing init ends every process of its pid namespace (pid_namespaces(7)).
  void check_wall_time() {
    const std::optional<Clock::time_point> deadline = wall_deadline();
    if (!deadline || killed_ != Killed::No || Clock::now() < *deadline) return;
    killed_ = Killed::WallTime;
    log::debug("supervisor: wall-time limit reached; killing the sandbox");
    sys::pidfd_send_signal(sandbox_.pidfd(), SIGKILL);
  }

  void relay(int s) {
    log::debug("supervisor: relaying {}", ::sigabbrev_np(s));
    sys::pidfd_send_signal(sandbox_.pidfd(), s);
  }

  void on_signal() {
    signalfd_siginfo info{};
    while (::read(signal_fd_, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
      const int s = static_cast<int>(info.ssi_signo);
      if (s == SIGWINCH) {
        terminal_.resize();
      } else if (s == SIGTSTP) {
        // Suspend the run as a whole: the payload, then the caller's terminal back to
        // normal, then ourselves; SIGCONT (from `fg`) undoes it in reverse.
        relay(SIGTSTP);
        terminal_.restore();
        (void)::raise(SIGSTOP);  // raise(3) fails only for a signal number that does not exist
      } else if (s == SIGCONT) {
        terminal_.reenter_raw_mode();
        relay(SIGCONT);
      } else if (is_relayed(s)) {
        relay(s);
      }
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
      case SyncMsg::InitCpu:
        collected_.init_cpu = std::chrono::microseconds(msg->value);
        break;

      case SyncMsg::SeccompListener:
        if (!msg->fd) throw Error("sync channel: SeccompListener without an fd", EPROTO);
        listener_ = std::move(msg->fd);
        break;
      case SyncMsg::SupervisorReady:
      case SyncMsg::SeccompProgram:
        throw Error(fmt::format("sync channel: unexpected {} from the sandbox", to_string(msg->type)), EPROTO);
    }
  }

  // SECURITY: a call the filter's kill action matched waits in the kernel until we
  // answer; we never do. We record it and kill the whole sandbox: the call never runs,
  // and no process of the sandbox can prevent or mask this (docs/seccomp.md).
  // A watched call (one the policy allows) is looked at and let go on.
  void on_notification(short revents) {
    if ((revents & POLLIN) == 0) {  // POLLHUP: every filtered process is gone
      listener_.reset();
      return;
    }
    seccomp_notif* req = nullptr;
    seccomp_notif_resp* resp = nullptr;
    if (seccomp_notify_alloc(&req, &resp) != 0) throw Error("seccomp: cannot allocate a notification", ENOMEM);
    const int rc = seccomp_notify_receive(listener_.get(), req);
    if (rc == 0 && watched_policy_ != nullptr && !seccomp::notified_by_policy(*watched_policy_, req->data)) {
      on_watched(*req, *resp);
    } else if (rc == 0 && !collected_.violation) {
      seccomp::Violation v;
      v.arch = req->data.arch;
      v.nr = req->data.nr;
      std::copy(std::begin(req->data.args), std::end(req->data.args), std::begin(v.args));
      v.pid = static_cast<int>(req->pid);
      collected_.violation = v;
      log::debug("supervisor: seccomp violation {}; killing the sandbox", seccomp::describe(v));
      sys::pidfd_send_signal(sandbox_.pidfd(), SIGKILL);
    }
    seccomp_notify_free(req, resp);
    // rc != 0: ENOENT, the caller died meanwhile; nothing to answer.
  }

  // A watched address-space call: the policy allows it, the kernel's RLIMIT_AS decides
  // it; we note whether it would pass the limit, then let it go on (CONTINUE). Observing
  // only: a process may change what the call sees meanwhile, which changes nothing but
  // the verdict of its own run.
  void on_watched(const seccomp_notif& req, seccomp_notif_resp& resp) {
    if (!collected_.past_memory && limits_.memory) {
      std::optional<limits::AddressSpaceRequest> past =
          limits::past_limit(static_cast<pid_t>(req.pid), req.data, *limits_.memory);
      // The pid read from /proc is the caller's only while the call still waits.
      if (past && seccomp_notify_id_valid(listener_.get(), req.id) == 0) {
        log::debug("supervisor: {} of {} bytes would take an address space to {} bytes, past limits.memory", past->call,
                   past->grows_by, past->total);
        collected_.past_memory = std::move(past);
      }
    }
    resp.id = req.id;
    resp.val = 0;
    resp.error = 0;
    resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
    // ENOENT: the caller is gone (killed, or its call interrupted by a signal).
    (void)seccomp_notify_respond(listener_.get(), &resp);
  }

  void on_errors() {
    char buf[4096];
    const std::size_t n = sys::read_some(errors_.get(), buf, sizeof buf, "error pipe");
    if (n == 0) {
      errors_.reset();  // sync #2: EOF, the payload ran execve (or the sandbox is gone)
      exec_at_ = Clock::now();
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

  Outcome outcome(const siginfo_t* init) const;
  bool succeeded() const {
    return collected_.payload_status && WIFEXITED(*collected_.payload_status) && WEXITSTATUS(*collected_.payload_status) == 0;
  }

  SandboxGuard& sandbox_;
  SyncChannel& sync_;
  UniqueFd errors_;
  int signal_fd_;
  TerminalRelay terminal_;
  Collected collected_;
  UniqueFd listener_;
  bool with_init_;
  policy::Limits limits_;
  std::vector<limits::Applied> applied_;
  std::vector<limits::Missing> missing_;
  const cgroup::RunCgroup* cgroups_;
  OutputRelay* output_;
  const seccomp::Program* watched_policy_;
  bool sample_cpu_;
  std::optional<Clock::time_point> exec_at_;
  enum class Killed { No, CpuTime, WallTime, Output };
  Killed killed_ = Killed::No;  // by the supervisor, for this limit
  bool init_exited_ = false;
};

Outcome failure_outcome(const Failure& failure) {
  Outcome out;
  out.status = Outcome::Status::SetupError;
  out.sys_errno = failure.sys_errno;
  out.message = failure.message;
  if (failure.kind == FailureKind::Exec) {
    out.exit_code = failure.sys_errno == ENOENT ? kExitNotFound : kExitCannotExecute;
  } else {
    out.exit_code = kExitSetupFailed;
  }
  return out;
}

Outcome Supervisor::outcome(const siginfo_t* init) const {
  // The first record is the first failure; anything after it is a consequence.
  if (std::optional<Failure> failure = parse_failure(collected_.failure_bytes)) return failure_outcome(*failure);
  Outcome out;
  if (collected_.violation) {
    out.status = Outcome::Status::SeccompViolation;
    out.signal = SIGSYS;
    out.violation = collected_.violation;
    out.message = "seccomp: blocked " + seccomp::describe(*collected_.violation);
    return out;
  }
  if (collected_.usage && collected_.usage->oom_kills > 0 && limits_.memory) {
    out.status = Outcome::Status::MemoryLimit;
    out.message = fmt::format("memory limit: the kernel killed {} process{} of the sandbox for using more than {} bytes",
                              collected_.usage->oom_kills, collected_.usage->oom_kills == 1 ? "" : "es",
                              *limits_.memory);
    return out;
  }
  // Under RLIMIT_AS the kernel refused memory; a command that went on to succeed coped
  // with it, one that did not failed for it.
  if (collected_.past_memory && limits_.memory && !succeeded()) {
    const limits::AddressSpaceRequest& r = *collected_.past_memory;
    out.status = Outcome::Status::MemoryLimit;
    out.message = fmt::format("memory limit: {} asked for {} more bytes of address space, which would have made {}, "
                              "past the limit of {} bytes (RLIMIT_AS); the kernel refused it",
                              r.call, r.grows_by, r.total, *limits_.memory);
    return out;
  }
  if (killed_ == Killed::Output || output_exceeded()) {
    out.status = Outcome::Status::OutputLimit;
    out.message = fmt::format("output limit: the command wrote more than {} bytes to stdout and stderr",
                              limits_.output.value_or(0));
    return out;
  }
  // A time limit stands whatever the payload did after it: killed for it, or finished
  // just past it, the run took too long (as isolate judges it).
  if (limits_.cpu_time && collected_.usage && collected_.usage->cpu_time > *limits_.cpu_time) {
    out.status = Outcome::Status::TimeLimit;
    out.message = fmt::format("time limit: {} ms of CPU time used, the limit is {} ms", collected_.usage->cpu_time.count(),
                              limits_.cpu_time->count());
    return out;
  }
  if (limits_.wall_time && (killed_ == Killed::WallTime || (collected_.run_time && *collected_.run_time > *limits_.wall_time))) {
    out.status = Outcome::Status::WallTimeLimit;
    out.message = killed_ == Killed::WallTime
                      ? fmt::format("wall-time limit: the run was stopped after {} ms", (*limits_.wall_time + extra()).count())
                      : fmt::format("wall-time limit: the run took {} ms, the limit is {} ms", collected_.run_time->count(),
                                    limits_.wall_time->count());
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
  if (!with_init_ && init != nullptr && init->si_code == CLD_EXITED) {
    out.status = Outcome::Status::Exited;
    out.exit_code = init->si_status;
    return out;
  }
  if (init != nullptr && (init->si_code == CLD_KILLED || init->si_code == CLD_DUMPED)) {
    out.status = Outcome::Status::Signaled;
    out.signal = init->si_status;
    if (with_init_) out.message = fmt::format("the sandbox's init was killed by {}", ::sigabbrev_np(init->si_status));
    return out;
  }
  out.status = Outcome::Status::SetupError;
  out.exit_code = kExitSetupFailed;
  out.message = init != nullptr ? fmt::format("the sandbox's init exited with status {} before reporting the "
                                              "command's status",
                                              init->si_status)
                                : "the sandbox's init vanished without a status";
  return out;
}

}  // namespace

SignalRelay::SignalRelay() {
  const sigset_t set = supervised_signals();
  if (::sigprocmask(SIG_BLOCK, &set, &old_mask_) != 0) throw_sys("sigprocmask", "supervisor");
  fd_.reset(::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!fd_) throw_sys("signalfd", "supervisor");
  struct sigaction sa{};
  sa.sa_handler = SIG_IGN;
  ::sigaction(SIGPIPE, &sa, &old_pipe_);
  sa.sa_handler = SIG_DFL;
  ::sigaction(SIGCHLD, &sa, &old_chld_);
}

SignalRelay::~SignalRelay() {
  signalfd_siginfo info{};
  while (::read(fd_.get(), &info, sizeof info) > 0) {
  }
  fd_.reset();
  ::sigaction(SIGCHLD, &old_chld_, nullptr);
  ::sigaction(SIGPIPE, &old_pipe_, nullptr);
  ::sigprocmask(SIG_SETMASK, &old_mask_, nullptr);
}

SandboxGuard::~SandboxGuard() {
  if (reaped_) return;
  try {
    sys::pidfd_send_signal(pidfd_.get(), SIGKILL);
  } catch (const Error&) {  // destructors never throw; waitid below still reaps
  }
  siginfo_t info{};
  sys::retry_eintr([&] { return ::waitid(P_PIDFD, static_cast<id_t>(pidfd_.get()), &info, WEXITED); });
}

bool SandboxGuard::reap(siginfo_t& info, rusage& usage) {
  // The system call's fifth argument, which glibc's waitid() leaves out.
  const int rc = sys::retry_eintr([&] {
    return static_cast<int>(::syscall(SYS_waitid, P_PIDFD, pidfd_.get(), &info, WEXITED, &usage));
  });
  reaped_ = true;
  if (rc == 0) return true;
  if (errno == ECHILD) return false;  // someone reaped it for us; the sync channel told what we need
  throw_sys("waitid", "sandbox init");
}

Outcome supervise(SandboxGuard& sandbox, SyncChannel& sync, UniqueFd errors, const SignalRelay& signals,
                  const Plan& plan, const cgroup::RunCgroup* cgroups, OutputRelay* output,
                  const seccomp::Program* watched_policy) {
  Supervisor supervisor(sandbox, sync, std::move(errors), signals.fd(), plan, cgroups, output, watched_policy);
  return supervisor.run();
}

}  // namespace hutch::runtime
