// Finding policies: by file path, or by name along the search path (docs/policy.md):
//   ./NAME.yaml, $XDG_CONFIG_HOME/hutch/policies/NAME.yaml (~/.config/... by default),
//   PREFIX/share/hutch/policies/NAME.yaml (PREFIX: the directory above hutch's own bin/),
//   and the policies built into the binary (the shipped ones, so a name always works).
// Then loading one with its `extends` chain, with cycle detection.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "policy/layer.hpp"
#include "policy/schema.hpp"

namespace hutch::policy {

struct SearchPath {
  std::vector<std::string> dirs;  // in order
  bool builtin = true;            // finally, the shipped policies built into hutch
};

// The search path for this process: ./, XDG, the install prefix.
SearchPath default_search_path();

struct LoadContext {
  SearchPath search;
  Substitutions subst;
  std::string cwd;  // what a policy *file* named on the command line is relative to
};
LoadContext default_load_context();

// A policy's text and where it came from.
struct PolicySource {
  std::string display;   // how messages name it
  std::string dir;       // what its relative paths are relative to
  std::string identity;  // canonical path, or "builtin:NAME"; equal identities = same file
  std::string text;
  // Where along the search path it was found: the index in SearchPath::dirs,
  // kBuiltinLevel for a shipped one, 0 for a file named by its path.
  std::size_t level = 0;
};
inline constexpr std::size_t kBuiltinLevel = static_cast<std::size_t>(-1);

// A name is looked up; anything with a '/' or ending in .yaml/.yml is a file path.
bool is_policy_path(std::string_view name_or_path);

// std::nullopt when no policy of that name exists along the search path, from the
// directory at index `from` on. "builtin:NAME" names a shipped policy only.
std::optional<PolicySource> find_policy(const std::string& name, const SearchPath& search, std::size_t from = 0);
// Throws PolicyError naming the file when it cannot be read.
PolicySource read_policy_file(const std::string& path, const std::string& display);

struct LoadedPolicy {
  Policy policy;
  std::vector<std::string> chain;  // display names, the named policy first, then its parents
};

// Loads `name_or_path` and everything it extends, merged. Throws PolicyError.
LoadedPolicy load_policy(const std::string& name_or_path, const LoadContext& ctx);

struct ListedPolicy {
  std::string name;
  std::string display;
  bool shadowed = false;  // an earlier directory of the search path has the same name
};
// Every policy along the search path, in search order.
std::vector<ListedPolicy> list_policies(const SearchPath& search);

// The shipped policies compiled into hutch: {name, text}.
struct BuiltinPolicy {
  const char* name;
  const char* text;
};
const std::vector<BuiltinPolicy>& builtin_policies();

}  // namespace hutch::policy
