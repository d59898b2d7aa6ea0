#include "policy/validate.hpp"

#include <array>

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

#include "util/error.hpp"
#include "util/units.hpp"

namespace hutch::policy {

std::optional<std::string> hostname_problem(std::string_view name) {
  const bool ok_chars = std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
  });
  if (!name.empty() && name.size() <= 64 && ok_chars) return std::nullopt;
  return fmt::format("\"{}\" is not a valid hostname (expected 1-64 letters, digits, '-' or '.')", name);
}

std::optional<std::string> env_name_problem(std::string_view name) {
  const bool ok_chars = std::none_of(name.begin(), name.end(), [](char c) {
    return c == '=' || (c >= 0 && c < 0x20) || c == 0x7f;
  });
  if (!name.empty() && ok_chars) return std::nullopt;
  return fmt::format("\"{}\" is not a valid variable name (expected NAME without '=' or control characters)", name);
}

std::optional<std::string> preferred_problem(std::string_view name) {
  static constexpr std::array<std::string_view, 3> kMayBeMissing{"limits.cpus", "limits.cpuset", "limits.swap"};
  if (std::find(kMayBeMissing.begin(), kMayBeMissing.end(), name) != kMayBeMissing.end()) return std::nullopt;
  if (name.rfind("limits.", 0) == 0) {
    return fmt::format("{} is always enforced (by rlimits or the supervisor at least); only limits.cpus, "
                       "limits.cpuset and limits.swap can be missing on a machine",
                       name);
  }
  return fmt::format("expected limits.cpus, limits.cpuset or limits.swap, got \"{}\"", name);
}

std::optional<std::string> mount_target_problem(std::string_view target) {
  if (target == "/") return std::string("/ is the root filesystem itself (set with rootfs), not a mount target");
  if (target == "/proc" || target == "/dev") return fmt::format("{} is mounted by hutch itself; mount below it instead", target);
  return std::nullopt;
}

std::uint64_t checked_size(std::string_view text, std::uint64_t minimum) {
  const std::uint64_t bytes = units::parse_size(text);
  if (bytes < minimum) {
    throw Error(fmt::format("expected a size of at least {}, got {:?}", units::format_size(minimum), text));
  }
  return bytes;
}

std::chrono::milliseconds checked_duration(std::string_view text, bool allow_zero) {
  const std::chrono::milliseconds d = units::parse_duration(text);
  if (d.count() < 0 || (d.count() == 0 && !allow_zero)) {
    throw Error(fmt::format("expected a duration of at least 1ms, got {:?}", text));
  }
  return d;
}

std::uint64_t checked_count(std::string_view text, std::uint64_t minimum, std::uint64_t maximum) {
  std::uint64_t n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || n < minimum || n > maximum) {
    throw Error(fmt::format("expected a whole number from {} to {}, got {:?}", minimum, maximum, text));
  }
  return n;
}

}  // namespace hutch::policy
