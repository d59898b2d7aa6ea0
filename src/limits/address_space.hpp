// The memory limit without a memory cgroup is RLIMIT_AS: the kernel refuses a request
// that would take a process's address space past it, and says nothing to anyone but
// the process. To give such a run the verdict memory-limit, the seccomp filter has the
// supervisor watch mmap, mremap and brk (seccomp/observe.hpp): for each, what the
// request would add to the process's address space, against the limit, the way the
// kernel's may_expand_vm() counts it (docs/limits.md).
//
// The /proc files read here are partly the sandboxed program's words (its name in
// stat, its mappings' names in maps): parsed from the fixed fields only, and fuzzed
// (fuzz/address_space_fuzz.cpp).
#pragma once

#include <linux/seccomp.h>
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hutch::limits {

// A watched call that would have passed the limit.
struct AddressSpaceRequest {
  std::string call;            // "mmap", "mremap", "brk"
  std::uint64_t grows_by = 0;  // bytes the call would have added
  std::uint64_t total = 0;     // the address space it would have made, bytes
};

// /proc/PID/statm: the first field, the address space in pages.
std::optional<std::uint64_t> statm_pages(std::string_view statm);
// /proc/PID/maps: the end of the [heap] mapping (the program break, page-aligned).
std::optional<std::uint64_t> heap_end(std::string_view maps);
// /proc/PID/stat: start_brk (field 47), counted after the name's last ')'.
std::optional<std::uint64_t> start_brk(std::string_view stat);

// What the call would add to the address space, in bytes. `program_break` is needed
// for brk only (heap_end, else start_brk); nullopt when nothing can be said (a
// MAP_FIXED mapping replaces what it overlaps; a call that shrinks or queries).
std::optional<std::uint64_t> growth(const seccomp_data& call, std::uint64_t page_size,
                                    std::optional<std::uint64_t> program_break);

// runs in: supervisor, for a watched call of process `pid` (the supervisor's pid
// namespace) waiting in the kernel. nullopt when the call stays within `limit` bytes,
// or when the process is gone.
std::optional<AddressSpaceRequest> past_limit(pid_t pid, const seccomp_data& call, std::uint64_t limit);

}  // namespace hutch::limits
