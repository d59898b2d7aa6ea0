#include "limits/address_space.hpp"

#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

#include "util/error.hpp"
#include "util/sys.hpp"

namespace hutch::limits {
namespace {

std::optional<std::uint64_t> number(std::string_view s, int base = 10) {
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

// The n-th field (0-based) of a line of fields separated by single spaces.
std::string_view field(std::string_view line, int n) {
  for (int i = 0; i < n; ++i) {
    const std::size_t sp = line.find(' ');
    if (sp == std::string_view::npos) return {};
    line.remove_prefix(sp + 1);
  }
  return line.substr(0, line.find(' '));
}

std::uint64_t page_up(std::uint64_t bytes, std::uint64_t page) {
  if (bytes > UINT64_MAX - (page - 1)) return UINT64_MAX / page * page;
  return (bytes + page - 1) / page * page;
}

const char* call_name(int nr) {
  switch (nr) {
    case SYS_mmap:
      return "mmap";
    case SYS_mremap:
      return "mremap";
    case SYS_brk:
      return "brk";
  }
  return "?";
}

// Reads a /proc file of a process that may be gone; "" then.
std::string read_proc(pid_t pid, const char* name) {
  try {
    return sys::read_file(fmt::format("/proc/{}/{}", pid, name));
  } catch (const Error&) {
    return {};
  }
}

}  // namespace

std::optional<std::uint64_t> statm_pages(std::string_view statm) { return number(statm.substr(0, statm.find(' '))); }

std::optional<std::uint64_t> heap_end(std::string_view maps) {
  // "55d0c7a2e000-55d0c7a4f000 rw-p 00000000 00:00 0                          [heap]"
  while (!maps.empty()) {
    const std::size_t nl = maps.find('\n');
    std::string_view line = maps.substr(0, nl);
    maps.remove_prefix(nl == std::string_view::npos ? maps.size() : nl + 1);
    // Five fields without spaces, then the name: the kernel's "[heap]", never a file's
    // (a mapped file's name is a path, starting with '/').
    std::string_view name = line;
    for (int i = 0; i < 5 && !name.empty(); ++i) {
      const std::size_t sp = name.find(' ');
      name.remove_prefix(sp == std::string_view::npos ? name.size() : sp + 1);
    }
    name.remove_prefix(std::min(name.find_first_not_of(' '), name.size()));
    if (name != "[heap]") continue;
    const std::string_view range = line.substr(0, line.find(' '));
    const std::size_t dash = range.find('-');
    if (dash == std::string_view::npos) continue;
    if (auto end = number(range.substr(dash + 1), 16)) return end;
  }
  return std::nullopt;
}

std::optional<std::uint64_t> start_brk(std::string_view stat) {
  // "1234 (name) S 1 ...": the name may hold spaces and parentheses; it ends at the last ')'.
  const std::size_t close = stat.rfind(')');
  if (close == std::string_view::npos || close + 2 > stat.size()) return std::nullopt;
  // After ") " comes field 3 (state); start_brk is field 47.
  return number(field(stat.substr(close + 2), 47 - 3));
}

std::optional<std::uint64_t> growth(const seccomp_data& call, std::uint64_t page,
                                    std::optional<std::uint64_t> program_break) {
  switch (call.nr) {
    case SYS_mmap:
      // mmap(addr, length, prot, flags, fd, offset)
      if ((call.args[3] & MAP_FIXED) != 0) return std::nullopt;
      return page_up(call.args[1], page);
    case SYS_mremap: {
      // mremap(old_address, old_size, new_size, flags, new_address)
      const std::uint64_t old_size = page_up(call.args[1], page);
      const std::uint64_t new_size = page_up(call.args[2], page);
      if ((call.args[3] & MREMAP_DONTUNMAP) != 0) return new_size;  // the old mapping stays
      return new_size > old_size ? std::optional(new_size - old_size) : std::nullopt;
    }
    case SYS_brk: {
      // brk(addr): 0 asks for the current break
      if (call.args[0] == 0 || !program_break) return std::nullopt;
      const std::uint64_t want = page_up(call.args[0], page);
      const std::uint64_t now = page_up(*program_break, page);
      return want > now ? std::optional(want - now) : std::nullopt;
    }
  }
  return std::nullopt;
}

std::optional<AddressSpaceRequest> past_limit(pid_t pid, const seccomp_data& call, std::uint64_t limit) {
  static const auto page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  std::optional<std::uint64_t> program_break;
  if (call.nr == SYS_brk && call.args[0] != 0) {
    program_break = heap_end(read_proc(pid, "maps"));
    if (!program_break) program_break = start_brk(read_proc(pid, "stat"));
  }
  const std::optional<std::uint64_t> adds = growth(call, page, program_break);
  if (!adds) return std::nullopt;
  const std::optional<std::uint64_t> pages = statm_pages(read_proc(pid, "statm"));
  if (!pages) return std::nullopt;
  // may_expand_vm(): total_vm + npages > RLIMIT_AS >> PAGE_SHIFT
  const std::uint64_t now = *pages * page;
  const std::uint64_t total = *adds > UINT64_MAX - now ? UINT64_MAX : now + *adds;
  if (total / page <= limit / page) return std::nullopt;
  return AddressSpaceRequest{call_name(call.nr), *adds, total};
}

}  // namespace hutch::limits
