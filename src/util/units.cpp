#include "util/units.hpp"

#include <array>
#include <limits>

#include <fmt/format.h>

#include "util/error.hpp"

namespace hutch::units {
namespace {

struct Suffix {
  char letter;
  int shift;
};
constexpr std::array<Suffix, 5> kSuffixes{{{'B', 0}, {'K', 10}, {'M', 20}, {'G', 30}, {'T', 40}}};

[[noreturn]] void bad_size(std::string_view text, std::string_view why) {
  throw Error(fmt::format("expected a size like 64M, got \"{}\" ({})", text, why));
}

}  // namespace

std::uint64_t parse_size(std::string_view text) {
  if (text.empty()) bad_size(text, "empty");
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0) bad_size(text, "it must start with a number");
  if (digits == text.size()) bad_size(text, "no unit; use B, K, M, G or T");
  if (digits + 1 != text.size()) bad_size(text, "the unit must be one of B, K, M, G, T");
  int shift = -1;
  const char unit = text.back();
  for (const Suffix& s : kSuffixes) {
    if (unit == s.letter || (unit == 'k' && s.letter == 'K')) shift = s.shift;
  }
  if (shift < 0) bad_size(text, "the unit must be one of B, K, M, G, T");
  constexpr std::uint64_t kMax = std::uint64_t{1} << 63;
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < digits; ++i) {
    value = value * 10 + static_cast<std::uint64_t>(text[i] - '0');
    if (value > kMax) bad_size(text, "too large");
  }
  if (value > (kMax >> shift)) bad_size(text, "too large");
  return value << shift;
}

std::string format_size(std::uint64_t bytes) {
  for (auto it = kSuffixes.rbegin(); it != kSuffixes.rend(); ++it) {
    const std::uint64_t unit = std::uint64_t{1} << it->shift;
    if (bytes != 0 && bytes % unit == 0) return fmt::format("{}{}", bytes / unit, it->letter);
  }
  return fmt::format("{}B", bytes);
}

}  // namespace hutch::units
