// bench/seccomp: the cost of hutch's seccomp filters per system call. For no filter,
// the `default` filter and the `judge` filter, a child process installs the filter as
// the payload would and then (1) calls getppid(2) in a loop, (2) runs a realistic
// workload (`find /usr -xdev`: getdents64, newfstatat, openat, ...) several times.
// Prints nanoseconds per call, milliseconds per workload run, and ratios to no filter.
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/filter.h>
#include <linux/seccomp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "policy/lookup.hpp"
#include "seccomp/compile.hpp"

namespace {

using Clock = std::chrono::steady_clock;

hutch::seccomp::Program program_of(const std::string& name) {
  const hutch::policy::LoadedPolicy loaded = hutch::policy::load_policy("builtin:" + name, {});
  const hutch::policy::Policy& p = loaded.policy;
  // KILL_PROCESS instead of a listener: the benchmark measures allowed calls only.
  return hutch::seccomp::compile(hutch::seccomp::resolve(p.seccomp, {p.nested_user_namespaces}),
                                 hutch::seccomp::KillMode::KillProcess)
      .program;
}

void install(const std::optional<hutch::seccomp::Program>& program) {
  if (!program) return;
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) std::_Exit(90);
  sock_fprog prog{static_cast<unsigned short>(program->size()), const_cast<sock_filter*>(program->data())};
  if (::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) std::_Exit(91);
}

// Runs `work` in a child under the filter; returns what it wrote (a double).
template <typename Work>
double in_child(const std::optional<hutch::seccomp::Program>& program, Work work) {
  int fds[2];
  // Close-on-exec: the workload's find must not hold the result pipe open.
  if (::pipe2(fds, O_CLOEXEC) != 0) std::exit(1);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    install(program);
    const double result = work();
    if (::write(fds[1], &result, sizeof result) != sizeof result) std::_Exit(92);
    std::_Exit(0);
  }
  ::close(fds[1]);
  double result = -1;
  if (::read(fds[0], &result, sizeof result) != sizeof result) result = -1;
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return result;
}

double null_syscall_ns(long calls) {
  const auto start = Clock::now();
  for (long i = 0; i < calls; ++i) ::syscall(SYS_getppid);
  return std::chrono::duration<double, std::nano>(Clock::now() - start).count() / static_cast<double>(calls);
}

// Median wall time of `runs` runs of the workload, started from this (filtered) process.
double workload_ms(int runs) {
  std::vector<double> times;
  for (int i = 0; i < runs; ++i) {
    const auto start = Clock::now();
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::execlp("find", "find", "/usr", "-xdev", "-printf", "", static_cast<char*>(nullptr));
      std::_Exit(127);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return -1;
    times.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

// A positive count from the command line, or `fallback` when it is not given.
long count_arg(int argc, char** argv, int index, long fallback) {
  if (argc <= index) return fallback;
  char* end = nullptr;
  const long value = std::strtol(argv[index], &end, 10);
  if (*end != '\0' || value < 1) {
    (void)std::fprintf(stderr, "usage: seccomp_bench [CALLS [ROUNDS]] (positive numbers)\n");
    std::exit(2);
  }
  return value;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const long calls = count_arg(argc, argv, 1, 1000000);
  const long rounds = count_arg(argc, argv, 2, 7);
  struct Config {
    const char* name;
    std::optional<hutch::seccomp::Program> program;
    std::vector<double> ns;
    std::vector<double> ms;
  };
  std::vector<Config> configs{{"none", std::nullopt, {}, {}},
                              {"default", program_of("default"), {}, {}},
                              {"judge", program_of("judge"), {}, {}}};
  // Rounds alternate the configurations, so that drift and caches hit each alike.
  for (const Config& c : configs) in_child(c.program, [&] { return workload_ms(1); });  // warm the dentry cache
  for (long r = 0; r < rounds; ++r) {
    for (Config& c : configs) {
      c.ns.push_back(in_child(c.program, [&] { return null_syscall_ns(calls); }));
      c.ms.push_back(in_child(c.program, [&] { return workload_ms(1); }));
    }
  }
  std::printf("%-8s %6s %12s %14s %8s %8s\n", "filter", "insns", "getppid ns", "find /usr ms", "x call", "x find");
  const double base_ns = median(configs[0].ns);
  const double base_ms = median(configs[0].ms);
  for (const Config& c : configs) {
    std::printf("%-8s %6zu %12.1f %14.2f %8.2f %8.2f\n", c.name, c.program ? c.program->size() : 0, median(c.ns),
                median(c.ms), median(c.ns) / base_ns, median(c.ms) / base_ms);
  }
  std::printf("(medians of %ld alternating rounds of %ld getppid calls and one find /usr -xdev each; "
              "ratios against no filter)\n",
              rounds, calls);
  return 0;
}
