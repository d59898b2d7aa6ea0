// What a policy's `seccomp` section says, as plain data (docs/policy.md, docs/seccomp.md).
//
// policy/ fills it from YAML and merges it along `extends`; seccomp/resolve.cpp turns
// it, with the baseline, into one action per system call and argument condition;
// seccomp/compile.cpp turns that into BPF.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace hutch::seccomp {

struct Action {
  enum class Kind {
    Allow,
    Errno,  // the call fails with errno_value and does nothing
    Kill,   // the run is stopped and the call named as a violation
    Trap,   // SIGSYS to the calling thread, which may handle it
    Log,    // allowed, and logged by the kernel (audit, dmesg)
  };
  Kind kind = Kind::Allow;
  int errno_value = 0;  // Errno only: 1 to 4095

  bool operator==(const Action&) const = default;
};

enum class Op { Eq, Ne, Lt, Le, Gt, Ge, Masked };

// Argument `arg` (0-5) compared to `value`; Masked: (argument & mask) == value.
// Comparisons are of the full 64-bit register, as the kernel passes it: for an int
// argument, compare masked with 0xffffffff (docs/seccomp.md).
struct Condition {
  unsigned arg = 0;
  Op op = Op::Eq;
  std::uint64_t value = 0;
  std::uint64_t mask = 0;
  std::string value_text;  // as written, for `policy show`; "" for conditions hutch made
  std::string mask_text;

  bool same_test(const Condition& o) const { return arg == o.arg && op == o.op && value == o.value && mask == o.mask; }
};

struct Rule {
  std::string syscall;  // a system call name, or a group such as "@network-io" (then no args)
  Action action;
  std::vector<Condition> args;  // all must hold; each argument compared at most once

  // Same system call and same conditions: a later rule with this key replaces the earlier.
  bool same_key(const Rule& o) const;
};

struct Filter {
  Action default_action{Action::Kind::Errno, 38};  // ENOSYS: unknown to the filter, or not allowed
  Action baseline{Action::Kind::Errno, 1};         // EPERM, for the baseline's items
  std::vector<Rule> rules;                         // `allow:` entries are rules with Action::Kind::Allow
};

// "allow", "errno(EPERM)", "kill", ...: the policy spelling of an action.
std::string format_action(const Action& action);
// "==", "!=", "<", "<=", ">", ">=", "masked"
const char* format_op(Op op);

}  // namespace hutch::seccomp

namespace hutch::seccomp {

// The inverse of format_action; errno by name (EPERM) or number (1 to 4095). Throws
// hutch::Error saying what was expected.
Action parse_action(std::string_view text);

}  // namespace hutch::seccomp
