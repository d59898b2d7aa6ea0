#include "seccomp/observe.hpp"

#include <seccomp.h>
#include <sys/syscall.h>

#include <cstddef>

#include <fmt/format.h>

#include "util/error.hpp"

namespace hutch::seccomp {

const std::vector<int>& address_space_calls() {
  static const std::vector<int> calls{SYS_mmap, SYS_mremap, SYS_brk};
  return calls;
}

namespace {
std::size_t prefix_size(const std::vector<int>& watched) { return 4 + watched.size(); }
}  // namespace

bool can_watch(const Program& program, const std::vector<int>& watched) {
  return !watched.empty() && watched.size() <= 32 && prefix_size(watched) + 2 * program.size() <= BPF_MAXINSNS;
}

Program watching(const Program& program, const std::vector<int>& watched) {
  // Jump offsets of conditional jumps are 8 bits: the prefix stays short and reaches
  // the copy with an unconditional jump (32 bits).
  if (watched.empty() || watched.size() > 32) throw Error(fmt::format("seccomp: {} calls to watch", watched.size()));
  const auto n = static_cast<std::uint8_t>(watched.size());
  Program out{
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
      // not native: over the nr tests and the jump, into the policy's program
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, seccomp_arch_native(), 0, static_cast<std::uint8_t>(n + 2)),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
  };
  for (std::uint8_t i = 0; i < n; ++i) {
    // watched: to the jump after the last test; the last test's "no" skips that jump
    const auto to_jump = static_cast<std::uint8_t>(n - 1 - i);
    out.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, static_cast<std::uint32_t>(watched[i]), to_jump,
                           static_cast<std::uint8_t>(i + 1 == n ? 1 : 0)));
  }
  out.push_back(BPF_STMT(BPF_JMP | BPF_JA | BPF_K, static_cast<std::uint32_t>(program.size())));
  if (!can_watch(program, watched)) {
    throw Error(fmt::format("seccomp: the program ({} instructions) is too long to be watched twice over ({} at most)",
                            program.size(), (BPF_MAXINSNS - out.size()) / 2));
  }
  out.insert(out.end(), program.begin(), program.end());
  for (sock_filter in : program) {
    if (in.code == (BPF_RET | BPF_K) && (in.k & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_ALLOW)
      in.k = SECCOMP_RET_USER_NOTIF;
    out.push_back(in);
  }
  return out;
}

bool notified_by_policy(const Program& program, const seccomp_data& data) {
  return (run_bpf(program, data) & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_USER_NOTIF;
}

}  // namespace hutch::seccomp
