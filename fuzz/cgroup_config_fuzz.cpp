// Fuzzes the cgroup delegation file's parser (cgroup/config.cpp): any text either
// parses into a relative path without "..", empty or unsafe components and a v2 mode
// set by at most one line, or throws hutch::Error; nothing else.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "cgroup/config.hpp"
#include "util/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const hutch::cgroup::Config c = hutch::cgroup::parse_config(text, "fuzz.conf", "alice", 1000);
    // v2 is off only when a line said so, and that line is one of the text's.
    if (!c.v2 && c.v2_line == 0) __builtin_trap();
    if (c.v2_line > static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1) __builtin_trap();
    if (c.v1_path) {
      const std::string& p = *c.v1_path;
      if (p.empty() || p.front() == '/' || p.back() == '/' || p.find("//") != std::string::npos) __builtin_trap();
      if (p == ".." || p.rfind("../", 0) == 0 || p.find("/../") != std::string::npos ||
          (p.size() >= 3 && p.compare(p.size() - 3, 3, "/..") == 0)) {
        __builtin_trap();
      }
      for (char ch : p) {
        if (ch == '\n' || ch == '\0' || ch == ' ') __builtin_trap();
      }
    }
  } catch (const hutch::Error&) {
  }
  return 0;
}
