// Internal to src/policy/load*.cpp; nothing else includes it. The Parser that turns one
// policy file's YAML into a PolicyLayer and collects every error on the way. load.cpp holds
// its generic helpers, the top level and the sections but one; load_seccomp.cpp holds seccomp.
#pragma once

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "policy/layer.hpp"
#include "util/suggest.hpp"

namespace hutch::policy::detail {

// " (did you mean \"hostname\"?)" when a known key is close, else "".
template <typename Keys>
std::string suggestion(std::string_view unknown, const Keys& known) {
  const std::optional<std::string> best = suggest::nearest(unknown, known);
  return best ? fmt::format(" (did you mean \"{}\"?)", *best) : "";
}

// How an error shows a value: "nothing", "a list", "a map", or the scalar quoted.
std::string describe(const YAML::Node& node);

class Parser {
 public:
  Parser(const std::string& file, const std::string& dir, const Substitutions& subst)
      : file_(file), dir_(dir), subst_(subst) {
    layer_.origin = Position{file, 0, 0};
  }

  ParsedLayer parse(std::string_view text);

 private:
  // load.cpp: reading the file, and the values any section may hold. Comments are on the
  // definitions; the two templates used across files are defined here.
  void parse_tree(std::string_view text);
  bool prescan(std::string_view text);
  Position position(const YAML::Mark& mark) const;
  void error(const YAML::Node& at, const YAML::Node& fallback, const std::string& key, std::string message);
  bool tag_ok(const YAML::Node& v, const YAML::Node& k, const std::string& path, bool may_reset);
  std::optional<std::string> string_of(const YAML::Node& v, const YAML::Node& k, const std::string& path);
  std::optional<bool> bool_of(const YAML::Node& v, const YAML::Node& k, const std::string& path);
  std::optional<std::uint32_t> id_of(const YAML::Node& v, const YAML::Node& k, const std::string& path);
  std::optional<std::string> sandbox_path_of(const YAML::Node& v, const YAML::Node& k, const std::string& path);
  std::optional<std::string> host_path_of(const YAML::Node& v, const YAML::Node& k, const std::string& path);
  std::optional<std::uint64_t> size_of(const YAML::Node& v, const YAML::Node& k, const std::string& path,
                                       std::uint64_t minimum);
  std::optional<std::chrono::milliseconds> duration_of(const YAML::Node& v, const YAML::Node& k,
                                                       const std::string& path, bool allow_zero = false);
  std::optional<std::uint64_t> count_of(const YAML::Node& v, const YAML::Node& k, const std::string& path,
                                        std::uint64_t minimum, std::uint64_t maximum);
  bool expect_map(const YAML::Node& k, const YAML::Node& v, const std::string& path, std::string_view example);
  void unknown_in(const YAML::Node& k, const YAML::Node& parent, const std::string& path,
                  std::initializer_list<std::string_view> known);

  template <typename Fn>
  void for_each_entry(const YAML::Node& map, const std::string& prefix, Fn fn) {
    std::set<std::string> seen;
    for (auto it = map.begin(); it != map.end(); ++it) {
      const YAML::Node key_node = it->first;
      if (!key_node.IsScalar()) {
        error(key_node, map, prefix, fmt::format("expected a key name, got {}", describe(key_node)));
        continue;
      }
      const std::string& key = key_node.Scalar();
      const std::string path = prefix.empty() ? key : fmt::format("{}.{}", prefix, key);
      if (!seen.insert(key).second) {
        error(key_node, map, path, "is given twice");
        continue;
      }
      if (!tag_ok(it->second, key_node, path, true)) continue;
      fn(key, path, key_node, it->second);
    }
  }

  template <typename T>
  bool start_patch(Patch<T>& patch, const YAML::Node& k, const YAML::Node& v, const std::string& path, bool want_map) {
    patch.present = true;
    patch.reset = v.Tag() == "!reset";
    if (!v.Tag().empty() && v.Tag() != "!reset" && v.Tag() != "?" && v.Tag() != "!") {
      error(v, k, path, fmt::format("unknown tag {} (the one tag hutch knows is !reset)", v.Tag()));
      return false;
    }
    if (want_map ? v.IsMap() : v.IsSequence()) return true;
    // `key: !reset` alone clears (yaml-cpp reads a tagged nothing as an empty string)
    if (patch.reset && (v.IsNull() || (v.IsScalar() && v.Scalar().empty()))) return true;
    error(v, k, path, fmt::format("expected a {}, got {}", want_map ? "map" : "list", describe(v)));
    return false;
  }

  // load.cpp: the top level and the sections other than seccomp.
  void top_level(const YAML::Node& root);
  bool top_entry(const std::string& key, const std::string& path, const YAML::Node& k, const YAML::Node& v);
  void parse_rootfs(const YAML::Node& k, const YAML::Node& v, const std::string& path);
  void parse_user(const YAML::Node& k, const YAML::Node& v, const std::string& path);
  void parse_namespaces(const YAML::Node& k, const YAML::Node& v, const std::string& path);
  void parse_network(const YAML::Node& k, const YAML::Node& v, const std::string& path);
  void parse_mounts(const YAML::Node& k, const YAML::Node& v, const std::string& path);
  std::optional<std::string> mount_type(const YAML::Node& entry, const std::string& path);
  void parse_sysfs(const YAML::Node& entry, const std::string& path);
  std::optional<Mount> parse_mount(const YAML::Node& entry, const std::string& type, const std::string& path);
  static bool applies(const std::string& key, const std::string& type);
  static std::optional<std::uint32_t> parse_mode(const std::string& text);
  void parse_limits(const YAML::Node& k, const YAML::Node& v, const std::string& path);
  std::optional<std::uint32_t> cpus_of(const YAML::Node& v, const YAML::Node& k, const std::string& path);
  std::optional<std::string> cpuset_of(const YAML::Node& v, const YAML::Node& k, const std::string& path);
  static bool cpuset_valid(std::string_view text);
  void parse_env(const YAML::Node& k, const YAML::Node& v, const std::string& path);
  // A list of names, each checked by problem_of (env_pass, preferred).
  void parse_names(Patch<std::vector<std::string>>& patch, const YAML::Node& k, const YAML::Node& v,
                   const std::string& path, std::optional<std::string> (*problem_of)(std::string_view));

  // load_seccomp.cpp
  void parse_seccomp(const YAML::Node& k, const YAML::Node& v, const std::string& path);
  std::optional<seccomp::Action> action_of(const YAML::Node& v, const YAML::Node& k, const std::string& path);
  std::optional<std::string> syscall_or_group_of(const YAML::Node& v, const YAML::Node& k, const std::string& path);
  void parse_seccomp_rule(const YAML::Node& entry, const YAML::Node& parent, const std::string& path);
  void parse_conditions(const YAML::Node& v, const YAML::Node& k, const std::string& path,
                        std::vector<seccomp::Condition>& out);
  std::optional<seccomp::Condition> parse_condition(const YAML::Node& m, const std::string& path);
  std::optional<seccomp::Op> op_of(const YAML::Node& v, const YAML::Node& k, const std::string& path);

  std::string file_;
  std::string dir_;
  Substitutions subst_;
  PolicyLayer layer_;
  std::vector<Diagnostic> errors_;
};

}  // namespace hutch::policy::detail
