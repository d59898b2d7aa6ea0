// Parsing of sizes and durations, shared by the command line and policy files, so
// that "64M" and "1500ms" mean the same everywhere. Pure functions; errors throw hutch::Error with a
// message that says what was expected.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace hutch::units {

// "512K", "64M", "1G", "2T" (powers of 1024) or "4096B". A bare number is refused
// because "256" is ambiguous; so are signs, spaces, fractions and values over 2^63.
std::uint64_t parse_size(std::string_view text);

// 67108864 -> "64M": the shortest exact spelling parse_size accepts.
std::string format_size(std::uint64_t bytes);

// "1500ms", "2s", "1.5s", "10m", "1h": a non-negative number (a decimal fraction of
// at most 3 digits, and none for "ms") and a unit. A bare number is refused.
std::chrono::milliseconds parse_duration(std::string_view text);

// 1500ms -> "1500ms", 2000ms -> "2s": the shortest exact spelling parse_duration accepts.
std::string format_duration(std::chrono::milliseconds duration);

}  // namespace hutch::units
