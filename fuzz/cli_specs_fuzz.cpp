// Fuzzes the parsers of run's option values and of sizes (cli/specs.hpp,
// util/units.hpp, util/path.hpp). The first byte picks the parser, the rest is the
// text. Only hutch::Error may escape a parser; anything else (another exception, a
// crash, a sanitizer report) is a bug.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "cli/specs.hpp"
#include "util/error.hpp"
#include "util/path.hpp"
#include "util/units.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0 || size > 4096) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  try {
    switch (data[0] % 8) {
      case 0: {
        auto m = hutch::cli::parse_bind_spec(text, data[0] & 8, "/cwd");
        // A parsed target is absolute and normalized: normalizing again changes nothing.
        if (hutch::path::normalize_absolute(m.target) != m.target) __builtin_trap();
        break;
      }
      case 1:
        hutch::cli::parse_tmpfs_spec(text);
        break;
      case 2:
        hutch::cli::parse_env_spec(text);
        break;
      case 3:
        hutch::cli::parse_id(text, "--uid");
        break;
      case 4:
        hutch::cli::parse_network(text);
        break;
      case 5: {
        const std::uint64_t v = hutch::units::parse_size(text);
        if (hutch::units::parse_size(hutch::units::format_size(v)) != v) __builtin_trap();
        break;
      }
      case 6:
        hutch::path::normalize_absolute(text);
        break;
      default:
        hutch::path::components(text);
        break;
    }
  } catch (const hutch::Error&) {
  }
  return 0;
}
