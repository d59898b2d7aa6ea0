#include "policy/validate.hpp"

#include <algorithm>

#include <fmt/format.h>

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

std::optional<std::string> mount_target_problem(std::string_view target) {
  if (target == "/") return std::string("/ is the root filesystem itself (set with rootfs), not a mount target");
  if (target == "/proc" || target == "/dev") return fmt::format("{} is mounted by hutch itself; mount below it instead", target);
  return std::nullopt;
}

}  // namespace hutch::policy
