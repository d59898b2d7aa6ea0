// Fuzzes the seccomp section: parse (policy/load.cpp), resolve, compile with libseccomp
// and the program check (seccomp/). Only PolicyError and hutch::Error may escape; a
// program that compiles must give, for every call the rules name and for calls they
// do not, the action the resolved rules say, and kill for other architectures.
#include <seccomp.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "policy/layer.hpp"
#include "policy/merge.hpp"
#include "seccomp/compile.hpp"
#include "util/error.hpp"

namespace {

using namespace hutch::seccomp;

void check_answers(const Resolved& resolved, const Program& program) {
  const auto answer = [&](std::uint32_t arch, int nr) {
    seccomp_data d{};
    d.arch = arch;
    d.nr = nr;
    return run_bpf(program, d);
  };
  for (const ResolvedSyscall& s : resolved.syscalls) {
    const int nr = seccomp_syscall_resolve_name(s.name.c_str());
    if (nr < 0) continue;
    // With all arguments 0, a call without argument rules answers its own action.
    if (s.conditional.empty() && answer(SCMP_ARCH_X86_64, nr) != kernel_action(s.otherwise, KillMode::Notify)) {
      __builtin_trap();
    }
  }
  // A number no rule names: the default.
  if (answer(SCMP_ARCH_X86_64, 1000) != kernel_action(resolved.default_action, KillMode::Notify)) __builtin_trap();
  // Other architectures: always the kill action.
  if (answer(SCMP_ARCH_X86, 26) != SECCOMP_RET_USER_NOTIF) __builtin_trap();
  if (answer(SCMP_ARCH_X86_64, 0x40000000 | 39) != SECCOMP_RET_USER_NOTIF) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 8192) return 0;
  const std::string text(reinterpret_cast<const char*>(data), size);
  hutch::policy::Policy policy;
  try {
    hutch::policy::apply_layer(policy, hutch::policy::parse_policy(text, "fuzz.yaml", "/dir", {"/cwd", "/home"}));
  } catch (const hutch::policy::PolicyError&) {
    return 0;
  }
  for (bool nested : {false, true}) {
    const Resolved resolved = resolve(policy.seccomp, {nested});
    Compiled compiled;
    try {
      compiled = compile(resolved, KillMode::Notify);
    } catch (const hutch::Error&) {
      continue;  // refused with a message: libseccomp cannot combine these rules
    }
    if (!compiled.uses_notify) __builtin_trap();
    check_answers(resolved, compiled.program);
  }
  return 0;
}
