// The payload: the process that becomes the user's command.
//
// Forked by init after pivot_root; it sheds everything hutch gave it before execve:
// signal state, session and terminal, working directory, every fd but 0-2, every
// capability, and sets no_new_privs. Failures are written to the error pipe.
#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <string>
#include <vector>

#include <fmt/format.h>

#include "caps/caps.hpp"
#include "runtime/context.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/signals.hpp"
#include "util/sys.hpp"

namespace hutch::runtime {
namespace {

// Blocked and ignored signals survive execve(2); the command starts with defaults.
void reset_signals() {
  sig::set_all_dispositions(SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  if (::sigprocmask(SIG_SETMASK, &none, nullptr) != 0) throw_sys("sigprocmask", "payload");
}

void dup_onto_stdio(int fd, bool stdin_too) {
  for (int target : {0, 1, 2}) {
    if (target == 0 && !stdin_too) continue;
    if (::dup2(fd, target) < 0) throw_sys("dup2 onto", std::to_string(target));
  }
}

// SECURITY: setsid(2) leaves the caller's controlling terminal behind, so TIOCSTI on an
// inherited terminal fd fails with EPERM (the bubblewrap CVE-2017-5226 class). With -t
// the payload's terminal is a pty of the sandbox's own devpts.
void setup_session_and_stdio(const Plan& plan, int pty_slave) {
  if (::setsid() < 0) throw_sys("setsid", "payload");
  if (plan.tty) {
    if (::ioctl(pty_slave, TIOCSCTTY, 0) != 0) throw_sys("make controlling terminal", "pty");
    dup_onto_stdio(pty_slave, true);  // the original is O_CLOEXEC and goes at execve
    return;
  }
  if (!plan.interactive) {
    UniqueFd null = sys::open("/dev/null", O_RDONLY);
    if (::dup2(null.get(), 0) < 0) throw_sys("dup2 /dev/null onto", "0");
  }
}

std::vector<char*> c_strings(const std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (const std::string& s : strings) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

std::string env_value(const std::vector<std::string>& env, std::string_view name) {
  for (const std::string& kv : env) {
    if (kv.size() > name.size() && kv.compare(0, name.size(), name) == 0 && kv[name.size()] == '=') {
      return kv.substr(name.size() + 1);
    }
  }
  return {};
}

[[noreturn]] void fail_exec(int err, std::string message) {
  throw Error(std::move(message), err);
}

// execvpe(3) semantics, but with the sandbox's PATH rather than hutch's own.
[[noreturn]] void exec_command(const Plan& plan) {
  std::vector<char*> argv = c_strings(plan.argv);
  std::vector<char*> envp = c_strings(plan.env);
  const std::string& cmd = plan.argv.front();
  if (cmd.find('/') != std::string::npos) {
    ::execve(cmd.c_str(), argv.data(), envp.data());
    fail_exec(errno, fmt::format("exec {}: {}", cmd, describe_errno(errno)));
  }
  const std::string path = env_value(plan.env, "PATH");
  int err = ENOENT;
  std::size_t pos = 0;
  while (pos <= path.size()) {
    const std::size_t end = std::min(path.find(':', pos), path.size());
    std::string dir = path.substr(pos, end - pos);
    pos = end + 1;
    const std::string candidate = (dir.empty() ? std::string(".") : dir) + "/" + cmd;
    ::execve(candidate.c_str(), argv.data(), envp.data());
    if (errno == EACCES) err = EACCES;
    else if (errno != ENOENT && errno != ENOTDIR) {
      err = errno;
      break;
    }
  }
  if (err == ENOENT) fail_exec(err, fmt::format("exec {}: command not found (PATH={})", cmd, path));
  fail_exec(err, fmt::format("exec {}: {}", cmd, describe_errno(err)));
}

}  // namespace

void payload_main(ChildContext& ctx, int pty_slave) noexcept {
  FailureKind kind = FailureKind::Setup;
  try {
    const Plan& plan = ctx.plan;
    reset_signals();
    setup_session_and_stdio(plan, pty_slave);
    if (::chdir(plan.workdir.c_str()) != 0) throw_sys("chdir to workdir", plan.workdir);
    // Every fd but 0-2 closes on execve; the error pipe stays open until then (sync #2).
    if (::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) != 0) throw_sys("close_range", "3..");
    caps::drop_all();
    caps::set_no_new_privs();
    log::debug("payload: exec {}", plan.argv.front());
    kind = FailureKind::Exec;
    exec_command(plan);
  } catch (...) {
    report_current_exception(ctx.error_write.get(), kind);
  }
  ::_exit(kind == FailureKind::Exec ? kExitNotFound : kExitSetupFailed);
}

}  // namespace hutch::runtime
