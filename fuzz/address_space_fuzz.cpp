// Fuzzes the readers of /proc/PID/{statm,maps,stat} the address-space watch uses
// (limits/address_space.cpp): the sandboxed program writes parts of these files (its
// name, its mappings' names). Any text gives a number or nothing, never a crash; and
// what growth() makes of a call is never more than the page-rounded request.
#include <linux/seccomp.h>
#include <sys/syscall.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "limits/address_space.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)hutch::limits::statm_pages(text);
  const std::optional<std::uint64_t> heap = hutch::limits::heap_end(text);
  const std::optional<std::uint64_t> brk = hutch::limits::start_brk(text);
  if (heap && text.find("[heap]") == std::string_view::npos) __builtin_trap();
  if (size >= sizeof(seccomp_data)) {
    seccomp_data call{};
    std::memcpy(&call, data, sizeof call);
    for (int nr : {SYS_mmap, SYS_mremap, SYS_brk}) {
      call.nr = nr;
      const std::optional<std::uint64_t> adds = hutch::limits::growth(call, 4096, heap ? heap : brk);
      if (adds && *adds % 4096 != 0) __builtin_trap();
    }
  }
  return 0;
}
