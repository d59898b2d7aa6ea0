// Classic BPF as seccomp runs it: an interpreter (to check what libseccomp compiled
// against what the policy meant, in compile.cpp, the tests and the fuzz target) and
// a disassembler (`hutch policy seccomp --bpf`).
#pragma once

#include <linux/filter.h>
#include <linux/seccomp.h>

#include <cstdint>
#include <string>
#include <vector>

namespace hutch::seccomp {

using Program = std::vector<sock_filter>;

// The filter's return value (SECCOMP_RET_*) for one system call. Throws hutch::Error
// for a program the kernel would refuse (a jump out of it, an unknown instruction).
std::uint32_t run_bpf(const Program& program, const seccomp_data& data);

// One line per instruction: "0012: jeq #0x3e, 13, 20".
std::string disassemble(const Program& program);

// "ALLOW", "ERRNO(38)", "KILL_PROCESS", "USER_NOTIF", ...
std::string describe_return(std::uint32_t ret);

}  // namespace hutch::seccomp
