// A system call the filter stopped, in words: "ptrace(PTRACE_ATTACH, 1)",
// "i386 socketcall(1, 0xffd0c4a0)". Used by the supervisor for the message and the result.
#pragma once

#include <cstdint>
#include <string>

namespace hutch::seccomp {

struct Violation {
  std::uint32_t arch = 0;  // AUDIT_ARCH_*, as seccomp_data has it
  int nr = 0;
  std::uint64_t args[6]{};
  int pid = 0;  // as the kernel reports it to the listener (the supervisor's pid namespace)

  std::string syscall_name() const;  // "ptrace"; "syscall 1234" when unknown
  std::string arch_name() const;     // "x86_64", "i386", "x32"
};

// "ptrace(PTRACE_ATTACH, 1)": the arguments worth showing, with constants by name.
std::string describe(const Violation& v);

}  // namespace hutch::seccomp
