// Checks shared by policy files and the command line, so both refuse the same values
// with the same words. Each returns the problem, or nothing when the value is fine.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace hutch::policy {

// 1-64 letters, digits, '-' or '.'.
std::optional<std::string> hostname_problem(std::string_view name);
// A NAME without '=' or NUL.
std::optional<std::string> env_name_problem(std::string_view name);
// An absolute, normalized target that hutch lets a policy mount on (not /, /proc, /dev).
std::optional<std::string> mount_target_problem(std::string_view target);

}  // namespace hutch::policy
