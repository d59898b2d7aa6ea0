#include "util/path.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "util/error.hpp"

namespace hutch::path {

std::string normalize_absolute(std::string_view path) {
  if (path.empty() || path.front() != '/') {
    throw Error(fmt::format("\"{}\" is not an absolute path", path));
  }
  if (path.find('\0') != std::string_view::npos) throw Error("path contains a NUL byte");
  for (char c : path) {
    if ((c > 0 && c < 0x20) || c == 0x7f) {
      throw Error(fmt::format("{:?} contains a control character", path));  // {:?}: escaped, quoted
    }
  }
  std::string out;
  std::size_t pos = 0;
  while (pos < path.size()) {
    const std::size_t next = std::min(path.find('/', pos), path.size());
    const std::string_view part = path.substr(pos, next - pos);
    pos = next + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") throw Error(fmt::format("\"{}\" contains \"..\"", path));
    out.push_back('/');
    out.append(part);
  }
  return out.empty() ? "/" : out;
}

std::vector<std::string_view> components(std::string_view normalized) {
  std::vector<std::string_view> parts;
  std::size_t pos = 1;
  while (pos < normalized.size()) {
    const std::size_t next = std::min(normalized.find('/', pos), normalized.size());
    parts.push_back(normalized.substr(pos, next - pos));
    pos = next + 1;
  }
  return parts;
}

bool is_under(std::string_view inner, std::string_view outer) {
  if (outer == "/") return true;
  if (inner.substr(0, outer.size()) != outer) return false;
  return inner.size() == outer.size() || inner[outer.size()] == '/';
}

}  // namespace hutch::path
