// Resolved rules -> a BPF program, with libseccomp (in the supervisor, before clone:
// a policy libseccomp refuses stops the run before anything exists).
//
// Architectures: the program accepts only the native one. On x86_64 an `int 0x80`
// (i386) or x32 system call is a violation like a forbidden call, whatever it is:
// no rule is ever bypassed through another architecture's numbers.
#pragma once

#include <cstdint>

#include "seccomp/bpf.hpp"
#include "seccomp/resolve.hpp"

namespace hutch::seccomp {

// How `kill` is carried out. Notify: the supervisor's listener hears of the call,
// names it and stops the run (docs/seccomp.md). KillProcess: the kernel kills the
// process with SIGSYS, where no listener can be had (`init: false`, or a filter with
// a listener already above hutch's).
enum class KillMode { Notify, KillProcess };

struct Compiled {
  Program program;
  bool uses_notify = false;  // KillMode::Notify: kill paths (other architectures at least) notify
};

// Throws hutch::Error when libseccomp refuses a rule, or when the program it built
// does not do what the rules say (checked by running it on each conditional rule's
// edge values, seccomp/bpf.hpp).
Compiled compile(const Resolved& resolved, KillMode mode);

// SECURITY: libseccomp builds one decision tree per call and tests arguments in an
// order of its own; a rule set it cannot order as meant must not run. For every call
// with argument rules, each compared argument is tried at, around and above its values
// (the upper half set too) and the program's answer compared with the rules'. Throws
// hutch::Error naming the call and the argument. compile() calls it.
void check_program(const Program& program, const Resolved& resolved, KillMode mode);

// The same program with every USER_NOTIF return turned into KILL_PROCESS.
Program without_notify(const Program& program);

// The kernel's return value for an action under `mode`.
std::uint32_t kernel_action(const Action& action, KillMode mode);

}  // namespace hutch::seccomp
