#include "cli/specs.hpp"

#include <charconv>

#include <fmt/format.h>

#include "util/error.hpp"
#include "util/path.hpp"
#include "util/units.hpp"

namespace hutch::cli {
namespace {

std::string absolute_host_path(std::string_view path, std::string_view cwd) {
  if (path.empty()) throw Error("the source path is empty");
  if (path.find('\0') != std::string_view::npos) throw Error("the source path contains a NUL byte");
  if (path.front() == '/') return std::string(path);
  std::string out(cwd);
  if (out.empty() || out.back() != '/') out.push_back('/');
  out.append(path);
  return out;
}

}  // namespace

policy::Mount parse_bind_spec(std::string_view text, bool readonly, std::string_view cwd) {
  const std::string_view option = readonly ? "--ro-bind" : "--bind";
  policy::Mount m;
  m.type = policy::MountType::Bind;
  m.readonly = readonly;
  const std::size_t colon = text.find(':');
  const std::string_view src = text.substr(0, colon);
  const std::string_view dst = colon == std::string_view::npos ? src : text.substr(colon + 1);
  try {
    m.source = absolute_host_path(src, cwd);
    if (dst.empty()) throw Error("the target path is empty");
    m.target = path::normalize_absolute(colon == std::string_view::npos ? m.source : std::string(dst));
  } catch (Error& e) {
    e.prepend(fmt::format("{} \"{}\" (expected SRC:DST or PATH, DST absolute)", option, text));
    throw;
  }
  return m;
}

policy::Mount parse_tmpfs_spec(std::string_view text) {
  policy::Mount m;
  m.type = policy::MountType::Tmpfs;
  m.readonly = false;
  const std::size_t colon = text.find(':');
  try {
    m.target = path::normalize_absolute(text.substr(0, colon));
    if (colon != std::string_view::npos) m.size = units::parse_size(text.substr(colon + 1));
    // SECURITY: tmpfs reads size=0 as "no limit".
    if (m.size && *m.size < 4096) throw Error(fmt::format("expected a size of at least 4K, got {:?}", text.substr(colon + 1)));
  } catch (Error& e) {
    e.prepend(fmt::format("--tmpfs \"{}\" (expected DST or DST:SIZE)", text));
    throw;
  }
  return m;
}

std::pair<std::string, std::string> parse_env_spec(std::string_view text) {
  const std::size_t eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    throw Error(fmt::format("--env \"{}\": expected KEY=VALUE", text));
  }
  return {std::string(text.substr(0, eq)), std::string(text.substr(eq + 1))};
}

std::uint32_t parse_id(std::string_view text, std::string_view what) {
  std::uint32_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value == 0xFFFFFFFFu) {
    throw Error(fmt::format("{} \"{}\": expected a number from 0 to 4294967294", what, text));
  }
  return value;
}

policy::Network parse_network(std::string_view text) {
  if (text == "none") return policy::Network::None;
  if (text == "loopback") return policy::Network::Loopback;
  if (text == "host") return policy::Network::Host;
  throw Error(fmt::format("--net \"{}\": expected none, loopback or host", text));
}

}  // namespace hutch::cli
