#include "cgroup/config.hpp"

#include <cstdlib>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "util/error.hpp"
#include "util/sys.hpp"

namespace hutch::cgroup {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// A user name as useradd(8) allows it; anything else would not be a safe path component.
bool safe_component_chars(std::string_view s) {
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                    c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

// "hutch/${USER}" -> "hutch/alice"; every component checked after expansion.
std::optional<std::string> expand_path(std::string_view value, const std::string& user, uid_t uid,
                                       std::string& problem) {
  std::string out;
  for (std::size_t i = 0; i < value.size();) {
    if (value.substr(i, 7) == "${USER}") {
      out += user;
      i += 7;
    } else if (value.substr(i, 6) == "${UID}") {
      out += std::to_string(uid);
      i += 6;
    } else {
      out += value[i++];
    }
  }
  if (out.empty() || out.front() == '/') {
    problem = "a directory relative to each controller's hierarchy, like hutch/${USER}";
    return std::nullopt;
  }
  std::size_t start = 0;
  while (start <= out.size()) {
    const std::size_t slash = std::min(out.find('/', start), out.size());
    const std::string_view part = std::string_view(out).substr(start, slash - start);
    if (part.empty() || part == "." || part == ".." || !safe_component_chars(part)) {
      problem = "a relative path of letters, digits, '_', '-' and '.' (no empty, . or .. components)";
      return std::nullopt;
    }
    start = slash + 1;
  }
  return out;
}

}  // namespace

Config parse_config(std::string_view text, const std::string& file, const std::string& user, uid_t uid) {
  Config config;
  config.file = file;
  std::size_t line_no = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = std::min(text.find('\n', start), text.size());
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++line_no;
    if (const std::size_t hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    line = trim(line);
    if (line.empty()) continue;
    const std::size_t eq = line.find('=');
    if (eq == std::string_view::npos) {
      throw Error(fmt::format("{}:{}: expected KEY = VALUE, got {:?}", file, line_no, line));
    }
    const std::string_view key = trim(line.substr(0, eq));
    const std::string_view value = trim(line.substr(eq + 1));
    if (key == "v1") {
      if (config.v1_path) throw Error(fmt::format("{}:{}: v1: given twice", file, line_no));
      std::string problem;
      config.v1_path = expand_path(value, user, uid, problem);
      if (!config.v1_path) throw Error(fmt::format("{}:{}: v1: expected {}, got {:?}", file, line_no, problem, value));
    } else if (key == "v2") {
      if (config.v2_line != 0) throw Error(fmt::format("{}:{}: v2: given twice", file, line_no));
      if (value != "auto" && value != "off") {
        throw Error(fmt::format("{}:{}: v2: expected auto or off, got {:?}", file, line_no, value));
      }
      config.v2 = value == "auto";
      config.v2_line = line_no;
    } else {
      throw Error(fmt::format("{}:{}: unknown key {:?} (expected v1 or v2)", file, line_no, key));
    }
  }
  return config;
}

Config load_config(const std::string& user, uid_t uid) {
  std::string user_dir;
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg != nullptr && xdg[0] == '/') {
    user_dir = xdg;
  } else if (const char* home = std::getenv("HOME"); home != nullptr && home[0] == '/') {
    user_dir = std::string(home) + "/.config";
  }
  for (const std::string& file : {user_dir.empty() ? std::string() : user_dir + "/hutch/cgroups.conf",
                                  std::string("/etc/hutch/cgroups.conf")}) {
    if (file.empty()) continue;
    std::optional<std::string> text;
    try {
      text = sys::read_file_if_exists(file);
    } catch (const Error& e) {
      throw Error(fmt::format("{}: cannot be read: {}", file, describe_errno(e.sys_errno())), e.sys_errno());
    }
    if (!text) continue;
    return parse_config(*text, file, user, uid);
  }
  return {};
}

}  // namespace hutch::cgroup
