#include "mount/mountinfo.hpp"

#include <charconv>

#include <fmt/format.h>

#include "util/error.hpp"
#include "util/path.hpp"

namespace hutch::mount {
namespace {

std::vector<std::string_view> split_spaces(std::string_view line) {
  std::vector<std::string_view> fields;
  std::size_t pos = 0;
  while (pos < line.size()) {
    const std::size_t end = std::min(line.find(' ', pos), line.size());
    if (end > pos) fields.push_back(line.substr(pos, end - pos));
    pos = end + 1;
  }
  return fields;
}

std::uint64_t parse_number(std::string_view text, std::size_t line_no, std::string_view what) {
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    throw Error(fmt::format("mountinfo line {}: {} \"{}\" is not a number", line_no, what, text));
  }
  return value;
}

MountInfo parse_line(std::string_view line, std::size_t line_no) {
  const std::vector<std::string_view> f = split_spaces(line);
  // id parent major:minor root mount_point options [optional...] - fstype source super
  std::size_t dash = 6;
  while (dash < f.size() && f[dash] != "-") ++dash;
  if (dash + 3 >= f.size()) {
    throw Error(fmt::format("mountinfo line {}: expected 10 or more fields with a \"-\" separator", line_no));
  }
  MountInfo m;
  m.id = parse_number(f[0], line_no, "mount id");
  m.parent = parse_number(f[1], line_no, "parent id");
  m.device = std::string(f[2]);
  m.root = unescape_mount_field(f[3]);
  m.mount_point = unescape_mount_field(f[4]);
  m.options = std::string(f[5]);
  m.fstype = std::string(f[dash + 1]);
  m.source = unescape_mount_field(f[dash + 2]);
  m.super_options = std::string(f[dash + 3]);
  return m;
}

}  // namespace

std::string unescape_mount_field(std::string_view field) {
  std::string out;
  out.reserve(field.size());
  for (std::size_t i = 0; i < field.size(); ++i) {
    const bool octal = field[i] == '\\' && i + 3 < field.size() && field[i + 1] >= '0' && field[i + 1] <= '3' &&
                       field[i + 2] >= '0' && field[i + 2] <= '7' && field[i + 3] >= '0' && field[i + 3] <= '7';
    if (octal) {
      out.push_back(static_cast<char>((field[i + 1] - '0') * 64 + (field[i + 2] - '0') * 8 + (field[i + 3] - '0')));
      i += 3;
    } else {
      out.push_back(field[i]);
    }
  }
  return out;
}

std::vector<MountInfo> parse_mountinfo(std::string_view text) {
  std::vector<MountInfo> mounts;
  std::size_t pos = 0;
  std::size_t line_no = 0;
  while (pos < text.size()) {
    const std::size_t end = std::min(text.find('\n', pos), text.size());
    ++line_no;
    const std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.empty()) continue;
    mounts.push_back(parse_line(line, line_no));
  }
  return mounts;
}

std::vector<std::string> mounts_below(const std::vector<MountInfo>& mounts, std::string_view dir) {
  std::vector<std::string> below;
  for (const MountInfo& m : mounts) {
    if (m.mount_point != dir && path::is_under(m.mount_point, dir)) below.push_back(m.mount_point);
  }
  return below;
}

}  // namespace hutch::mount
