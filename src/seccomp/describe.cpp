#include "seccomp/describe.hpp"

#include <sched.h>
#include <seccomp.h>
#include <sys/ptrace.h>
#include <sys/socket.h>

#include <array>
#include <cstdlib>
#include <memory>
#include <string_view>

#include <fmt/format.h>

namespace hutch::seccomp {
namespace {

constexpr int kX32Bit = 0x40000000;

enum class Show { Number, Hex, Ptrace, Family, CloneFlags, Ioctl };

struct Signature {
  std::string_view name;
  std::array<Show, 3> args;
  int count;
};

// How many arguments to show, and how: enough to see what was attempted.
constexpr std::array kSignatures{
    Signature{"ptrace", {Show::Ptrace, Show::Number, Show::Hex}, 2},
    Signature{"socket", {Show::Family, Show::Hex, Show::Number}, 3},
    Signature{"socketpair", {Show::Family, Show::Hex, Show::Number}, 3},
    Signature{"clone", {Show::CloneFlags, Show::Hex, Show::Hex}, 1},
    Signature{"unshare", {Show::CloneFlags, Show::Hex, Show::Hex}, 1},
    Signature{"setns", {Show::Number, Show::CloneFlags, Show::Hex}, 2},
    Signature{"ioctl", {Show::Number, Show::Ioctl, Show::Hex}, 2},
    Signature{"kill", {Show::Number, Show::Number, Show::Hex}, 2},
    Signature{"keyctl", {Show::Number, Show::Hex, Show::Hex}, 2},
    Signature{"mount", {Show::Hex, Show::Hex, Show::Hex}, 3},
    Signature{"umount2", {Show::Hex, Show::Hex, Show::Hex}, 2},
    Signature{"bpf", {Show::Number, Show::Hex, Show::Number}, 3},
    Signature{"personality", {Show::Hex, Show::Hex, Show::Hex}, 1},
    Signature{"prctl", {Show::Number, Show::Hex, Show::Hex}, 2},
};

std::string ptrace_request(std::uint64_t v) {
  switch (v) {
    case PTRACE_TRACEME: return "PTRACE_TRACEME";
    case PTRACE_PEEKTEXT: return "PTRACE_PEEKTEXT";
    case PTRACE_PEEKDATA: return "PTRACE_PEEKDATA";
    case PTRACE_POKEDATA: return "PTRACE_POKEDATA";
    case PTRACE_CONT: return "PTRACE_CONT";
    case PTRACE_ATTACH: return "PTRACE_ATTACH";
    case PTRACE_DETACH: return "PTRACE_DETACH";
    case PTRACE_SEIZE: return "PTRACE_SEIZE";
  }
  return std::to_string(v);
}

std::string family(std::uint64_t v) {
  switch (v) {
    case AF_UNIX: return "AF_UNIX";
    case AF_INET: return "AF_INET";
    case AF_INET6: return "AF_INET6";
    case AF_NETLINK: return "AF_NETLINK";
    case AF_PACKET: return "AF_PACKET";
    case AF_VSOCK: return "AF_VSOCK";
  }
  return std::to_string(v);
}

std::string clone_flags(std::uint64_t v) {
  static constexpr std::array<std::pair<std::uint64_t, std::string_view>, 7> kNames{{
      {CLONE_NEWUSER, "CLONE_NEWUSER"}, {CLONE_NEWNS, "CLONE_NEWNS"}, {CLONE_NEWPID, "CLONE_NEWPID"},
      {CLONE_NEWNET, "CLONE_NEWNET"}, {CLONE_NEWIPC, "CLONE_NEWIPC"}, {CLONE_NEWUTS, "CLONE_NEWUTS"},
      {CLONE_NEWCGROUP, "CLONE_NEWCGROUP"}}};
  std::string out;
  for (const auto& [bit, name] : kNames) {
    if ((v & bit) == 0) continue;
    out += out.empty() ? "" : "|";
    out += name;
    v &= ~bit;
  }
  if (v != 0 || out.empty()) out += fmt::format("{}{:#x}", out.empty() ? "" : "|", v);
  return out;
}

std::string show(Show how, std::uint64_t v) {
  switch (how) {
    case Show::Number: return std::to_string(static_cast<std::int64_t>(v));
    case Show::Hex: return fmt::format("{:#x}", v);
    case Show::Ptrace: return ptrace_request(v);
    case Show::Family: return family(v);
    case Show::CloneFlags: return clone_flags(v);
    case Show::Ioctl:
      if ((v & 0xffffffffu) == 0x5412) return v == 0x5412 ? "TIOCSTI" : fmt::format("TIOCSTI ({:#x})", v);
      if ((v & 0xffffffffu) == 0x541c) return "TIOCLINUX";
      return fmt::format("{:#x}", v);
  }
  return fmt::format("{:#x}", v);
}

}  // namespace

std::string Violation::arch_name() const {
  if (arch == SCMP_ARCH_X86_64) return (nr & kX32Bit) != 0 ? "x32" : "x86_64";
  if (arch == SCMP_ARCH_X86) return "i386";
  if (arch == SCMP_ARCH_AARCH64) return "aarch64";
  if (arch == SCMP_ARCH_ARM) return "arm";
  return fmt::format("arch {:#x}", arch);
}

std::string Violation::syscall_name() const {
  const std::uint32_t token = arch == SCMP_ARCH_X86_64 && (nr & kX32Bit) != 0 ? SCMP_ARCH_X32 : arch;
  std::unique_ptr<char, decltype(&std::free)> name(seccomp_syscall_resolve_num_arch(token, nr), &std::free);
  return name ? std::string(name.get()) : fmt::format("syscall {}", nr);
}

std::string describe(const Violation& v) {
  const std::string name = v.syscall_name();
  const std::string prefix = v.arch == seccomp_arch_native() && (v.nr & kX32Bit) == 0 ? "" : v.arch_name() + " ";
  std::string args;
  for (const Signature& s : kSignatures) {
    if (s.name != name) continue;
    for (int i = 0; i < s.count; ++i) args += fmt::format("{}{}", i == 0 ? "" : ", ", show(s.args[i], v.args[i]));
  }
  return fmt::format("{}{}({})", prefix, name, args);
}

}  // namespace hutch::seccomp
