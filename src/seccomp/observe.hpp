// Calls the supervisor watches without deciding them. Where the policy's program
// allows one of these calls, the watching program returns USER_NOTIF instead; the
// supervisor looks, then answers CONTINUE, and the kernel runs the call as the policy
// allows it. Where the policy refuses the call, the watching program refuses it too.
//
// Used for the address-space calls when the memory limit is RLIMIT_AS (no memory
// cgroup): the supervisor notes a request that would take the process past the limit,
// so that the run's verdict can say memory-limit (docs/limits.md). Observation only:
// the kernel's RLIMIT_AS decides, and CONTINUE is no security decision (seccomp_unotify(2)).
#pragma once

#include <linux/seccomp.h>

#include <vector>

#include "seccomp/bpf.hpp"

namespace hutch::seccomp {

// mmap, mremap, brk (native numbers).
const std::vector<int>& address_space_calls();

// `program` with USER_NOTIF for `watched` native calls it allows:
//   ld arch; not native: go to program
//   ld nr;   one of watched: go to the copy of program whose ALLOWs are USER_NOTIF
//   program, then that copy
// Throws hutch::Error when the result would exceed BPF_MAXINSNS (can_watch says first).
Program watching(const Program& program, const std::vector<int>& watched);
bool can_watch(const Program& program, const std::vector<int>& watched);

// For a notification of a program built by watching(program, ...): true when `program`
// itself notifies for the call (its kill action: a violation), false when the call was
// only watched.
bool notified_by_policy(const Program& program, const seccomp_data& data);

}  // namespace hutch::seccomp
