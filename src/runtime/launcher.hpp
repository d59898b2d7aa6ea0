// Turning a Plan into a running sandbox and waiting for it (DESIGN.md "launcher" and
// "supervisor"). launch() returns once the sandbox is gone, with what happened.
#pragma once

#include <optional>
#include <string>

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
  };
  Status status = Status::SetupError;
  int exit_code = 0;
  int signal = 0;
  int sys_errno = 0;
  std::string message;
  std::optional<seccomp::Violation> violation;  // SeccompViolation with a listener: the call
};

// The exit status hutch itself ends with for this outcome.
int exit_status(const Outcome& outcome);

// Runs the sandbox to completion. Throws Error for failures before the sandbox exists
// (nothing is left behind then either); failures inside it come back as SetupError.
Outcome launch(const Plan& plan);

}  // namespace hutch::runtime
