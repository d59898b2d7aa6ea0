#include "seccomp/syscalls.hpp"

#include <fcntl.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <termios.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <utility>

#include <fmt/format.h>

#include "util/error.hpp"
#include "util/suggest.hpp"

namespace hutch::seccomp {

// Every name libseccomp knows on x86_64, i386 and x32, sorted (generated at build time
// by src/seccomp/gen/gen_known_syscalls.cpp from the libseccomp hutch links).
extern const std::vector<std::string_view> kKnownSyscallNames;

namespace {

#define HUTCH_CONSTANT(name) std::pair<std::string_view, std::uint64_t>{#name, static_cast<std::uint64_t>(name)}

// A table rather than a switch: `hutch policy seccomp` and the docs list what is here.
constexpr std::array kConstants{
    // socket(2) domains and types
    HUTCH_CONSTANT(AF_UNSPEC), HUTCH_CONSTANT(AF_UNIX), HUTCH_CONSTANT(AF_LOCAL), HUTCH_CONSTANT(AF_INET),
    HUTCH_CONSTANT(AF_INET6), HUTCH_CONSTANT(AF_NETLINK), HUTCH_CONSTANT(AF_PACKET), HUTCH_CONSTANT(AF_BLUETOOTH),
    HUTCH_CONSTANT(AF_ALG), HUTCH_CONSTANT(AF_VSOCK), HUTCH_CONSTANT(AF_KEY), HUTCH_CONSTANT(AF_XDP),
    HUTCH_CONSTANT(AF_CAN), HUTCH_CONSTANT(AF_TIPC), HUTCH_CONSTANT(AF_RDS), HUTCH_CONSTANT(AF_APPLETALK),
    HUTCH_CONSTANT(AF_X25), HUTCH_CONSTANT(AF_AX25), HUTCH_CONSTANT(AF_NFC), HUTCH_CONSTANT(AF_QIPCRTR),
    HUTCH_CONSTANT(SOCK_STREAM), HUTCH_CONSTANT(SOCK_DGRAM), HUTCH_CONSTANT(SOCK_RAW), HUTCH_CONSTANT(SOCK_SEQPACKET),
    HUTCH_CONSTANT(SOCK_RDM), HUTCH_CONSTANT(SOCK_PACKET), HUTCH_CONSTANT(SOCK_NONBLOCK), HUTCH_CONSTANT(SOCK_CLOEXEC),
    HUTCH_CONSTANT(IPPROTO_IP), HUTCH_CONSTANT(IPPROTO_ICMP), HUTCH_CONSTANT(IPPROTO_TCP), HUTCH_CONSTANT(IPPROTO_UDP),
    HUTCH_CONSTANT(IPPROTO_IPV6), HUTCH_CONSTANT(IPPROTO_ICMPV6), HUTCH_CONSTANT(IPPROTO_RAW),
    HUTCH_CONSTANT(IPPROTO_SCTP),
    // clone(2), unshare(2), setns(2)
    HUTCH_CONSTANT(CLONE_VM), HUTCH_CONSTANT(CLONE_FS), HUTCH_CONSTANT(CLONE_FILES), HUTCH_CONSTANT(CLONE_SIGHAND),
    HUTCH_CONSTANT(CLONE_PIDFD), HUTCH_CONSTANT(CLONE_PTRACE), HUTCH_CONSTANT(CLONE_VFORK), HUTCH_CONSTANT(CLONE_PARENT),
    HUTCH_CONSTANT(CLONE_THREAD), HUTCH_CONSTANT(CLONE_NEWNS), HUTCH_CONSTANT(CLONE_SYSVSEM),
    HUTCH_CONSTANT(CLONE_SETTLS), HUTCH_CONSTANT(CLONE_PARENT_SETTID), HUTCH_CONSTANT(CLONE_CHILD_CLEARTID),
    HUTCH_CONSTANT(CLONE_UNTRACED), HUTCH_CONSTANT(CLONE_CHILD_SETTID), HUTCH_CONSTANT(CLONE_NEWCGROUP),
    HUTCH_CONSTANT(CLONE_NEWUTS), HUTCH_CONSTANT(CLONE_NEWIPC), HUTCH_CONSTANT(CLONE_NEWUSER),
    HUTCH_CONSTANT(CLONE_NEWPID), HUTCH_CONSTANT(CLONE_NEWNET), HUTCH_CONSTANT(CLONE_IO), HUTCH_CONSTANT(CLONE_NEWTIME),
    // mmap(2), mprotect(2)
    HUTCH_CONSTANT(PROT_NONE), HUTCH_CONSTANT(PROT_READ), HUTCH_CONSTANT(PROT_WRITE), HUTCH_CONSTANT(PROT_EXEC),
    HUTCH_CONSTANT(PROT_GROWSDOWN), HUTCH_CONSTANT(PROT_GROWSUP), HUTCH_CONSTANT(MAP_SHARED),
    HUTCH_CONSTANT(MAP_PRIVATE), HUTCH_CONSTANT(MAP_FIXED), HUTCH_CONSTANT(MAP_ANONYMOUS),
    HUTCH_CONSTANT(MAP_GROWSDOWN), HUTCH_CONSTANT(MAP_NORESERVE), HUTCH_CONSTANT(MAP_POPULATE),
    HUTCH_CONSTANT(MAP_STACK), HUTCH_CONSTANT(MAP_HUGETLB), HUTCH_CONSTANT(MAP_FIXED_NOREPLACE),
    // open(2)
    HUTCH_CONSTANT(O_RDONLY), HUTCH_CONSTANT(O_WRONLY), HUTCH_CONSTANT(O_RDWR), HUTCH_CONSTANT(O_ACCMODE),
    HUTCH_CONSTANT(O_CREAT), HUTCH_CONSTANT(O_EXCL), HUTCH_CONSTANT(O_NOCTTY), HUTCH_CONSTANT(O_TRUNC),
    HUTCH_CONSTANT(O_APPEND), HUTCH_CONSTANT(O_NONBLOCK), HUTCH_CONSTANT(O_DSYNC), HUTCH_CONSTANT(O_SYNC),
    HUTCH_CONSTANT(O_DIRECT), HUTCH_CONSTANT(O_LARGEFILE), HUTCH_CONSTANT(O_DIRECTORY), HUTCH_CONSTANT(O_NOFOLLOW),
    HUTCH_CONSTANT(O_NOATIME), HUTCH_CONSTANT(O_CLOEXEC), HUTCH_CONSTANT(O_PATH), HUTCH_CONSTANT(O_TMPFILE),
    // ioctl(2) requests on terminals and files
    HUTCH_CONSTANT(TIOCSTI), HUTCH_CONSTANT(TIOCLINUX), HUTCH_CONSTANT(TIOCSCTTY), HUTCH_CONSTANT(TIOCNOTTY),
    HUTCH_CONSTANT(TIOCGWINSZ), HUTCH_CONSTANT(TIOCSWINSZ), HUTCH_CONSTANT(TIOCGPGRP), HUTCH_CONSTANT(TIOCSPGRP),
    HUTCH_CONSTANT(TIOCGPTN), HUTCH_CONSTANT(TIOCSPTLCK), HUTCH_CONSTANT(TIOCSETD), HUTCH_CONSTANT(TIOCCONS),
    HUTCH_CONSTANT(TIOCEXCL), HUTCH_CONSTANT(TIOCNXCL), HUTCH_CONSTANT(TIOCOUTQ), HUTCH_CONSTANT(TIOCGSID),
    HUTCH_CONSTANT(TCGETS), HUTCH_CONSTANT(TCSETS), HUTCH_CONSTANT(TCSETSW), HUTCH_CONSTANT(TCSETSF),
    HUTCH_CONSTANT(TCFLSH), HUTCH_CONSTANT(TCXONC), HUTCH_CONSTANT(TCSBRK), HUTCH_CONSTANT(FIONREAD),
    HUTCH_CONSTANT(FIONBIO), HUTCH_CONSTANT(FIOCLEX), HUTCH_CONSTANT(FIONCLEX), HUTCH_CONSTANT(FIOASYNC),
    // ptrace(2)
    HUTCH_CONSTANT(PTRACE_TRACEME), HUTCH_CONSTANT(PTRACE_PEEKTEXT), HUTCH_CONSTANT(PTRACE_PEEKDATA),
    HUTCH_CONSTANT(PTRACE_POKETEXT), HUTCH_CONSTANT(PTRACE_POKEDATA), HUTCH_CONSTANT(PTRACE_CONT),
    HUTCH_CONSTANT(PTRACE_KILL), HUTCH_CONSTANT(PTRACE_ATTACH), HUTCH_CONSTANT(PTRACE_DETACH),
    HUTCH_CONSTANT(PTRACE_SEIZE), HUTCH_CONSTANT(PTRACE_INTERRUPT), HUTCH_CONSTANT(PTRACE_GETREGS),
    HUTCH_CONSTANT(PTRACE_SETREGS), HUTCH_CONSTANT(PTRACE_SYSCALL), HUTCH_CONSTANT(PTRACE_SETOPTIONS),
    // prctl(2)
    HUTCH_CONSTANT(PR_SET_PDEATHSIG), HUTCH_CONSTANT(PR_GET_PDEATHSIG), HUTCH_CONSTANT(PR_SET_DUMPABLE),
    HUTCH_CONSTANT(PR_GET_DUMPABLE), HUTCH_CONSTANT(PR_SET_NAME), HUTCH_CONSTANT(PR_GET_NAME),
    HUTCH_CONSTANT(PR_SET_SECCOMP), HUTCH_CONSTANT(PR_GET_SECCOMP), HUTCH_CONSTANT(PR_SET_NO_NEW_PRIVS),
    HUTCH_CONSTANT(PR_GET_NO_NEW_PRIVS), HUTCH_CONSTANT(PR_CAPBSET_READ), HUTCH_CONSTANT(PR_CAPBSET_DROP),
    HUTCH_CONSTANT(PR_SET_PTRACER), HUTCH_CONSTANT(PR_SET_CHILD_SUBREAPER), HUTCH_CONSTANT(PR_SET_MM),
    HUTCH_CONSTANT(PR_SET_KEEPCAPS), HUTCH_CONSTANT(PR_CAP_AMBIENT), HUTCH_CONSTANT(PR_SET_TIMERSLACK),
    HUTCH_CONSTANT(PR_SET_VMA), HUTCH_CONSTANT(PR_SET_THP_DISABLE),
};

#undef HUTCH_CONSTANT

std::uint64_t parse_number(std::string_view text) {
  int base = 10;
  std::string_view digits = text;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    base = 16;
    digits.remove_prefix(2);
  } else if (text.size() > 1 && text[0] == '0') {
    base = 8;
    digits.remove_prefix(1);
  }
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value, base);
  if (digits.empty() || ec == std::errc::result_out_of_range) {
    throw Error(fmt::format("\"{}\" does not fit in 64 bits", text));
  }
  if (ec != std::errc() || end != digits.data() + digits.size()) {
    throw Error(fmt::format("\"{}\" is not a number (expected 42, 0x2a, 052 or a constant like AF_INET)", text));
  }
  return value;
}

}  // namespace

const std::vector<std::string>& known_syscalls() {
  static const std::vector<std::string> names(kKnownSyscallNames.begin(), kKnownSyscallNames.end());
  return names;
}

bool is_known_syscall(std::string_view name) {
  const std::vector<std::string>& names = known_syscalls();
  return std::binary_search(names.begin(), names.end(), name);
}

std::optional<std::string> nearest_syscall(std::string_view name) { return suggest::nearest(name, known_syscalls()); }

std::optional<std::uint64_t> constant_value(std::string_view name) {
  for (const auto& [known, value] : kConstants) {
    if (known == name) return value;
  }
  return std::nullopt;
}

std::optional<std::string> nearest_constant(std::string_view name) {
  std::vector<std::string_view> names;
  names.reserve(kConstants.size());
  for (const auto& c : kConstants) names.push_back(c.first);
  return suggest::nearest(name, names);
}

std::uint64_t parse_value(std::string_view text) {
  if (text.empty()) throw Error("expected a number or a constant like AF_INET, got nothing");
  std::uint64_t value = 0;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t bar = std::min(text.find('|', start), text.size());
    std::string_view part = text.substr(start, bar - start);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    if (part.empty()) throw Error(fmt::format("\"{}\" has an empty part between '|'", text));
    if (part.front() >= '0' && part.front() <= '9') {
      value |= parse_number(part);
    } else if (const std::optional<std::uint64_t> c = constant_value(part)) {
      value |= *c;
    } else {
      const std::optional<std::string> near = nearest_constant(part);
      throw Error(fmt::format("unknown constant \"{}\"{}", part,
                              near ? fmt::format(" (did you mean {}?)", *near) : std::string()));
    }
    start = bar + 1;
  }
  return value;
}

}  // namespace hutch::seccomp
