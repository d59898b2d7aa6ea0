// A policy's seccomp section, with the baseline, as one decision per system call:
// what the call gets when none of its argument rules match (`otherwise`), and those
// rules. Pure; `hutch policy seccomp` prints it and compile.cpp turns it into BPF.
//
// Precedence (docs/seccomp.md): a rule naming the system call beats a group that
// contains it; of two groups with different actions the stricter wins; the baseline
// beats both unless the call is allowed by name; the default covers the rest.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "seccomp/model.hpp"

namespace hutch::seccomp {

struct ResolvedRule {
  Action action;
  std::vector<Condition> args;
  std::string why;  // "rule", "baseline: ..."
};

struct ResolvedSyscall {
  std::string name;
  Action otherwise;
  std::string why;                       // where `otherwise` comes from
  std::vector<ResolvedRule> conditional;  // actions differ from `otherwise`
};

struct Resolved {
  Action default_action;
  std::vector<ResolvedSyscall> syscalls;  // sorted by name; only those not left to the default
};

struct ResolveOptions {
  bool nested_user_namespaces = false;  // the policy's namespaces.nested_user
};

// Throws hutch::Error for a filter that would undo the options: clone3 allowed while
// nested user namespaces are not.
Resolved resolve(const Filter& filter, const ResolveOptions& options);

// The baseline's items with the reason for each, for the docs and `policy seccomp`.
struct BaselineItem {
  std::string syscall;
  std::vector<Condition> args;  // empty: the whole call
  std::string reason;
  std::optional<Action> fixed;  // an action of its own instead of the policy's `baseline`
};
std::vector<BaselineItem> baseline_items(const ResolveOptions& options);

// How strict an action is: allow < log < errno < trap < kill.
int strictness(const Action& action);

}  // namespace hutch::seccomp
