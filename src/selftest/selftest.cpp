#include "selftest/selftest.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "policy/lookup.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/signals.hpp"
#include "util/sys.hpp"

namespace hutch::selftest {
namespace fs = std::filesystem;

std::string_view verdict_name(Verdict v) {
  switch (v) {
    case Verdict::Held:
      return "held";
    case Verdict::Breached:
      return "BREACHED";
    case Verdict::Error:
      return "error";
    case Verdict::NotRun:
      return "not run";
    case Verdict::Permitted:
      return "permitted";
  }
  return "error";
}

namespace {

// "SIGTERM", or "signal 40" for one without a name.
std::string signal_name(int sig) {
  const char* name = ::sigabbrev_np(sig);
  return name != nullptr ? fmt::format("SIG{}", name) : fmt::format("signal {}", sig);
}

}  // namespace

Interrupted::Interrupted(int signal)
    : Error(fmt::format("selftest: stopped by {}; the run in progress was stopped and everything the suite "
                        "made is removed",
                        signal_name(signal))),
      signal_(signal) {}

namespace {

// The signal that asked the suite to stop, or 0.
volatile std::sig_atomic_t g_stop_signal = 0;

// While the suite runs, SIGINT, SIGTERM, SIGHUP, SIGQUIT and SIGPIPE (its output closed,
// as by `| head`) ask it to stop: the run in progress is stopped and waited for, then
// Interrupted unwinds through Cleanup. A signal the caller ignores (nohup) stays
// ignored. No SA_RESTART, so that a wait wakes; wait_for blocks them between its look
// at g_stop_signal and ppoll, which unblocks them, so none is missed. The previous
// handlers come back at the end.
class StopSignals {
 public:
  StopSignals() {
    struct sigaction sa {};
    sa.sa_handler = [](int sig) { g_stop_signal = sig; };
    sigemptyset(&sa.sa_mask);
    for (std::size_t i = 0; i < kSignals.size(); ++i) {
      ::sigaction(kSignals[i], nullptr, &old_[i]);
      if (old_[i].sa_handler != SIG_IGN) ::sigaction(kSignals[i], &sa, nullptr);
    }
  }
  ~StopSignals() {
    for (std::size_t i = 0; i < kSignals.size(); ++i) ::sigaction(kSignals[i], &old_[i], nullptr);
    g_stop_signal = 0;
  }
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  static void check() {
    if (g_stop_signal != 0) throw Interrupted(g_stop_signal);
  }
  static sigset_t set() {
    sigset_t set;
    sigemptyset(&set);
    for (const int sig : kSignals) sigaddset(&set, sig);
    return set;
  }

 private:
  static constexpr std::array<int, 5> kSignals{SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE};
  std::array<struct sigaction, 5> old_{};
};

// The signal bait_changes pings the bait with (glibc's SIGRTMIN is a function).
const int kBaitPing = SIGRTMIN + 2;

// What the attacks go for, set out on the host for the whole suite.
struct Context {
  fs::path dir;         // the private workspace, removed at the end
  fs::path roots;       // roots/base: the root filesystem; roots/hostile-*: hostile ones
  fs::path base_root;   // roots/base
  fs::path host;        // host/: what no sandbox may read or change
  fs::path secret;      // host/secret: a file no bind reaches
  fs::path ro_bind;     // host/ro-bind/, bound read-only at /ro
  fs::path target;      // host/target/: where hostile symlinks point; must stay empty
  fs::path stdin_file;  // host/stdin: given to reopen-stdin as --stdin
  fs::path io;          // io/: the runs' stdout, stderr and result
  fs::path scratch;     // scratch/: where unconfined attacks make things
  pid_t bait = -1;      // a host process named bait_name, in a session of its own
  std::string bait_name;
  UniqueFd bait_signals;  // a byte per signal the bait received, its number (non-blocking)
  int port = 0;           // the host's 127.0.0.1:port listens
  std::string abstract;   // the host listens on the abstract unix socket @abstract
  std::string env_name;   // a variable only hutch's environment holds
  std::string env_value;
  // Directories the policy needs in a root: its workdir and tmpfs mount points.
  std::vector<std::string> policy_dirs;
  // Attacks the policy lets through on purpose, and the key that does (network: host).
  std::map<std::string_view, std::string> permitted;
};

enum class Stdio { Null, Terminal, HostFile };
enum class Kind { Program, HostileRoot };

// One attack: its arguments inside the sandbox and on the host (unconfined).
struct Attack {
  std::string_view name;
  std::string_view claim;
  std::vector<std::string> (*args)(const Context& c, bool unconfined);
  Stdio stdio = Stdio::Null;
  Kind kind = Kind::Program;
  // HostileRoot: the symlink hutch must not follow out of the root (relative to the
  // root), and the extra `hutch run` options that make hutch mount through it.
  std::string_view link;
  std::vector<std::string> (*extra)(const Context& c) = nullptr;
};

using Args = std::vector<std::string>;
Args none(const Context&, bool) { return {}; }

const std::vector<Attack>& table() {
  static const std::vector<Attack> attacks{
      {"host-processes", "host processes are invisible and cannot be signalled",
       [](const Context& c, bool) {
         return Args{std::to_string(c.bait), c.bait_name};
       }},
      {"ptrace-init", "hutch's init (pid 1 inside) cannot be traced, nor its memory, fds or environment read",
       [](const Context& c, bool u) { return Args{u ? std::to_string(c.bait) : "1"}; }},
      {"hutch-binary", "hutch's own binary cannot be reached through /proc/PID/exe (the runc CVE-2019-5736 class)",
       [](const Context& c, bool u) { return Args{u ? std::to_string(c.bait) : "1"}; }},
      {"read-host-file", "host files nothing binds cannot be read",
       [](const Context& c, bool) { return Args{c.secret.string()}; }},
      {"write-rootfs", "the root filesystem cannot be changed",
       [](const Context& c, bool u) {
         return Args{u ? c.base_root.string() : "/", "target-file"};
       }},
      {"write-ro-bind", "a read-only bind cannot be changed",
       [](const Context& c, bool u) {
         return Args{u ? c.ro_bind.string() : "/ro", "file"};
       }},
      {"escape-root", "the root cannot be left: '..', chroot, pivot_root, inherited directory fds, /proc/*/root",
       [](const Context& c, bool) { return Args{c.secret.string()}; }},
      {"leaked-fds", "no descriptor of hutch or of its caller reaches the command (the runc CVE-2024-21626 class)",
       none},
      {"reopen-stdin", "a host file given as --stdin cannot be reopened for writing through /proc/self/fd", none,
       Stdio::HostFile},
      {"tiocsti", "input cannot be pushed into the caller's terminal (the bubblewrap CVE-2017-5226 class)", none,
       Stdio::Terminal},
      {"setuid", "setuid and setgid binaries gain nothing",
       [](const Context& c, bool u) {
         return u ? Args{(c.base_root / "attack-setuid").string(), c.scratch.string()} : Args{"/attack-setuid", "/tmp"};
       }},
      {"mknod", "device nodes cannot be made",
       [](const Context& c, bool u) { return Args{u ? c.scratch.string() : "/tmp"}; }},
      {"mount", "nothing can be mounted or unmounted, cgroup v1 release_agent included (CVE-2022-0492)",
       [](const Context& c, bool u) { return Args{u ? c.scratch.string() : "/tmp"}; }},
      {"keyctl", "the kernel keyrings (not namespaced: the user's own) are out of reach", none},
      {"bpf", "eBPF programs and maps cannot be created", none},
      {"perf-event-open", "performance counters cannot be opened", none},
      {"userfaultfd", "userfaultfd cannot be created", none},
      {"open-by-handle", "files cannot be opened by handle (the shocker escape)", none},
      {"raw-sockets", "raw and packet sockets cannot be opened", none},
      {"host-loopback", "a listener on the host's loopback cannot be reached",
       [](const Context& c, bool) { return Args{std::to_string(c.port)}; }},
      {"host-abstract-socket", "an abstract unix socket of the host cannot be reached",
       [](const Context& c, bool) { return Args{c.abstract}; }},
      {"kernel-knobs", "/proc/sys, /proc/sysrq-trigger, /sys and the OOM score cannot be written", none},
      {"i386", "i386 system calls (int 0x80) do not get through", none},
      {"x32", "x32 system calls do not get through", none},
      {"nested-userns", "no user namespace can be created", none},
      {"hostname", "the hostname cannot be changed", none},
      {"clock", "the clock cannot be set", none},
      {"caller-env", "the caller's environment does not reach the command, nor can it be read from init",
       [](const Context& c, bool) { return Args{c.env_name}; }},
      // The hostile roots' arguments: where the mounts must be if hutch starts the root
      // (a tmpfs is at /tmp in every run: the policy's, or hutch's own).
      {"hostile-proc", "a root filesystem whose /proc is a symlink out of it cannot redirect the /proc mount",
       [](const Context&, bool) { return Args{"/proc:proc"}; }, Stdio::Null, Kind::HostileRoot, "proc"},
      {"hostile-dev", "a root filesystem whose /dev is a symlink out of it cannot redirect the /dev mounts",
       [](const Context&, bool) { return Args{"/dev/null:chardev"}; }, Stdio::Null, Kind::HostileRoot, "dev"},
      {"hostile-tmp", "a root filesystem whose /tmp is a symlink out of it cannot redirect the /tmp mount",
       [](const Context&, bool) { return Args{"/tmp:tmpfs"}; }, Stdio::Null, Kind::HostileRoot, "tmp"},
      {"hostile-bind-target", "binds and mount points below a symlink out of the root land inside the root",
       [](const Context&, bool) {
         return Args{"/data/ro/file:file", "/data/new:tmpfs"};
       },
       Stdio::Null, Kind::HostileRoot, "data",
       [](const Context& c) {
         return Args{"--ro-bind", c.ro_bind.string() + ":/data/ro", "--tmpfs", "/data/new"};
       }},
  };
  return attacks;
}

std::string random_hex(std::size_t bytes) {
  std::array<unsigned char, 16> raw{};
  bytes = std::min(bytes, raw.size());
  if (::getrandom(raw.data(), bytes, 0) != static_cast<ssize_t>(bytes)) throw_sys("getrandom", "selftest names");
  std::string out;
  for (std::size_t i = 0; i < bytes; ++i) out += fmt::format("{:02x}", raw[i]);
  return out;
}

void write_text(const fs::path& path, std::string_view content, mode_t mode = 0644) {
  UniqueFd fd = sys::open(path.string(), O_WRONLY | O_CREAT | O_TRUNC, mode);
  sys::write_all(fd.get(), content, path.string());
}

// A file's contents; empty when it is missing or cannot be read (a run that never wrote
// it, a file an attack made unreadable: the snapshot tells that by its mode).
std::string read_text(const fs::path& path) {
  try {
    return sys::read_file_if_exists(path.string()).value_or("");
  } catch (const Error&) {
    return {};
  }
}

// This hutch binary, which runs the sandboxes.
fs::path self_binary() {
  std::error_code ec;
  fs::path p = fs::read_symlink("/proc/self/exe", ec);
  if (ec) throw Error("selftest: cannot find hutch's own binary through /proc/self/exe: " + ec.message());
  return p;
}

fs::path find_attack_binary(const Options& o, const fs::path& hutch) {
  if (!o.attack_binary.empty()) return o.attack_binary;
  const std::array<fs::path, 2> candidates{hutch.parent_path() / "hutch-attack",
                                           fs::path(HUTCH_LIBEXECDIR) / "hutch-attack"};
  for (const fs::path& p : candidates)
    if (::access(p.c_str(), X_OK) == 0) return p;
  throw Error(
      fmt::format("selftest: the attack program hutch-attack is neither at {} nor at {}; build it "
                  "(it is built with hutch) or install hutch",
                  candidates[0].string(), candidates[1].string()));
}

// A host process for host-processes and ptrace-init to go for. It writes the number of
// every signal it receives (all that can be caught) to a pipe, and dies with the
// selftest. In a session of its own, so that no terminal signal (^C, a resize) reaches
// it and looks like an attack; with only stdio and the pipe open (a fork without exec
// would otherwise keep the suite's sockets and terminal).
void start_bait(Context& c) {
  Pipe p = Pipe::create();
  c.bait_name = "hutch-bait-" + random_hex(2);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) throw_sys("fork", "the bait process");
  if (pid == 0) {
    ::setsid();
    const int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    for (int fd = 0; fd < 3 && null >= 0; ++fd) ::dup2(null, fd);
    if (p.write.get() != 3 && ::dup2(p.write.get(), 3) != 3) ::_exit(1);
    ::close_range(4, ~0U, 0);
    sig::set_all_dispositions([](int sig) {
      const char number = static_cast<char>(sig);
      [[maybe_unused]] const ssize_t n = ::write(3, &number, 1);
    });
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(0);  // the selftest died before PDEATHSIG was set
    ::prctl(PR_SET_NAME, c.bait_name.c_str());
    for (;;) ::pause();
  }
  c.bait = pid;
  c.bait_signals = std::move(p.read);
  if (::fcntl(c.bait_signals.get(), F_SETFL, O_NONBLOCK) != 0) throw_sys("fcntl", "the bait's pipe");
}

void stop_bait(Context& c) {
  if (c.bait <= 0) return;
  ::kill(c.bait, SIGKILL);
  (void)sys::retry_eintr([&] { return ::waitpid(c.bait, nullptr, 0); });
  c.bait = -1;
}

// Whether the bait received a signal, was stopped or died since the last look. Signals
// sent by a run that has ended are pending by now: the bait is pinged with kBaitPing, a
// real-time signal the kernel delivers after every pending standard one, and what it
// reported before the ping is what the run did. A bait that was reached is replaced,
// so that the next attack goes for an untouched one.
std::optional<std::string> bait_changes(Context& c) {
  std::optional<std::string> what;
  int status = 0;
  if (sys::retry_eintr([&] { return ::waitpid(c.bait, &status, WNOHANG | WUNTRACED); }) == c.bait) {
    if (WIFSTOPPED(status)) {
      what = fmt::format("the host process {} was stopped", c.bait_name);
    } else {
      what = fmt::format("the host process {} is gone ({})", c.bait_name,
                         WIFSIGNALED(status) ? "killed by " + signal_name(WTERMSIG(status)) : "it exited");
      c.bait = -1;
    }
  } else if (::kill(c.bait, kBaitPing) == 0) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    bool answered = false;
    while (!answered && std::chrono::steady_clock::now() < deadline) {
      pollfd p{c.bait_signals.get(), POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      std::array<char, 64> got{};
      const ssize_t n = ::read(c.bait_signals.get(), got.data(), got.size());
      for (ssize_t i = 0; i < n; ++i) {
        if (got[static_cast<std::size_t>(i)] == static_cast<char>(kBaitPing)) {
          answered = true;
        } else if (!what) {
          what = fmt::format("the host process {} received {}", c.bait_name,
                             signal_name(got[static_cast<std::size_t>(i)]));
        }
      }
    }
    if (!answered && !what) what = fmt::format("the host process {} no longer answers", c.bait_name);
  }
  if (what) {
    stop_bait(c);
    start_bait(c);
  }
  return what;
}

UniqueFd listen_loopback(int& port) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) throw_sys("socket", "the loopback listener");
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof sa;
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), len) != 0) throw_sys("bind", "127.0.0.1");
  if (::listen(fd.get(), 64) != 0) throw_sys("listen", "127.0.0.1");
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&sa), &len) != 0) throw_sys("getsockname", "127.0.0.1");
  port = ntohs(sa.sin_port);
  return fd;
}

UniqueFd listen_abstract(const std::string& name) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) throw_sys("socket", "the abstract unix listener");
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  name.copy(sa.sun_path + 1, sizeof sa.sun_path - 2);
  const auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), len) != 0) throw_sys("bind", "@" + name);
  if (::listen(fd.get(), 64) != 0) throw_sys("listen", "@" + name);
  return fd;
}

// Everything below `dir`, one line per entry with what a change would touch (mode,
// size, owner, times, a regular file's contents, a symlink's target), sorted: two equal
// snapshots mean nothing was created, removed, written, renamed, chmod-ed, relinked or
// given an xattr. Contents count because timestamps are coarse: a same-size write
// within one clock tick changes neither size nor mtime.
std::vector<std::string> snapshot(const fs::path& dir) {
  std::vector<std::string> lines;
  std::error_code ec;
  auto entry = [&](const fs::path& p) {
    struct stat st {};
    if (::lstat(p.c_str(), &st) != 0) return;
    std::string what;
    if (S_ISREG(st.st_mode)) {
      what = fmt::format("contents {:x}", std::hash<std::string>{}(read_text(p)));
    } else if (S_ISLNK(st.st_mode)) {
      std::error_code link_ec;
      what = "-> " + fs::read_symlink(p, link_ec).string();
    }
    lines.push_back(fmt::format("{} mode {:o} size {} uid {} mtime {}.{:09} ctime {}.{:09} {}", p.string(), st.st_mode,
                                st.st_size, st.st_uid, st.st_mtim.tv_sec, st.st_mtim.tv_nsec, st.st_ctim.tv_sec,
                                st.st_ctim.tv_nsec, what));
  };
  entry(dir);
  fs::recursive_directory_iterator it(dir, ec);
  for (fs::recursive_directory_iterator end; !ec && it != end; it.increment(ec)) entry(it->path());
  if (ec) lines.push_back(fmt::format("{}: cannot be listed: {}", dir.string(), ec.message()));
  std::sort(lines.begin(), lines.end());
  return lines;
}

// What an attack could change on the host, before and after each run.
struct HostState {
  std::vector<std::string> files;
  std::string hostname;
};

HostState host_state(const Context& c) {
  HostState s{snapshot(c.roots), {}};
  const std::vector<std::string> host = snapshot(c.host);
  s.files.insert(s.files.end(), host.begin(), host.end());
  std::sort(s.files.begin(), s.files.end());  // for host_changes' binary searches
  utsname u{};
  if (::uname(&u) == 0) s.hostname = u.nodename;
  return s;
}

// What changed on the host, or nothing.
std::optional<std::string> host_changes(Context& c, const HostState& before, const HostState& after) {
  std::optional<std::string> bait = bait_changes(c);  // first: it also resets the bait
  if (before.hostname != after.hostname)
    return fmt::format("the host's hostname changed from {} to {}", before.hostname, after.hostname);
  for (const std::string& line : after.files)
    if (!std::binary_search(before.files.begin(), before.files.end(), line)) return "the host changed: " + line;
  for (const std::string& line : before.files)
    if (!std::binary_search(after.files.begin(), after.files.end(), line))
      return "the host changed: gone or altered: " + line;
  return bait;
}

// The attack's lines, without the carriage returns a terminal adds.
std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    std::erase(line, '\r');
    if (!line.empty()) out.push_back(std::move(line));
    start = end + 1;
  }
  return out;
}

struct Spawn {
  std::vector<std::string> argv;
  Stdio stdio = Stdio::Null;
  int terminal = -1;    // the pty's slave, for Stdio::Terminal
  fs::path stdin_file;  // for Stdio::HostFile when the program reads it directly
};

struct Ended {
  int status = 0;          // as waitpid gives it
  bool timed_out = false;  // stopped after kRunTimeoutSeconds
};

// Waits for a run to end. One that outlasts kRunTimeoutSeconds, or is running when a stop
// signal arrives, gets SIGTERM (hutch then stops its sandbox and cleans up), and SIGKILL
// 5 s later. The stop signals are blocked but while ppoll waits, so that one arriving
// after the look at g_stop_signal still wakes it. If waiting itself fails, the child is
// killed and reaped before the error goes up.
Ended wait_for(const sys::CloneResult& child, const std::string& what) {
  using Clock = std::chrono::steady_clock;
  const sigset_t stop = StopSignals::set();
  sigset_t unblocked;
  if (::sigprocmask(SIG_BLOCK, &stop, &unblocked) != 0) throw_sys("sigprocmask", what);
  struct Restore {
    const sigset_t& mask;
    const sys::CloneResult& child;
    bool reaped = false;
    ~Restore() {
      if (!reaped) {
        ::kill(child.pid, SIGKILL);
        (void)sys::retry_eintr([&] { return ::waitpid(child.pid, nullptr, 0); });
      }
      ::sigprocmask(SIG_SETMASK, &mask, nullptr);
    }
  } restore{unblocked, child};

  Ended e;
  auto deadline = Clock::now() + std::chrono::seconds(kRunTimeoutSeconds);
  enum { Running, Terminated, Killed } stage = Running;
  for (;;) {
    if (stage == Running && g_stop_signal != 0) {
      sys::pidfd_send_signal(child.pidfd.get(), SIGTERM);
      stage = Terminated;
      deadline = Clock::now() + std::chrono::seconds(5);
    }
    const auto left = std::max<std::int64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(deadline - Clock::now()).count(), 0);
    const timespec timeout{static_cast<time_t>(left / 1'000'000'000), static_cast<long>(left % 1'000'000'000)};
    pollfd p{child.pidfd.get(), POLLIN, 0};
    const int n = ::ppoll(&p, 1, stage == Killed ? nullptr : &timeout, &unblocked);
    if (n > 0) break;
    if (n < 0 && errno != EINTR) throw_sys("ppoll", what);
    if (n != 0) continue;
    if (stage == Running) {
      e.timed_out = true;
      sys::pidfd_send_signal(child.pidfd.get(), SIGTERM);
      stage = Terminated;
      deadline = Clock::now() + std::chrono::seconds(5);
    } else if (stage == Terminated) {
      sys::pidfd_send_signal(child.pidfd.get(), SIGKILL);
      stage = Killed;
    }
  }
  if (sys::retry_eintr([&] { return ::waitpid(child.pid, &e.status, 0); }) < 0) throw_sys("waitpid", what);
  restore.reaped = true;
  return e;
}

// Runs a program as hutch's caller would, with two careless habits the sandbox must
// undo: a descriptor left open without close-on-exec (fd 9, the host/ directory), and a
// secret in the environment.
Ended spawn(const Context& c, const Spawn& s) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) env.emplace_back(*e);
  env.push_back(c.env_name + "=" + c.env_value);
  std::vector<char*> envp;
  envp.reserve(env.size() + 1);
  for (std::string& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = s.argv;
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const std::string out = (c.io / "out").string();
  const std::string err = (c.io / "err").string();
  const std::string host = c.host.string();
  const std::string scratch = c.scratch.string();
  const std::string input = s.stdin_file.empty() ? std::string("/dev/null") : s.stdin_file.string();

  const sys::CloneResult child = sys::clone3_with_pidfd(0);
  if (child.pid == 0) {
    // Only async-signal-safe calls from here.
    if (s.stdio == Stdio::Terminal) {
      ::setsid();
      ::ioctl(s.terminal, TIOCSCTTY, 0);
      for (int fd = 0; fd < 3; ++fd) ::dup2(s.terminal, fd);
    } else {
      const int in = ::open(input.c_str(), O_RDONLY | O_CLOEXEC);
      const int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
      const int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
      if (in < 0 || o < 0 || e < 0) ::_exit(124);
      ::dup2(in, 0);
      ::dup2(o, 1);
      ::dup2(e, 2);
    }
    // In the scratch directory: a policy binding ${CWD} (ci) then binds nothing of what
    // the attacks go for.
    if (::chdir(scratch.c_str()) != 0) ::_exit(124);
    // The careless caller: fd 9 without close-on-exec (dup2 clears the flag on its copy).
    const int leaked = ::open(host.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (leaked >= 0 && leaked != 9) ::dup2(leaked, 9);
    if (leaked == 9) ::fcntl(9, F_SETFD, 0);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  return wait_for(child, s.argv[0]);
}

// A root filesystem: the attack program, a setuid copy, a file to attack, and the mount
// points the runs use (so that hutch needs no overlay for them).
void build_root(const fs::path& root, const fs::path& attack_binary, const std::vector<std::string>& policy_dirs) {
  fs::create_directories(root);
  for (const char* d : {"proc", "dev", "tmp", "ro", "work"}) fs::create_directory(root / d);
  for (const std::string& d : policy_dirs) fs::create_directories(root / fs::path(d).relative_path());
  fs::copy_file(attack_binary, root / "attack");
  fs::permissions(root / "attack", static_cast<fs::perms>(0755));
  fs::copy_file(attack_binary, root / "attack-setuid");
  if (::chmod((root / "attack-setuid").c_str(), 06755) != 0) throw_sys("chmod", (root / "attack-setuid").string());
  write_text(root / "target-file", "original\n");
}

// Makes the workspace and what is in it. c.dir is set as soon as the workspace exists,
// so that Cleanup removes it whatever fails after.
void prepare(const fs::path& attack_binary, Context& c) {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = fmt::format("{}/hutch-selftest-XXXXXX", tmp != nullptr && *tmp != '\0' ? tmp : "/tmp");
  if (::mkdtemp(pattern.data()) == nullptr) throw_sys("mkdtemp", pattern);
  c.dir = pattern;
  c.roots = c.dir / "roots";
  c.base_root = c.roots / "base";
  c.host = c.dir / "host";
  c.secret = c.host / "secret";
  c.ro_bind = c.host / "ro-bind";
  c.target = c.host / "target";
  c.stdin_file = c.host / "stdin";
  c.io = c.dir / "io";
  c.scratch = c.dir / "scratch";
  for (const fs::path& d : {c.roots, c.host, c.ro_bind, c.target, c.io, c.scratch}) fs::create_directories(d);
  build_root(c.base_root, attack_binary, c.policy_dirs);
  write_text(c.secret, "secret " + random_hex(8) + "\n", 0600);
  write_text(c.ro_bind / "file", "original\n");
  write_text(c.stdin_file, "input the command may read, never write\n");
  c.abstract = "hutch-selftest-" + random_hex(6);
  c.env_name = "HUTCH_SELFTEST_SECRET_" + random_hex(3);
  c.env_value = random_hex(8);
}

// A hostile copy of the root: `link` is a symlink that leads out of the root to the
// host's target/ (absolute, with enough ".." to climb out of any staging directory).
fs::path hostile_root(const Context& c, const Attack& a) {
  fs::path root = c.roots / fmt::format("hostile-{}", a.link);
  if (fs::exists(root)) return root;
  fs::create_directories(root);
  std::error_code ec;
  fs::create_hard_link(c.base_root / "attack", root / "attack", ec);
  if (ec) fs::copy_file(c.base_root / "attack", root / "attack");
  for (const char* d : {"proc", "dev", "tmp", "ro", "work"})
    if (a.link != d) fs::create_directory(root / d);
  for (const std::string& d : c.policy_dirs)
    if (const fs::path rel = fs::path(d).relative_path(); rel.begin()->string() != a.link)
      fs::create_directories(root / rel);
  if (a.extra == nullptr) {
    std::string climb;
    for (int i = 0; i < 16; ++i) climb += "/..";
    fs::create_symlink(climb + c.target.string(), root / std::string(a.link));
    return root;
  }
  // A relative link ("../../host/target") for the binds: resolved inside the root it
  // leads to /host/target there, which exists (out of the policy's tmpfs mounts), so the
  // run goes on: its mounts must land there, where mount-targets looks for them.
  const fs::path out = c.target.lexically_relative(root);
  fs::create_symlink(out, root / std::string(a.link));
  fs::path inside;
  for (const fs::path& part : out)
    if (part != "..") inside /= part;
  fs::create_directories(root / inside);
  return root;
}

bool any_succeeded(const std::vector<std::string>& attempts) {
  return std::any_of(attempts.begin(), attempts.end(),
                     [](const std::string& l) { return l.rfind("SUCCEEDED: ", 0) == 0; });
}

// The first SUCCEEDED line, or a summary of the refusals.
std::string summary(const std::vector<std::string>& attempts, bool breached) {
  std::size_t refused = 0;
  std::string first;
  for (const std::string& line : attempts) {
    if (breached && line.rfind("SUCCEEDED: ", 0) == 0) return line.substr(11);
    if (line.rfind("refused: ", 0) == 0) {
      if (refused++ == 0) first = line.substr(9);
    }
  }
  if (refused == 0) {
    for (const std::string& line : attempts)
      if (line.rfind("note: ", 0) == 0) return line.substr(6);
    return "nothing to report";
  }
  return refused == 1 ? first : fmt::format("{} (and {} more attempts refused)", first, refused - 1);
}

// The error line hutch or the attack printed, or a description of the status.
std::string failure_line(const Context& c, int status) {
  for (const std::string& line : lines_of(read_text(c.io / "err")))
    if (line.rfind("hutch: ", 0) == 0 || line.rfind("error: ", 0) == 0) return line;
  if (WIFSIGNALED(status)) return fmt::format("killed by signal {}", WTERMSIG(status));
  return fmt::format("exit status {}", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

class Runner {
 public:
  Runner(const Options& o, Context& c, fs::path hutch) : options_(o), c_(c), hutch_(std::move(hutch)) {}

  bool last_run_ok() const { return last_run_ok_; }

  Outcome run(const Attack& a) {
    Outcome out{std::string(a.name), std::string(a.claim), Verdict::Error, "", {}};
    if (options_.unconfined && a.kind == Kind::HostileRoot) {
      out.verdict = Verdict::NotRun;
      out.how = "it attacks hutch's own mounts: there is nothing to attack without a sandbox";
      return out;
    }
    StopSignals::check();
    std::error_code ec;
    for (const char* file : {"result.json", "out", "err"}) fs::remove(c_.io / file, ec);
    last_run_ok_ = false;
    Spawn s;
    s.argv = command(a);  // before the snapshot: it may build a hostile root
    const HostState before = host_state(c_);
    UniqueFd master;
    UniqueFd slave;
    s.stdio = a.stdio;
    if (a.stdio == Stdio::Terminal) open_terminal(master, slave, s);
    if (a.stdio == Stdio::HostFile && options_.unconfined) s.stdin_file = c_.stdin_file;
    const Ended ended = spawn(c_, s);
    StopSignals::check();
    const std::string output = a.stdio == Stdio::Terminal ? drain(master.get()) : read_text(c_.io / "out");
    out.attempts = lines_of(output);
    if (ended.timed_out && !any_succeeded(out.attempts)) {
      out.how = fmt::format("the run did not end within {} s and was stopped", kRunTimeoutSeconds);
    } else {
      judge(a, ended.status, out);
    }
    if (const auto it = c_.permitted.find(a.name); it != c_.permitted.end() && out.verdict == Verdict::Breached) {
      out.verdict = Verdict::Permitted;
      out.how = fmt::format("the policy allows it ({}): {}", it->second, out.how);
    }
    // What the suite sees on the host is a breach whatever the run ended as, and no
    // policy permits it.
    if (a.stdio == Stdio::Terminal && !drain(slave.get()).empty()) {
      out.verdict = Verdict::Breached;
      out.how = "input appeared in the caller's terminal";
    }
    if (const auto changed = host_changes(c_, before, host_state(c_))) {
      out.verdict = Verdict::Breached;
      out.how = *changed;
    }
    if (options_.unconfined) reset_scratch();
    return out;
  }

 private:
  std::vector<std::string> command(const Attack& a) {
    const std::vector<std::string> args = a.args(c_, options_.unconfined);
    if (options_.unconfined) {
      std::vector<std::string> argv{(c_.base_root / "attack").string(), std::string(a.name)};
      argv.insert(argv.end(), args.begin(), args.end());
      return argv;
    }
    const fs::path root = a.kind == Kind::HostileRoot ? hostile_root(c_, a) : c_.base_root;
    std::vector<std::string> argv{hutch_.string(), "run", "--policy", options_.policy, "--rootfs", root.string()};
    if (a.kind == Kind::Program) argv.insert(argv.end(), {"--ro-bind", c_.ro_bind.string() + ":/ro"});
    if (a.extra != nullptr) {
      const std::vector<std::string> extra = a.extra(c_);
      argv.insert(argv.end(), extra.begin(), extra.end());
    }
    if (a.stdio == Stdio::Terminal) argv.emplace_back("-i");
    if (a.stdio == Stdio::HostFile) argv.insert(argv.end(), {"--stdin", c_.stdin_file.string()});
    argv.insert(argv.end(), {"--result", (c_.io / "result.json").string(), "--", "/attack",
                             a.kind == Kind::HostileRoot ? "mount-targets" : std::string(a.name)});
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }

  // A terminal as a shell's: the pty's slave is the caller's controlling terminal and
  // fds 0-2; the selftest holds the master. Raw, so that injected bytes read at once.
  static void open_terminal(UniqueFd& master, UniqueFd& slave, Spawn& s) {
    master = UniqueFd(::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!master || ::grantpt(master.get()) != 0 || ::unlockpt(master.get()) != 0) throw_sys("posix_openpt", "");
    char name[64];
    if (::ptsname_r(master.get(), name, sizeof name) != 0) throw_sys("ptsname_r", "");
    slave = sys::open(name, O_RDWR | O_NOCTTY);
    termios t{};
    if (::tcgetattr(slave.get(), &t) == 0) {
      ::cfmakeraw(&t);
      ::tcsetattr(slave.get(), TCSANOW, &t);
    }
    ::fcntl(master.get(), F_SETFL, O_NONBLOCK);
    ::fcntl(slave.get(), F_SETFL, O_NONBLOCK);
    s.terminal = slave.get();
  }

  // Whatever is waiting to be read on a non-blocking fd.
  static std::string drain(int fd) {
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
    return out;
  }

  // Whether a hostile root's setup error is hutch refusing that root's symlink: the
  // message names the mount point at or below the link ("mount point /proc: a symlink
  // ...", "mount point /tmp: Too many levels of symbolic links") and the symlink.
  static bool refuses_link(const std::string& message, std::string_view link) {
    const std::string at = fmt::format("mount point /{}", link);
    for (std::size_t pos = message.find(at); pos != std::string::npos; pos = message.find(at, pos + 1)) {
      const std::size_t end = pos + at.size();
      if (end < message.size() && (message[end] == ':' || message[end] == '/') &&
          (message.find("symlink", end) != std::string::npos ||
           message.find("symbolic link", end) != std::string::npos))
        return true;
    }
    return false;
  }

  void judge(const Attack& a, int status, Outcome& out) {
    // An attempt that got through is a breach, however the run ended after it (a
    // policy's seccomp filter may kill the run at a later attempt).
    if (any_succeeded(out.attempts)) {
      out.verdict = Verdict::Breached;
      out.how = summary(out.attempts, true);
      return;
    }
    if (options_.unconfined) {
      const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      if (code == 0 || code == 1) {
        out.verdict = code == 1 ? Verdict::Breached : Verdict::Held;
        out.how = summary(out.attempts, code == 1);
      } else {
        out.how = failure_line(c_, status);
      }
      return;
    }
    nlohmann::json result;
    try {
      result = nlohmann::json::parse(read_text(c_.io / "result.json"));
    } catch (const nlohmann::json::exception&) {
      out.how = "hutch wrote no result: " + failure_line(c_, status);
      return;
    }
    const std::string verdict = result.value("status", "");
    const auto exit_code = result["exit_code"].is_number() ? result["exit_code"].get<int>() : -1;
    last_run_ok_ = verdict == "ok" && exit_code == 0;
    if (a.kind == Kind::HostileRoot) {
      // Refused for the hostile link itself (the control run showed the policy starts),
      // or started with every mount where the sandbox sees it: mount-targets checked.
      const std::string message = result.value("message", failure_line(c_, status));
      if (verdict == "setup-error" && refuses_link(message, a.link)) {
        out.verdict = Verdict::Held;
        out.how = "refused: " + message;
      } else if (last_run_ok_) {
        out.verdict = Verdict::Held;
        out.how = "the run went on with its mounts inside the root: " + summary(out.attempts, false);
      } else {
        out.how = fmt::format("the run ended as {}: {}", verdict, failure_line(c_, status));
      }
      return;
    }
    if (verdict == "seccomp-violation") {
      out.verdict = Verdict::Held;
      out.how = fmt::format(
          "the seccomp filter stopped the run at {}",
          result["violation"].is_object() ? result["violation"].value("call", "a call") : std::string("a call"));
    } else if ((verdict == "ok" || verdict == "runtime-error") && (exit_code == 0 || exit_code == 1)) {
      out.verdict = exit_code == 1 ? Verdict::Breached : Verdict::Held;
      out.how = summary(out.attempts, exit_code == 1);
    } else {
      out.how = fmt::format("the run ended as {}: {}", verdict, failure_line(c_, status));
    }
  }

  void reset_scratch() const {
    std::error_code ec;
    fs::remove_all(c_.scratch, ec);
    fs::create_directories(c_.scratch, ec);
  }

  const Options& options_;
  Context& c_;
  fs::path hutch_;
  bool last_run_ok_ = false;  // the last run ended "ok" with exit status 0
};

// Removes the workspace and stops the bait, whatever happened.
struct Cleanup {
  Context& c;
  explicit Cleanup(Context& context) : c(context) {}
  ~Cleanup() {
    stop_bait(c);
    std::error_code ec;
    if (!c.dir.empty()) fs::remove_all(c.dir, ec);
  }
  Cleanup(const Cleanup&) = delete;
  Cleanup& operator=(const Cleanup&) = delete;
};

// What the policy means for the suite: the directories its runs need in a root, and the
// attacks it lets through on purpose. Loading it here also reports a policy hutch
// refuses once, with its file and line, before any attack.
Context policy_context(const Options& o) {
  Context c;
  if (o.unconfined) return c;
  const policy::Policy p = policy::load_policy(o.policy, policy::default_load_context()).policy;
  auto need = [&](const std::string& dir) {
    if (!fs::path(dir).relative_path().empty()) c.policy_dirs.push_back(dir);
  };
  need(p.workdir.value_or("/"));
  for (const policy::Mount& m : p.mounts)
    if (m.type == policy::MountType::Tmpfs) need(m.target);
  if (p.network == policy::Network::Host) {
    c.permitted.emplace("host-loopback", "network: host shares the host's network");
    c.permitted.emplace("host-abstract-socket", "network: host shares the host's network, abstract sockets included");
  }
  if (p.nested_user_namespaces)
    c.permitted.emplace("nested-userns", "namespaces.nested_user: true allows user namespaces");
  return c;
}

}  // namespace

std::vector<Description> attacks() {
  std::vector<Description> out;
  for (const Attack& a : table()) out.push_back({a.name, a.claim});
  return out;
}

std::vector<Outcome> run(const Options& options, const std::function<void(const Outcome&)>& report) {
  for (const std::string& name : options.only) {
    if (std::none_of(table().begin(), table().end(), [&](const Attack& a) { return a.name == name; }))
      throw Error(fmt::format("selftest: no attack named \"{}\" (hutch selftest --list names them)", name));
  }
  if (options.unconfined && ::geteuid() == 0)
    throw Error("selftest: --unconfined runs real attacks on this machine; it refuses to run them as root");
  const fs::path hutch = options.hutch.empty() ? self_binary() : fs::path(options.hutch);
  const fs::path attack_binary = find_attack_binary(options, hutch);
  Context c = policy_context(options);
  const StopSignals stop_signals;
  const Cleanup cleanup{c};
  prepare(attack_binary, c);
  start_bait(c);
  const UniqueFd loopback = listen_loopback(c.port);
  const UniqueFd abstract = listen_abstract(c.abstract);
  Runner runner(options, c, hutch);
  if (!options.unconfined) {
    // The control: a run that attacks nothing must succeed, or no verdict means anything
    // (a policy hutch refuses would make every hostile root look "refused").
    const Outcome control = runner.run(Attack{"noop", "", none});
    if (control.verdict != Verdict::Held || !runner.last_run_ok())
      throw Error(
          fmt::format("selftest: a run that attacks nothing fails under policy {}, so the attacks could "
                      "not tell anything: {}",
                      options.policy, control.how));
  }
  std::vector<Outcome> outcomes;
  for (const Attack& a : table()) {
    if (!options.only.empty() && std::find(options.only.begin(), options.only.end(), a.name) == options.only.end())
      continue;
    outcomes.push_back(runner.run(a));
    report(outcomes.back());
  }
  return outcomes;
}

}  // namespace hutch::selftest
