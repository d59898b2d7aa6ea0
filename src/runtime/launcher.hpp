// Turning a Plan into a running sandbox and waiting for it (DESIGN.md "launcher" and
// "supervisor"). launch() returns once the sandbox is gone, with what happened.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "limits/limits.hpp"
#include "runtime/plan.hpp"
#include "seccomp/describe.hpp"

namespace hutch::runtime {

// hutch's exit status (docs/exit-codes.md): the payload's own code, 128+N when signal N
// killed it, and these for hutch's own failures, as container runtimes and shells do.
inline constexpr int kExitSetupFailed = 125;   // hutch could not set up the sandbox
inline constexpr int kExitCannotExecute = 126; // the command exists but execve refused it
inline constexpr int kExitNotFound = 127;      // the command does not exist in the sandbox

struct Outcome {
  enum class Status {
    Exited,      // the payload exited; exit_code is its code
    Signaled,    // the payload (or, failing that, the sandbox's init) was killed by `signal`
    SetupError,  // hutch failed before the command ran; message says where and why
    SeccompViolation,  // the filter's kill action stopped the run; violation says what
    TimeLimit,         // the sandbox's processes used more CPU time than limits.cpu_time
    WallTimeLimit,     // the run took longer than limits.wall_time; the supervisor ended it
    MemoryLimit,       // the kernel's OOM killer acted in the run's memory cgroup
    OutputLimit,       // stdout and stderr together passed limits.output; the supervisor ended it
  };
  Status status = Status::SetupError;
  int exit_code = 0;
  int signal = 0;
  int sys_errno = 0;
  std::string message;
  std::optional<seccomp::Violation> violation;  // SeccompViolation with a listener: the call
  // What the sandbox's processes used, from the kernel's accounting of its init and
  // every process init reaped (all of them, as init reaps orphans and the kernel reaps
  // what is left when init dies): unset when the sandbox never started.
  struct Usage {
    std::chrono::milliseconds cpu_time{0};    // user + system, all processes (cgroup's when there is one)
    std::uint64_t max_rss_bytes = 0;          // the largest resident set of one process
    std::uint64_t voluntary_switches = 0;     // context switches, all processes
    std::uint64_t forced_switches = 0;
    std::optional<std::uint64_t> memory_peak_bytes;  // the memory cgroup's peak: every process, page cache too
    std::uint64_t oom_kills = 0;                     // by the OOM killer, in the memory cgroup
    std::optional<std::uint64_t> processes_peak;     // the pids cgroup's peak, hutch's init left out
  };
  std::optional<Usage> usage;
  std::optional<std::chrono::milliseconds> run_time;  // from execve to the end of the sandbox
  std::vector<limits::Applied> limits;                 // what was in force, and by what
  std::vector<limits::Missing> missing;                // preferred limits this machine could not enforce
  std::optional<std::uint64_t> output_bytes;           // stdout + stderr, when they went through hutch
};

// The exit status hutch itself ends with for this outcome.
int exit_status(const Outcome& outcome);

// Runs the sandbox to completion. Throws Error for failures before the sandbox exists
// (nothing is left behind then either); failures inside it come back as SetupError.
Outcome launch(const Plan& plan);

}  // namespace hutch::runtime
