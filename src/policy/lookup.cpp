#include "policy/lookup.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <set>
#include <tuple>

#include <fmt/format.h>

#include "policy/merge.hpp"
#include "util/error.hpp"
#include "util/sys.hpp"

namespace hutch::policy {
namespace {

constexpr std::size_t kMaxPolicyBytes = 1 << 20;

std::string dirname_of(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && v[0] == '/' ? std::string(v) : fallback;
}

std::string exe_dir() {
  char buf[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return {};
  return dirname_of(std::string(buf, static_cast<std::size_t>(n)));
}

bool is_regular_file(const std::string& path) {
  struct stat st{};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string canonical(const std::string& path) {
  char buf[PATH_MAX];
  return ::realpath(path.c_str(), buf) != nullptr ? std::string(buf) : path;
}

[[noreturn]] void fail(const Position& at, const std::string& key, std::string message) {
  throw PolicyError({Diagnostic{at, key, std::move(message)}});
}

std::string describe_search(const SearchPath& search) {
  std::string out;
  for (const std::string& d : search.dirs) out += (out.empty() ? "" : ", ") + d;
  if (search.builtin) out += out.empty() ? "the built-in policies" : ", the built-in policies";
  return out;
}

// How messages name `ref`, a path relative to the file named `display`: relative like it.
std::string display_relative_to(const std::string& display, std::string ref) {
  while (ref.rfind("./", 0) == 0) ref.erase(0, 2);
  if (ref.empty()) return "./";
  if (ref.front() == '/' || display.rfind("builtin:", 0) == 0) return ref;
  const std::size_t slash = display.rfind('/');
  return slash == std::string::npos ? ref : display.substr(0, slash + 1) + ref;
}

// The source `extends: NAME_OR_PATH` in `child` refers to.
PolicySource parent_of(const PolicyLayer& child, const PolicySource& child_source, const SearchPath& search) {
  const std::string& ref = *child.extends;
  if (is_policy_path(ref)) {
    const std::string path = ref.front() == '/' ? ref : child_source.dir + "/" + ref;
    const std::string display = display_relative_to(child_source.display, ref);
    if (!is_regular_file(path)) fail(child.extends_at, "extends", fmt::format("no policy file {}", display));
    return read_policy_file(path, display);
  }
  // SECURITY: `extends: NAME` never looks in the current directory, where anyone who can
  // write there could plant a default.yaml under every shipped policy; and it looks
  // from the child's own level on, so a shipped policy only ever extends shipped ones.
  const std::size_t from = std::max<std::size_t>(child_source.level, 1);
  std::optional<PolicySource> found = find_policy(ref, search, from);
  if (!found) {
    SearchPath looked{{}, search.builtin};
    if (from < search.dirs.size()) looked.dirs.assign(search.dirs.begin() + static_cast<std::ptrdiff_t>(from), search.dirs.end());
    fail(child.extends_at, "extends", fmt::format("no policy named \"{}\" (looked in {})", ref, describe_search(looked)));
  }
  return std::move(*found);
}

}  // namespace

SearchPath default_search_path() {
  SearchPath search;
  char cwd[PATH_MAX];
  search.dirs.push_back(::getcwd(cwd, sizeof cwd) != nullptr ? std::string(cwd) : ".");
  const std::string home = env_or("HOME", "");
  const std::string config = env_or("XDG_CONFIG_HOME", home.empty() ? "" : home + "/.config");
  if (!config.empty()) search.dirs.push_back(config + "/hutch/policies");
  if (const std::string bin = exe_dir(); !bin.empty()) search.dirs.push_back(dirname_of(bin) + "/share/hutch/policies");
  return search;
}

LoadContext default_load_context() {
  LoadContext ctx;
  ctx.search = default_search_path();
  ctx.cwd = ctx.search.dirs.front();
  ctx.subst.cwd = ctx.cwd;
  ctx.subst.home = env_or("HOME", "/");
  return ctx;
}

bool is_policy_path(std::string_view name_or_path) {
  return name_or_path.find('/') != std::string_view::npos || name_or_path.ends_with(".yaml") ||
         name_or_path.ends_with(".yml");
}

PolicySource read_policy_file(const std::string& path, const std::string& display) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail(Position{display, 0, 0}, "", fmt::format("cannot read it: {}", describe_errno(errno)));
  const UniqueFd file(fd);
  PolicySource src{display, dirname_of(canonical(path)), canonical(path), {}};
  char buf[65536];
  for (;;) {
    const ssize_t n = sys::retry_eintr([&] { return ::read(fd, buf, sizeof buf); });
    if (n < 0) fail(Position{display, 0, 0}, "", fmt::format("cannot read it: {}", describe_errno(errno)));
    if (n == 0) break;
    src.text.append(buf, static_cast<std::size_t>(n));
    if (src.text.size() > kMaxPolicyBytes) fail(Position{display, 0, 0}, "", "larger than 1 MiB; not a policy");
  }
  return src;
}

std::optional<PolicySource> find_policy(const std::string& name, const SearchPath& search, std::size_t from) {
  const bool only_builtin = name.rfind("builtin:", 0) == 0;
  const std::string bare = only_builtin ? name.substr(8) : name;
  if (bare.empty() || bare.find('/') != std::string::npos) return std::nullopt;
  for (std::size_t i = from; !only_builtin && i < search.dirs.size(); ++i) {
    const std::string path = search.dirs[i] + "/" + bare + ".yaml";
    if (!is_regular_file(path)) continue;
    PolicySource src = read_policy_file(path, path);
    src.level = i;
    return src;
  }
  if (search.builtin || only_builtin) {
    for (const BuiltinPolicy& b : builtin_policies()) {
      if (bare == b.name) {
        return PolicySource{fmt::format("builtin:{}.yaml", b.name), "/", fmt::format("builtin:{}", b.name), b.text,
                            kBuiltinLevel};
      }
    }
  }
  return std::nullopt;
}

LoadedPolicy load_policy(const std::string& name_or_path, const LoadContext& ctx) {
  PolicySource source;
  if (is_policy_path(name_or_path)) {
    const std::string path = name_or_path.front() == '/' ? name_or_path : ctx.cwd + "/" + name_or_path;
    source = read_policy_file(path, name_or_path);
  } else if (std::optional<PolicySource> found = find_policy(name_or_path, ctx.search)) {
    source = std::move(*found);
  } else {
    fail(Position{name_or_path, 0, 0}, "",
         fmt::format("no policy named \"{}\" (looked in {})", name_or_path, describe_search(ctx.search)));
  }
  std::vector<PolicyLayer> layers;
  std::vector<std::string> identities;
  std::vector<Diagnostic> errors;  // of every file along the chain, reported together
  LoadedPolicy loaded;
  for (;;) {
    if (std::find(identities.begin(), identities.end(), source.identity) != identities.end()) {
      std::string cycle;
      for (const std::string& d : loaded.chain) cycle += d + " -> ";
      errors.push_back(Diagnostic{layers.back().extends_at, "extends", fmt::format("cycle: {}{}", cycle, source.display)});
      break;
    }
    identities.push_back(source.identity);
    loaded.chain.push_back(source.display);
    ParsedLayer parsed = parse_policy_collecting(source.text, source.display, source.dir, ctx.subst);
    errors.insert(errors.end(), parsed.errors.begin(), parsed.errors.end());
    layers.push_back(std::move(parsed.layer));
    if (!layers.back().extends) break;
    try {
      source = parent_of(layers.back(), source, ctx.search);
    } catch (const PolicyError& e) {
      errors.insert(errors.end(), e.diagnostics().begin(), e.diagnostics().end());
      break;
    }
  }
  if (!errors.empty()) {
    // File by file along the chain, each in its own line order.
    const auto rank = [&](const Diagnostic& d) {
      const auto it = std::find(loaded.chain.begin(), loaded.chain.end(), d.at.file);
      return std::make_tuple(it - loaded.chain.begin(), d.at.line, d.at.column);
    };
    std::stable_sort(errors.begin(), errors.end(), [&](const Diagnostic& a, const Diagnostic& b) { return rank(a) < rank(b); });
    throw PolicyError(std::move(errors));
  }
  for (auto it = layers.rbegin(); it != layers.rend(); ++it) apply_layer(loaded.policy, *it);
  return loaded;
}

std::vector<ListedPolicy> list_policies(const SearchPath& search) {
  std::vector<ListedPolicy> out;
  std::set<std::string> seen;
  auto add = [&](const std::string& name, const std::string& display) {
    out.push_back(ListedPolicy{name, display, !seen.insert(name).second});
  };
  for (const std::string& dir : search.dirs) {
    std::vector<std::string> names;
    if (DIR* d = ::opendir(dir.c_str())) {
      while (const dirent* e = ::readdir(d)) {
        const std::string file = e->d_name;
        if (file.size() > 5 && file.ends_with(".yaml") && is_regular_file(fmt::format("{}/{}", dir, file))) {
          names.push_back(file.substr(0, file.size() - 5));
        }
      }
      ::closedir(d);
    }
    std::sort(names.begin(), names.end());
    for (const std::string& n : names) add(n, fmt::format("{}/{}.yaml", dir, n));
  }
  if (search.builtin) {
    for (const BuiltinPolicy& b : builtin_policies()) add(b.name, fmt::format("builtin:{}.yaml", b.name));
  }
  return out;
}

}  // namespace hutch::policy
