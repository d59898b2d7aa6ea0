// System call names and the symbolic constants policies may use in argument
// conditions, as libseccomp and the kernel headers know them.
//
// A name is valid when libseccomp resolves it on any architecture hutch filters
// (x86_64, i386, x32): `socketcall` exists only on i386, and is still a name a
// policy may use. Pure lookups; nothing here touches the kernel.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hutch::seccomp {

// Is `name` a system call on some architecture hutch filters?
bool is_known_syscall(std::string_view name);

// Every known name, sorted: the `@known` group and the source of suggestions.
const std::vector<std::string>& known_syscalls();

// The closest known name (at most two edits away), for "did you mean ...?".
std::optional<std::string> nearest_syscall(std::string_view name);

// "AF_VSOCK" -> 40. Constants of the usual arguments: AF_*, SOCK_*, IPPROTO_*, CLONE_*, PROT_*,
// MAP_*, O_*, TIOC*/TC*/FIO*, PTRACE_*, PR_*.
std::optional<std::uint64_t> constant_value(std::string_view name);

// A number (decimal, 0x hex, 0 octal) or constants joined by `|`:
// "CLONE_NEWUSER|CLONE_NEWNS", "0x10", "AF_INET". Throws hutch::Error saying why.
std::uint64_t parse_value(std::string_view text);

// The closest constant name, for "did you mean ...?".
std::optional<std::string> nearest_constant(std::string_view name);

}  // namespace hutch::seccomp
