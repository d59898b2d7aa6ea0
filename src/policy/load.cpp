// YAML -> PolicyLayer with strict validation (docs/policy.md). Every YAML::Exception
// becomes a Diagnostic here; none escapes policy/. This file holds the Parser's (parser.hpp)
// generic helpers, the top level and every section but seccomp (load_seccomp.cpp).
#include "policy/parser.hpp"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <functional>
#include <set>
#include <sstream>
#include <string_view>
#include <tuple>

#include <fmt/format.h>

#include "policy/layer.hpp"
#include "policy/validate.hpp"
#include "util/error.hpp"
#include "util/path.hpp"
#include "util/units.hpp"

namespace hutch::policy::detail {
namespace {

constexpr std::array<std::string_view, 17> kTopKeys{
    "version", "extends", "description", "rootfs", "user", "hostname", "namespaces", "network", "mounts",
    "env", "env_pass", "workdir", "init", "limits", "preferred", "seccomp",
    // Sections later versions fill in; reserved so that a policy using them fails loudly.
    "capabilities"};
constexpr std::array<std::string_view, 1> kReservedKeys{"capabilities"};
constexpr std::array<std::string_view, 12> kLimitKeys{
    "memory", "swap", "processes", "cpu_time", "wall_time", "extra_time", "cpus", "cpuset", "output", "file_size",
    "open_files", "stack"};
constexpr std::array<std::string_view, 7> kMountKeys{"type", "source", "target", "readonly", "optional", "size", "mode"};

// SECURITY: a pass over the YAML events before building nodes. Aliases are refused: a
// 100 KB file of `*a` repeating a long anchored value expands to gigabytes of values and
// messages (a billion laughs); a policy has no use for them. So is a second document,
// which YAML::Load would silently ignore.
class Prescan : public YAML::EventHandler {
 public:
  std::optional<YAML::Mark> alias;
  std::optional<YAML::Mark> second_document;

  void OnDocumentStart(const YAML::Mark& mark) override {
    if (documents_++ > 0 && !second_document) second_document = mark;
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override {
    if (!alias) alias = mark;
  }
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}

 private:
  int documents_ = 0;
};

}  // namespace

std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
      return "nothing";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a map";
    default:
      return fmt::format("{:?}", node.Scalar());  // escaped: a value cannot forge a line
  }
}

// Every error of the file, and what could be read of it (its `extends` in particular).
ParsedLayer Parser::parse(std::string_view text) {
  if (prescan(text)) parse_tree(text);
  // In the order of the file, whichever check found them.
  std::stable_sort(errors_.begin(), errors_.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return std::tie(a.at.line, a.at.column) < std::tie(b.at.line, b.at.column);
  });
  return ParsedLayer{std::move(layer_), std::move(errors_)};
}

void Parser::parse_tree(std::string_view text) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    errors_.push_back(Diagnostic{position(e.mark), "", fmt::format("invalid YAML: {}", e.msg)});
    return;
  }
  if (!root.IsMap()) {
    errors_.push_back(Diagnostic{Position{file_, 1, 1}, "",
                                 fmt::format("expected a map of settings starting with version: 1, got {}",
                                             describe(root))});
    return;
  }
  try {
    top_level(root);
  } catch (const YAML::Exception& e) {  // none expected; never let one out of policy/
    errors_.push_back(Diagnostic{position(e.mark), "", fmt::format("invalid YAML: {}", e.msg)});
  }
}

// False when the events alone show the file is unusable.
bool Parser::prescan(std::string_view text) {
  Prescan events;
  try {
    std::istringstream in{std::string(text)};
    YAML::Parser parser(in);
    // Two documents are enough to know; and yaml-cpp can report empty documents
    // forever on some garbage (found by fuzz/policy_fuzz).
    while (!events.second_document && parser.HandleNextDocument(events)) {
    }
  } catch (const YAML::Exception&) {
    return true;  // YAML::Load reports it, with its place
  }
  if (events.alias) {
    errors_.push_back(Diagnostic{position(*events.alias), "",
                                 "YAML aliases (*name) are not allowed in a policy; write the value out"});
  }
  if (events.second_document) {
    errors_.push_back(Diagnostic{position(*events.second_document), "",
                                 "a second YAML document; a policy file holds one"});
  }
  return errors_.empty();
}

Position Parser::position(const YAML::Mark& mark) const {
  if (mark.is_null()) return Position{file_, 1, 1};
  return Position{file_, mark.line + 1, mark.column + 1};
}

// Errors point at the value; a value that is absent (`key:`) has no place of its own
// (yaml-cpp puts it where the next token starts), so they point at its key then.
void Parser::error(const YAML::Node& at, const YAML::Node& fallback, const std::string& key, std::string message) {
  const YAML::Mark mark = at.Mark().is_null() || at.IsNull() ? fallback.Mark() : at.Mark();
  errors_.push_back(Diagnostic{position(mark), key, std::move(message)});
}

// `!reset` on the lists and maps a child may replace; no other tag anywhere.
bool Parser::tag_ok(const YAML::Node& v, const YAML::Node& k, const std::string& path, bool may_reset) {
  static constexpr std::array<std::string_view, 7> kResettable{"mounts", "env", "env_pass", "limits", "preferred",
                                                               "seccomp.allow", "seccomp.rules"};
  const std::string& tag = v.Tag();
  if (tag.empty() || tag == "?" || tag == "!") return true;
  if (tag == "!reset" && may_reset && std::find(kResettable.begin(), kResettable.end(), path) != kResettable.end()) {
    return true;
  }
  if (tag == "!reset") {
    error(v, k, path, "!reset applies only to mounts, env, env_pass, limits, preferred, seccomp.allow and seccomp.rules");
  } else {
    error(v, k, path, fmt::format("unknown tag {} (the one tag hutch knows is !reset)", tag));
  }
  return false;
}

std::optional<std::string> Parser::string_of(const YAML::Node& v, const YAML::Node& k, const std::string& path) {
  if (!v.IsScalar()) {
    error(v, k, path, fmt::format("expected a string, got {}", describe(v)));
    return std::nullopt;
  }
  return v.Scalar();
}

std::optional<bool> Parser::bool_of(const YAML::Node& v, const YAML::Node& k, const std::string& path) {
  if (v.IsScalar() && v.Scalar() == "true") return true;
  if (v.IsScalar() && v.Scalar() == "false") return false;
  error(v, k, path, fmt::format("expected true or false, got {}", describe(v)));
  return std::nullopt;
}

std::optional<std::uint32_t> Parser::id_of(const YAML::Node& v, const YAML::Node& k, const std::string& path) {
  std::uint32_t value = 0;
  if (v.IsScalar()) {
    const std::string& t = v.Scalar();
    const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), value);
    if (!t.empty() && ec == std::errc() && end == t.data() + t.size() && value != 0xFFFFFFFFu) return value;
  }
  error(v, k, path, fmt::format("expected a number from 0 to 4294967294, got {}", describe(v)));
  return std::nullopt;
}

// Absolute, normalized sandbox path.
std::optional<std::string> Parser::sandbox_path_of(const YAML::Node& v, const YAML::Node& k, const std::string& path) {
  const std::optional<std::string> text = string_of(v, k, path);
  if (!text) return std::nullopt;
  try {
    return hutch::path::normalize_absolute(*text);
  } catch (const Error& e) {
    error(v, k, path, fmt::format("{} (expected an absolute path inside the sandbox)", e.message()));
    return std::nullopt;
  }
}

// A host path: ${CWD} and ${HOME} expanded, relative to the policy file's folder.
std::optional<std::string> Parser::host_path_of(const YAML::Node& v, const YAML::Node& k, const std::string& path) {
  const std::optional<std::string> text = string_of(v, k, path);
  if (!text) return std::nullopt;
  std::string out;
  for (std::size_t i = 0; i < text->size(); ++i) {
    if (text->compare(i, 2, "${") != 0) {
      out.push_back((*text)[i]);
      continue;
    }
    const std::size_t close = text->find('}', i);
    const std::string name = text->substr(i + 2, close == std::string::npos ? std::string::npos : close - i - 2);
    if (close != std::string::npos && name == "CWD") {
      out += subst_.cwd;
    } else if (close != std::string::npos && name == "HOME") {
      out += subst_.home;
    } else if (close == std::string::npos) {
      error(v, k, path, fmt::format("{:?}: ${{ without its closing }}", *text));
      return std::nullopt;
    } else {
      error(v, k, path, fmt::format("unknown variable ${{{}}} in {:?} (known: ${{CWD}}, ${{HOME}})", name, *text));
      return std::nullopt;
    }
    i = close;
  }
  if (out.empty()) {
    error(v, k, path, "expected a host path, got an empty string");
    return std::nullopt;
  }
  if (out.front() != '/') out = (dir_.empty() || dir_ == "/" ? dir_ : dir_ + "/") + out;
  return out;
}

void Parser::top_level(const YAML::Node& root) {
  bool has_version = false;
  for_each_entry(root, "", [&](const std::string& key, const std::string& path, const YAML::Node& k,
                               const YAML::Node& v) {
    if (key == "version") {
      has_version = true;
      if (!v.IsScalar() || v.Scalar() != "1") {
        error(v, k, path, fmt::format("expected 1, got {} (this hutch reads policy version 1)", describe(v)));
      }
    } else if (std::find(kReservedKeys.begin(), kReservedKeys.end(), key) != kReservedKeys.end()) {
      error(k, root, path, "not supported yet by this version of hutch");
    } else if (!top_entry(key, path, k, v)) {
      error(k, root, path, fmt::format("unknown key{}", suggestion(key, kTopKeys)));
    }
  });
  if (!has_version) {
    errors_.push_back(Diagnostic{Position{file_, 1, 1}, "version", "missing (a policy starts with version: 1)"});
  }
}

// Returns false for an unknown key.
bool Parser::top_entry(const std::string& key, const std::string& path, const YAML::Node& k, const YAML::Node& v) {
  if (key == "extends") {
    layer_.extends = string_of(v, k, path);
    layer_.extends_at = position(v.Mark().is_null() ? k.Mark() : v.Mark());
  } else if (key == "description") {
    layer_.description = string_of(v, k, path);
  } else if (key == "rootfs") {
    parse_rootfs(k, v, path);
  } else if (key == "user") {
    parse_user(k, v, path);
  } else if (key == "hostname") {
    if (auto name = string_of(v, k, path)) {
      if (auto problem = hostname_problem(*name)) error(v, k, path, *problem);
      else layer_.hostname = name;
    }
  } else if (key == "namespaces") {
    parse_namespaces(k, v, path);
  } else if (key == "network") {
    parse_network(k, v, path);
  } else if (key == "mounts") {
    parse_mounts(k, v, path);
  } else if (key == "env") {
    parse_env(k, v, path);
  } else if (key == "env_pass") {
    parse_names(layer_.env_pass, k, v, path, env_name_problem);
  } else if (key == "workdir") {
    layer_.workdir = sandbox_path_of(v, k, path);
  } else if (key == "init") {
    layer_.init = bool_of(v, k, path);
  } else if (key == "limits") {
    parse_limits(k, v, path);
  } else if (key == "preferred") {
    parse_names(layer_.preferred, k, v, path, preferred_problem);
  } else if (key == "seccomp") {
    parse_seccomp(k, v, path);
  } else {
    return false;
  }
  return true;
}

bool Parser::expect_map(const YAML::Node& k, const YAML::Node& v, const std::string& path, std::string_view example) {
  if (v.IsMap()) return true;
  error(v, k, path, fmt::format("expected a map like {}, got {}", example, describe(v)));
  return false;
}

void Parser::unknown_in(const YAML::Node& k, const YAML::Node& parent, const std::string& path,
                        std::initializer_list<std::string_view> known) {
  error(k, parent, path, fmt::format("unknown key{}", suggestion(k.Scalar(), known)));
}

void Parser::parse_rootfs(const YAML::Node& k, const YAML::Node& v, const std::string& path) {
  if (!expect_map(k, v, path, "{path: ./rootfs}")) return;
  for_each_entry(v, path, [&](const std::string& key, const std::string& p, const YAML::Node& kk,
                              const YAML::Node& vv) {
    if (key == "path") layer_.rootfs = host_path_of(vv, kk, p);
    else unknown_in(kk, v, p, {"path"});
  });
  if (!v["path"]) error(v, k, path, "expected a map like {path: ./rootfs}, without path");
}

void Parser::parse_user(const YAML::Node& k, const YAML::Node& v, const std::string& path) {
  if (!expect_map(k, v, path, "{uid: 1000, gid: 1000}")) return;
  for_each_entry(v, path, [&](const std::string& key, const std::string& p, const YAML::Node& kk,
                              const YAML::Node& vv) {
    if (key == "uid") layer_.uid = id_of(vv, kk, p);
    else if (key == "gid") layer_.gid = id_of(vv, kk, p);
    else unknown_in(kk, v, p, {"uid", "gid"});
  });
}

void Parser::parse_namespaces(const YAML::Node& k, const YAML::Node& v, const std::string& path) {
  if (!expect_map(k, v, path, "{nested_user: false}")) return;
  for_each_entry(v, path, [&](const std::string& key, const std::string& p, const YAML::Node& kk,
                              const YAML::Node& vv) {
    if (key == "nested_user") layer_.nested_user_namespaces = bool_of(vv, kk, p);
    else unknown_in(kk, v, p, {"nested_user"});
  });
}

void Parser::parse_network(const YAML::Node& k, const YAML::Node& v, const std::string& path) {
  const std::optional<std::string> mode = string_of(v, k, path);
  if (!mode) return;
  if (*mode == "none") layer_.network = Network::None;
  else if (*mode == "loopback") layer_.network = Network::Loopback;
  else if (*mode == "host") layer_.network = Network::Host;
  else error(v, k, path, fmt::format("expected none, loopback or host, got {:?}", *mode));
}

void Parser::parse_mounts(const YAML::Node& k, const YAML::Node& v, const std::string& path) {
  if (!start_patch(layer_.mounts, k, v, path, false) || !v.IsSequence()) return;
  std::map<std::string, std::size_t> targets;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const std::string p = fmt::format("{}[{}]", path, i);
    const YAML::Node entry = v[i];
    if (!tag_ok(entry, v, p, false)) continue;
    if (!entry.IsMap()) {
      error(entry, v, p, fmt::format("expected a map like {{type: bind, source: ./src, target: /src}}, got {}",
                                     describe(entry)));
      continue;
    }
    const std::optional<std::string> type = mount_type(entry, p);
    if (!type) continue;
    if (*type == "sysfs") {
      if (auto [it, fresh] = targets.emplace("/sys", i); !fresh) {
        error(entry, entry, p, fmt::format("/sys is already the target of {}[{}]", path, it->second));
        continue;
      }
      parse_sysfs(entry, p);
      continue;
    }
    std::optional<Mount> m = parse_mount(entry, *type, p);
    if (!m) continue;
    if (auto [it, fresh] = targets.emplace(m->target, i); !fresh) {
      error(entry["target"], entry, p + ".target",
            fmt::format("{} is already the target of {}[{}]", m->target, path, it->second));
      continue;
    }
    layer_.mounts.items.push_back(std::move(*m));
  }
}

std::optional<std::string> Parser::mount_type(const YAML::Node& entry, const std::string& path) {
  const YAML::Node type_node = entry["type"];
  if (!type_node) {
    error(entry, entry, path + ".type", "missing (expected bind, tmpfs or sysfs)");
    return std::nullopt;
  }
  std::optional<std::string> type = string_of(type_node, entry, path + ".type");
  if (type && *type != "bind" && *type != "tmpfs" && *type != "sysfs") {
    error(type_node, entry, path + ".type", fmt::format("expected bind, tmpfs or sysfs, got {:?}", *type));
    return std::nullopt;
  }
  return type;
}

// `- type: sysfs` (target /sys, the only place it may go): a read-only /sys.
void Parser::parse_sysfs(const YAML::Node& entry, const std::string& path) {
  const std::size_t errors_before = errors_.size();
  for_each_entry(entry, path, [&](const std::string& key, const std::string& p, const YAML::Node& kk,
                                  const YAML::Node& vv) {
    if (key == "type") return;
    if (key != "target") {
      error(kk, entry, p, "does not apply to a sysfs mount (it is read-only, at /sys)");
    } else if (auto t = sandbox_path_of(vv, kk, p); t && *t != "/sys") {
      error(vv, kk, p, fmt::format("a sysfs mount goes at /sys, not {}", *t));
    }
  });
  if (errors_.size() == errors_before) layer_.mount_sys = true;
}

std::optional<Mount> Parser::parse_mount(const YAML::Node& entry, const std::string& type, const std::string& path) {
  Mount m;
  m.type = type == "tmpfs" ? MountType::Tmpfs : MountType::Bind;
  m.readonly = type == "bind";  // binds are read-only unless they say otherwise
  const std::size_t errors_before = errors_.size();
  bool has_target = false;
  bool has_source = false;
  for_each_entry(entry, path, [&](const std::string& key, const std::string& p, const YAML::Node& kk,
                                  const YAML::Node& vv) {
    if (std::find(kMountKeys.begin(), kMountKeys.end(), key) == kMountKeys.end()) {
      error(kk, entry, p, fmt::format("unknown key{}", suggestion(key, kMountKeys)));
    } else if (key == "type") {
      return;
    } else if (!applies(key, type)) {
      error(kk, entry, p, fmt::format("does not apply to a {} mount", type));
    } else if (key == "target") {
      has_target = true;
      if (auto t = sandbox_path_of(vv, kk, p)) {
        if (auto problem = mount_target_problem(*t)) error(vv, kk, p, *problem);
        else m.target = *t;
      }
    } else if (key == "source") {
      has_source = true;
      if (auto src = host_path_of(vv, kk, p)) m.source = *src;
    } else if (key == "readonly") {
      if (auto b = bool_of(vv, kk, p)) m.readonly = *b;
    } else if (key == "optional") {
      if (auto b = bool_of(vv, kk, p)) m.optional = *b;
    } else if (key == "size") {
      // SECURITY: tmpfs reads size=0 as "no limit"; a page is the least that limits.
      m.size = size_of(vv, kk, p, 4096);
    } else if (key == "mode") {
      if (auto text = string_of(vv, kk, p)) {
        if (auto mode = parse_mode(*text)) m.mode = *mode;
        else error(vv, kk, p, fmt::format("expected octal permission bits like 1777 or 0755, got {:?}", *text));
      }
    }
  });
  if (!has_target) error(entry, entry, path + ".target", "missing (expected an absolute path inside the sandbox)");
  if (type == "bind" && !has_source) error(entry, entry, path + ".source", "missing (expected a host path)");
  if (errors_.size() != errors_before) return std::nullopt;
  return m;
}

bool Parser::applies(const std::string& key, const std::string& type) {
  if (key == "source" || key == "readonly" || key == "optional") return type == "bind";
  if (key == "size" || key == "mode") return type == "tmpfs";
  return true;  // target
}

std::optional<std::uint32_t> Parser::parse_mode(const std::string& text) {
  if (text.empty() || text.size() > 4) return std::nullopt;
  std::uint32_t mode = 0;
  for (char c : text) {
    if (c < '0' || c > '7') return std::nullopt;
    mode = mode * 8 + static_cast<std::uint32_t>(c - '0');
  }
  return mode;
}

void Parser::parse_limits(const YAML::Node& k, const YAML::Node& v, const std::string& path) {
  if (!start_patch(layer_.limits, k, v, path, true) || !v.IsMap()) return;
  Limits& l = layer_.limits.items;
  for_each_entry(v, path, [&](const std::string& key, const std::string& p, const YAML::Node& kk,
                              const YAML::Node& vv) {
    if (key == "memory") l.memory = size_of(vv, kk, p, 1);
    else if (key == "swap") l.swap = size_of(vv, kk, p, 0);
    else if (key == "processes") l.processes = count_of(vv, kk, p, 1, kMaxProcesses);
    else if (key == "cpu_time") l.cpu_time = duration_of(vv, kk, p);
    else if (key == "wall_time") l.wall_time = duration_of(vv, kk, p);
    else if (key == "extra_time") l.extra_time = duration_of(vv, kk, p, true);
    else if (key == "cpus") l.cpus_millis = cpus_of(vv, kk, p);
    else if (key == "cpuset") l.cpuset = cpuset_of(vv, kk, p);
    else if (key == "output") l.output = size_of(vv, kk, p, 0);
    else if (key == "file_size") l.file_size = size_of(vv, kk, p, 0);
    else if (key == "open_files") l.open_files = count_of(vv, kk, p, kMinOpenFiles, kMaxOpenFiles);
    else if (key == "stack") l.stack = size_of(vv, kk, p, 1);
    else error(kk, v, p, fmt::format("unknown key{}", suggestion(key, kLimitKeys)));
  });
}

// A size of at least `minimum` bytes.
std::optional<std::uint64_t> Parser::size_of(const YAML::Node& v, const YAML::Node& k, const std::string& path,
                                             std::uint64_t minimum) {
  if (!v.IsScalar()) {
    error(v, k, path, fmt::format("expected a size like 64M, got {}", describe(v)));
    return std::nullopt;
  }
  try {
    return checked_size(v.Scalar(), minimum);
  } catch (const Error& e) {
    error(v, k, path, e.message());
  }
  return std::nullopt;
}

// A positive duration (or zero, where `allow_zero`).
std::optional<std::chrono::milliseconds> Parser::duration_of(const YAML::Node& v, const YAML::Node& k,
                                                             const std::string& path, bool allow_zero) {
  if (!v.IsScalar()) {
    error(v, k, path, fmt::format("expected a duration like 2s or 1500ms, got {}", describe(v)));
    return std::nullopt;
  }
  try {
    return checked_duration(v.Scalar(), allow_zero);
  } catch (const Error& e) {
    error(v, k, path, e.message());
  }
  return std::nullopt;
}

std::optional<std::uint64_t> Parser::count_of(const YAML::Node& v, const YAML::Node& k, const std::string& path,
                                              std::uint64_t minimum, std::uint64_t maximum) {
  if (v.IsScalar()) {
    try {
      return checked_count(v.Scalar(), minimum, maximum);
    } catch (const Error& e) {
      error(v, k, path, e.message());
      return std::nullopt;
    }
  }
  error(v, k, path, fmt::format("expected a whole number from {} to {}, got {}", minimum, maximum, describe(v)));
  return std::nullopt;
}

// "1", "0.5", "1.25": a CPU quota in CPUs, at most 3 decimals, from 0.001 to 4096.
std::optional<std::uint32_t> Parser::cpus_of(const YAML::Node& v, const YAML::Node& k, const std::string& path) {
  if (v.IsScalar()) {
    const std::string& t = v.Scalar();
    const std::size_t dot = t.find('.');
    const std::string whole = t.substr(0, dot);
    const std::string fraction = dot == std::string::npos ? "" : t.substr(dot + 1);
    const auto digits = [](const std::string& s) {
      return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
    };
    if (!whole.empty() && whole.size() <= 4 && digits(whole) && digits(fraction) && fraction.size() <= 3 &&
        (dot == std::string::npos || !fraction.empty())) {
      std::uint32_t millis = static_cast<std::uint32_t>(std::stoul(whole)) * 1000;
      std::string padded = fraction + std::string(3 - fraction.size(), '0');
      millis += static_cast<std::uint32_t>(std::stoul(padded));
      if (millis >= 1 && millis <= 4096 * 1000) return millis;
    }
  }
  error(v, k, path, fmt::format("expected a number of CPUs like 1 or 1.5 (0.001 to 4096), got {}", describe(v)));
  return std::nullopt;
}

// "0", "0-3", "0-1,4": CPU numbers below 8192 and ascending ranges.
std::optional<std::string> Parser::cpuset_of(const YAML::Node& v, const YAML::Node& k, const std::string& path) {
  if (v.IsScalar() && cpuset_valid(v.Scalar())) return v.Scalar();
  error(v, k, path, fmt::format("expected CPU numbers like 0-1,3, got {}", describe(v)));
  return std::nullopt;
}

bool Parser::cpuset_valid(std::string_view text) {
  if (text.empty()) return false;
  while (true) {
    const std::size_t comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    const std::size_t dash = item.find('-');
    const auto number = [](std::string_view s) -> std::optional<unsigned> {
      unsigned n = 0;
      const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
      if (s.empty() || ec != std::errc() || end != s.data() + s.size() || n >= 8192) return std::nullopt;
      return n;
    };
    const std::optional<unsigned> first = number(item.substr(0, dash));
    const std::optional<unsigned> last = dash == std::string_view::npos ? first : number(item.substr(dash + 1));
    if (!first || !last || *last < *first) return false;
    if (comma == std::string_view::npos) return true;
    text.remove_prefix(comma + 1);
  }
}

void Parser::parse_env(const YAML::Node& k, const YAML::Node& v, const std::string& path) {
  if (!start_patch(layer_.env, k, v, path, true) || !v.IsMap()) return;
  for_each_entry(v, path, [&](const std::string& key, const std::string& p, const YAML::Node& kk,
                              const YAML::Node& vv) {
    if (auto problem = env_name_problem(key)) {
      error(kk, v, p, *problem);
      return;
    }
    if (auto value = string_of(vv, kk, p)) layer_.env.items[key] = *value;
  });
}

void Parser::parse_names(Patch<std::vector<std::string>>& patch, const YAML::Node& k, const YAML::Node& v,
                         const std::string& path, std::optional<std::string> (*problem_of)(std::string_view)) {
  if (!start_patch(patch, k, v, path, false) || !v.IsSequence()) return;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const std::string p = fmt::format("{}[{}]", path, i);
    if (!tag_ok(v[i], v, p, false)) continue;
    const std::optional<std::string> name = string_of(v[i], v, p);
    if (!name) continue;
    if (auto problem = problem_of(*name)) error(v[i], v, p, *problem);
    else patch.items.push_back(*name);
  }
}

}  // namespace hutch::policy::detail

namespace hutch::policy {

ParsedLayer parse_policy_collecting(std::string_view text, const std::string& file, const std::string& dir,
                                    const Substitutions& subst) {
  detail::Parser parser(file, dir, subst);
  return parser.parse(text);
}

PolicyLayer parse_policy(std::string_view text, const std::string& file, const std::string& dir,
                         const Substitutions& subst) {
  ParsedLayer parsed = parse_policy_collecting(text, file, dir, subst);
  if (!parsed.errors.empty()) throw PolicyError(std::move(parsed.errors));
  return std::move(parsed.layer);
}

}  // namespace hutch::policy
