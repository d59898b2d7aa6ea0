// Parsing of sizes, shared by the command line and (later) policy files, so that
// "64M" means the same everywhere. Pure functions; errors throw hutch::Error with a
// message that says what was expected.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace hutch::units {

// "512K", "64M", "1G", "2T" (powers of 1024) or "4096B". A bare number is refused
// because "256" is ambiguous; so are signs, spaces, fractions and values over 2^63.
std::uint64_t parse_size(std::string_view text);

// 67108864 -> "64M": the shortest exact spelling parse_size accepts.
std::string format_size(std::uint64_t bytes);

}  // namespace hutch::units
