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
  throw Error(fmt::format("expected a size like 64M, got {:?} ({})", text, why));
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

namespace {

[[noreturn]] void bad_duration(std::string_view text, std::string_view why) {
  throw Error(fmt::format("expected a duration like 2s or 1500ms, got {:?} ({})", text, why));
}

struct DurationUnit {
  std::string_view name;
  std::uint64_t ms;
};
constexpr std::array<DurationUnit, 4> kDurationUnits{{{"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}}};

}  // namespace

std::chrono::milliseconds parse_duration(std::string_view text) {
  if (text.empty()) bad_duration(text, "empty");
  std::size_t end = 0;
  while (end < text.size() && ((text[end] >= '0' && text[end] <= '9') || text[end] == '.')) ++end;
  const std::string_view number = text.substr(0, end);
  const std::string_view unit_name = text.substr(end);
  if (number.empty() || number.front() == '.') bad_duration(text, "it must start with a number");
  if (unit_name.empty()) bad_duration(text, "no unit; use ms, s, m or h");
  const DurationUnit* unit = nullptr;
  for (const DurationUnit& u : kDurationUnits) {
    if (u.name == unit_name) unit = &u;
  }
  if (unit == nullptr) bad_duration(text, "the unit must be one of ms, s, m, h");
  const std::size_t dot = number.find('.');
  const std::string_view whole = number.substr(0, dot);
  const std::string_view fraction = dot == std::string_view::npos ? std::string_view{} : number.substr(dot + 1);
  if (dot != std::string_view::npos && (fraction.empty() || fraction.find('.') != std::string_view::npos ||
                                        fraction.size() > 3 || unit->ms == 1)) {
    bad_duration(text, "at most 3 decimals, and none for ms");
  }
  constexpr std::uint64_t kMaxMs = std::uint64_t{1} << 53;  // about 285 000 years
  std::uint64_t ms = 0;
  for (char c : whole) {
    ms = ms * 10 + static_cast<std::uint64_t>(c - '0');
    if (ms > kMaxMs) bad_duration(text, "too large");
  }
  if (ms > kMaxMs / unit->ms) bad_duration(text, "too large");
  ms *= unit->ms;
  std::uint64_t scale = unit->ms;  // with at most 3 decimals of s, m or h this stays exact
  for (char c : fraction) {
    scale /= 10;
    ms += static_cast<std::uint64_t>(c - '0') * scale;
  }
  return std::chrono::milliseconds(static_cast<std::int64_t>(ms));
}

std::string format_duration(std::chrono::milliseconds duration) {
  const auto ms = static_cast<std::uint64_t>(duration.count());
  for (auto it = kDurationUnits.rbegin(); it != kDurationUnits.rend(); ++it) {
    if (ms != 0 && ms % it->ms == 0) return fmt::format("{}{}", ms / it->ms, it->name);
  }
  return fmt::format("{}ms", ms);
}

}  // namespace hutch::units
