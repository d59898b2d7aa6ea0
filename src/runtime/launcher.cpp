// Creating the sandbox: steps 1 and 2 of the launch sequence (runtime/child.cpp), then
// handing over to the supervisor (runtime/supervisor.cpp).
#include "runtime/launcher.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <signal.h>
#include <unistd.h>

#include <optional>

#include <fmt/format.h>

#include "cgroup/cgroup.hpp"
#include "runtime/context.hpp"
#include "runtime/output.hpp"
#include "runtime/supervisor.hpp"
#include "seccomp/observe.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/sys.hpp"

namespace hutch::runtime {
namespace {

UniqueFd duplicate_log_fd() {
  // Child and payload log to a private copy of stderr that closes on execve: fds 0-2
  // belong to the payload (STYLE.md section 6).
  return UniqueFd(::fcntl(log::fd(), F_DUPFD_CLOEXEC, 3));
}

// The compiled filter, in a memfd for the child (sync messages are small and fixed).
UniqueFd program_memfd(const seccomp::Program& program) {
  UniqueFd fd(::memfd_create("hutch-seccomp-program", MFD_CLOEXEC));
  if (!fd) throw_sys("memfd_create", "for the seccomp program");
  sys::write_all(fd.get(), program.data(), program.size() * sizeof(sock_filter), "seccomp program memfd");
  return fd;
}

}  // namespace

int exit_status(const Outcome& outcome) {
  switch (outcome.status) {
    case Outcome::Status::Exited:
      return outcome.exit_code;
    case Outcome::Status::Signaled:
      return 128 + outcome.signal;
    case Outcome::Status::SeccompViolation:
      return 128 + SIGSYS;  // as if the kernel had killed it for the call
    case Outcome::Status::TimeLimit:
    case Outcome::Status::WallTimeLimit:
    case Outcome::Status::MemoryLimit:
    case Outcome::Status::OutputLimit:
      return 128 + SIGKILL;  // as if killed for it, even when it finished just past the limit
    case Outcome::Status::SetupError:
      return outcome.exit_code != 0 ? outcome.exit_code : kExitSetupFailed;
  }
  return kExitSetupFailed;
}

namespace {

// The command's stdin file and output pipes, opened by the supervisor (as the caller)
// before anything exists; a file that cannot be opened stops the run there.
struct StdioSetup {
  UniqueFd in;                     // --stdin FILE
  Pipe out, err;                   // the payload's stdout and stderr, through the supervisor
  UniqueFd out_to, err_to;         // --stdout/--stderr FILE; empty: hutch's own
  // --stdout and --stderr name one file: one pipe carries both, in the order written.
  bool one_pipe = false;
  StdioFds child_fds() const {
    const int out_fd = out.write ? out.write.get() : -1;
    return {in ? in.get() : -1, out_fd, one_pipe ? out_fd : err.write ? err.write.get() : -1};
  }
};

UniqueFd open_stdio_file(const std::string& path, bool output, const char* option) {
  try {
    return output ? sys::open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOCTTY, 0644) : sys::open(path, O_RDONLY | O_NOCTTY);
  } catch (Error& e) {
    e.prepend(option);
    throw;
  }
}

StdioSetup open_stdio(const Plan& plan) {
  StdioSetup s;
  if (plan.stdio.in) s.in = open_stdio_file(*plan.stdio.in, false, "--stdin");
  if (!plan.relay_output) return s;
  s.one_pipe = plan.stdio.out && plan.stdio.err && *plan.stdio.out == *plan.stdio.err;
  s.out = Pipe::create();
  if (!s.one_pipe) s.err = Pipe::create();
  if (plan.stdio.out) s.out_to = open_stdio_file(*plan.stdio.out, true, "--stdout");
  if (plan.stdio.err && !s.one_pipe) s.err_to = open_stdio_file(*plan.stdio.err, true, "--stderr");
  return s;
}

}  // namespace

Outcome launch(const Plan& plan) {
  for (const limits::Missing& m : plan.limits.missing) {
    log::warn("{}: not enforced: {}; the policy prefers it, so the run goes on without it", m.key, m.reason);
  }
  SignalRelay signals;
  StdioSetup stdio = open_stdio(plan);
  auto [sync, child_sync] = SyncChannel::create_pair();
  Pipe errors = Pipe::create();
  UniqueFd log_fd = duplicate_log_fd();
  // ORDER: the run's cgroups exist before the sandbox and go after it (the guard below
  // kills and reaps first); a cgroup that cannot be made stops the run here.
  std::optional<cgroup::RunCgroup> cgroups;
  if (plan.limits.cgroup) {
    cgroups.emplace(plan.limits.delegation, *plan.limits.cgroup, ::getpid());
    for (const std::string& dir : cgroups->dirs()) log::debug("cgroup: created {}", dir);
  }
  // cgroup v2: the child starts in the run's leaf, capped from its first instruction.
  UniqueFd leaf = cgroups ? cgroups->open_leaf() : UniqueFd();
  log::debug("launch: clone3 flags {:#x}{}", plan.clone_flags, leaf ? " into the run's cgroup v2" : "");
  sys::CloneResult clone = sys::clone3_with_pidfd(plan.clone_flags, leaf.get());
  leaf.reset();
  if (clone.pid == 0) {
    // runs in: child, straight after clone3; nothing here returns
    if (log_fd) log::set_fd(log_fd.get());
    sync.close();  // else the child would never see EOF should the supervisor die
    errors.read.reset();
    ChildContext ctx{plan, std::move(child_sync), std::move(errors.write)};
    ctx.stdio = stdio.child_fds();
    child_main(ctx);
  }
  SandboxGuard sandbox(clone.pid, std::move(clone.pidfd));
  child_sync.close();
  errors.write.reset();
  // The sandbox holds the write ends now: EOF on the read ends means it is gone.
  stdio.in.reset();
  stdio.out.write.reset();
  stdio.err.write.reset();
  std::optional<OutputRelay> output;
  if (plan.relay_output) {
    output.emplace(std::move(stdio.out.read), std::move(stdio.err.read), std::move(stdio.out_to),
                   std::move(stdio.err_to), plan.limits.requested.output);
  }
  // Work outside the sandbox that must be done before the payload runs goes here; the
  // child assembles its root meanwhile and waits for these messages only before
  // forking the payload. A child that already failed is gone; its report waits in the
  // error pipe.
  if (cgroups) cgroups->place(clone.pid);  // v1, before sync #1: capped from the command's first instruction
  const seccomp::Compiled filter = compile_seccomp(plan);
  bool watch = filter.uses_notify && plan.limits.watch_address_space;
  if (watch && !seccomp::can_watch(filter.program, seccomp::address_space_calls())) {
    log::warn("limits.memory: the seccomp filter ({} instructions) is too long to also watch mmap, mremap and brk; "
              "the memory limit holds (RLIMIT_AS) but its verdict will not be memory-limit",
              filter.program.size());
    watch = false;
  }
  log::debug("seccomp: {} instructions{}{}", filter.program.size(), filter.uses_notify ? ", kill by listener" : "",
             watch ? ", mmap/mremap/brk watched for the memory limit" : "");
  const UniqueFd program = program_memfd(filter.program);
  sync.send_if_connected(SyncMsg::SeccompProgram,
                         (filter.uses_notify ? kProgramNotifies : 0) | (watch ? kProgramWatchAddressSpace : 0),
                         program.get());
  sync.send_if_connected(SyncMsg::SupervisorReady);  // sync #1: nothing outside is left to do
  return supervise(sandbox, sync, std::move(errors.read), signals, plan, cgroups ? &*cgroups : nullptr,
                   output ? &*output : nullptr, watch ? &filter.program : nullptr);
}

}  // namespace hutch::runtime
