// Checks shared by policy files and the command line, so both refuse the same values
// with the same words. Each returns the problem, or nothing when the value is fine.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hutch::policy {

// 1-64 letters, digits, '-' or '.'.
std::optional<std::string> hostname_problem(std::string_view name);
// A NAME without '=' or NUL.
std::optional<std::string> env_name_problem(std::string_view name);
// What `preferred:` may name: a protection or limit this machine might not provide
// (limits.cpus, limits.cpuset, limits.swap).
std::optional<std::string> preferred_problem(std::string_view name);
// An absolute, normalized target that hutch lets a policy mount on (not /, /proc, /dev).
std::optional<std::string> mount_target_problem(std::string_view target);

// Sizes, durations and whole numbers from text, held to a range. These throw Error
// with the problem ("expected a size of at least 1B, got \"0B\"") instead.
std::uint64_t checked_size(std::string_view text, std::uint64_t minimum);
std::chrono::milliseconds checked_duration(std::string_view text, bool allow_zero = false);
std::uint64_t checked_count(std::string_view text, std::uint64_t minimum, std::uint64_t maximum);

// The ranges of the limits that are counts.
inline constexpr std::uint64_t kMaxProcesses = 1u << 22;
inline constexpr std::uint64_t kMinOpenFiles = 3;  // stdin, stdout and stderr
inline constexpr std::uint64_t kMaxOpenFiles = 1u << 20;

}  // namespace hutch::policy
