#include "seccomp/precompiled.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "seccomp/resolve.hpp"

namespace hutch::seccomp {

// One field per line, numbers in hex; the texts of conditions (as written) are left
// out because compile() never reads them. Rule order is kept: resolve() is sensitive
// to it (a later rule for the same call and conditions is a different filter).
std::string filter_key(const Filter& filter, const ResolveOptions& options, KillMode mode) {
  std::string key = fmt::format("mode {}\nnested {}\ndefault {}\nbaseline {}\n",
                                mode == KillMode::Notify ? "notify" : "kill-process",
                                options.nested_user_namespaces ? 1 : 0, format_action(filter.default_action),
                                format_action(filter.baseline));
  for (const Rule& rule : filter.rules) {
    key += fmt::format("rule {} {}", rule.syscall, format_action(rule.action));
    for (const Condition& c : rule.args) {
      key += fmt::format(" [{} {} {:#x} {:#x}]", c.arg, format_op(c.op), c.value, c.mask);
    }
    key += '\n';
  }
  return key;
}

Compiled compile_filter(const Filter& filter, const ResolveOptions& options, KillMode mode, bool* precompiled) {
  const std::string key = filter_key(filter, options, mode);
  const std::span<const PrecompiledFilter> table = precompiled_filters();
  const auto hit = std::find_if(table.begin(), table.end(), [&](const PrecompiledFilter& f) { return f.key == key; });
  if (precompiled) *precompiled = hit != table.end();
  if (hit != table.end()) return Compiled{Program(hit->program.begin(), hit->program.end()), hit->uses_notify};
  return compile(resolve(filter, options), mode);
}

}  // namespace hutch::seccomp
