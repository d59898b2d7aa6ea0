// The `seccomp` section of a policy file: the default and baseline actions, the allow
// list and the rules with their argument conditions. Part of the Parser in parser.hpp.
#include "policy/parser.hpp"

#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "seccomp/groups.hpp"
#include "seccomp/syscalls.hpp"
#include "util/error.hpp"

namespace hutch::policy::detail {

void Parser::parse_seccomp(const YAML::Node& k, const YAML::Node& v, const std::string& path) {
  if (!expect_map(k, v, path, "{default: errno(ENOSYS), allow: [\"@system-service\"]}")) return;
  SeccompLayer& s = layer_.seccomp;
  for_each_entry(v, path, [&](const std::string& key, const std::string& p, const YAML::Node& kk,
                              const YAML::Node& vv) {
    if (key == "default") {
      s.default_action = action_of(vv, kk, p);
    } else if (key == "baseline") {
      s.baseline = action_of(vv, kk, p);
      if (s.baseline && (s.baseline->kind == seccomp::Action::Kind::Allow ||
                         s.baseline->kind == seccomp::Action::Kind::Log)) {
        error(vv, kk, p, "expected errno(NAME), kill or trap (to lift one baseline item, allow it by name)");
        s.baseline.reset();
      }
    } else if (key == "allow") {
      if (!start_patch(s.allow, kk, vv, p, false) || !vv.IsSequence()) return;
      for (std::size_t i = 0; i < vv.size(); ++i) {
        const std::string pi = fmt::format("{}[{}]", p, i);
        if (!tag_ok(vv[i], vv, pi, false)) continue;
        if (auto name = syscall_or_group_of(vv[i], vv, pi)) s.allow.items.push_back(seccomp::Rule{*name, {}, {}});
      }
    } else if (key == "rules") {
      if (!start_patch(s.rules, kk, vv, p, false) || !vv.IsSequence()) return;
      for (std::size_t i = 0; i < vv.size(); ++i) {
        const std::string pi = fmt::format("{}[{}]", p, i);
        if (tag_ok(vv[i], vv, pi, false)) parse_seccomp_rule(vv[i], vv, pi);
      }
    } else {
      error(kk, v, p, fmt::format("unknown key{}",
                                  suggestion(key, std::array<std::string_view, 4>{"default", "baseline", "allow",
                                                                                  "rules"})));
    }
  });
  for (const seccomp::Rule& allowed : s.allow.items) {
    for (const seccomp::Rule& rule : s.rules.items) {
      if (rule.same_key(allowed)) {
        error(v["allow"], v, path + ".allow",
              fmt::format("{} is allowed here and given a rule ({}) too: keep one", allowed.syscall,
                          seccomp::format_action(rule.action)));
      }
    }
  }
}

std::optional<seccomp::Action> Parser::action_of(const YAML::Node& v, const YAML::Node& k, const std::string& path) {
  const std::optional<std::string> text = string_of(v, k, path);
  if (!text) return std::nullopt;
  try {
    return seccomp::parse_action(*text);
  } catch (const Error& e) {
    error(v, k, path, e.message());
    return std::nullopt;
  }
}

std::optional<std::string> Parser::syscall_or_group_of(const YAML::Node& v, const YAML::Node& k,
                                                       const std::string& path) {
  std::optional<std::string> name = string_of(v, k, path);
  if (!name) return std::nullopt;
  if (name->rfind('@', 0) == 0) {
    if (*name == "@known" || seccomp::find_group(*name)) return name;
    const std::optional<std::string> near = seccomp::nearest_group(*name);
    error(v, k, path, fmt::format("unknown group \"{}\"{}", *name,
                                  near ? fmt::format(" (did you mean \"{}\"?)", *near) : ""));
    return std::nullopt;
  }
  if (seccomp::is_known_syscall(*name)) return name;
  const std::optional<std::string> near = seccomp::nearest_syscall(*name);
  error(v, k, path, fmt::format("unknown system call \"{}\"{}", *name,
                                near ? fmt::format(" (did you mean \"{}\"?)", *near) : ""));
  return std::nullopt;
}

// {syscall: NAME | syscalls: [NAME, ...], action: ACTION, args: [CONDITION, ...]}
void Parser::parse_seccomp_rule(const YAML::Node& entry, const YAML::Node& parent, const std::string& path) {
  if (!entry.IsMap()) {
    error(entry, parent, path, fmt::format("expected a map like {{syscall: ptrace, action: kill}}, got {}",
                                           describe(entry)));
    return;
  }
  const std::size_t errors_before = errors_.size();
  std::vector<std::string> names;
  std::optional<seccomp::Action> action;
  std::vector<seccomp::Condition> args;
  YAML::Node args_node;
  for_each_entry(entry, path, [&](const std::string& key, const std::string& p, const YAML::Node& kk,
                                  const YAML::Node& vv) {
    if (key == "syscall") {
      if (auto n = syscall_or_group_of(vv, kk, p)) names.push_back(*n);
    } else if (key == "syscalls") {
      if (!vv.IsSequence() || vv.size() == 0) {
        error(vv, kk, p, fmt::format("expected a list of system calls, got {}", describe(vv)));
        return;
      }
      for (std::size_t i = 0; i < vv.size(); ++i) {
        if (auto n = syscall_or_group_of(vv[i], vv, fmt::format("{}[{}]", p, i))) names.push_back(*n);
      }
    } else if (key == "action") {
      action = action_of(vv, kk, p);
    } else if (key == "args") {
      args_node = vv;
      parse_conditions(vv, kk, p, args);
    } else {
      error(kk, entry, p, fmt::format("unknown key{}", suggestion(key, std::array<std::string_view, 4>{
                                                                            "syscall", "syscalls", "action", "args"})));
    }
  });
  if (entry["syscall"] && entry["syscalls"]) error(entry, entry, path, "give syscall or syscalls, not both");
  if (!entry["syscall"] && !entry["syscalls"]) error(entry, entry, path + ".syscall", "missing (expected a system call name)");
  if (!entry["action"]) error(entry, entry, path + ".action", "missing (expected allow, kill, trap, log or errno(NAME))");
  if (!args.empty()) {
    const bool groups = std::any_of(names.begin(), names.end(), [](const std::string& n) { return n[0] == '@'; });
    if (groups || names.size() > 1) {
      error(args_node, entry, path + ".args", "conditions apply to one system call (name it with syscall:)");
    }
  }
  if (errors_.size() != errors_before || !action) return;
  for (const std::string& name : names) {
    seccomp::Rule rule{name, *action, args};
    const auto same = std::find_if(layer_.seccomp.rules.items.begin(), layer_.seccomp.rules.items.end(),
                                   [&](const seccomp::Rule& r) { return r.same_key(rule); });
    if (same != layer_.seccomp.rules.items.end()) {
      error(entry, entry, path, fmt::format("a rule for {} with the same conditions comes earlier", name));
      continue;
    }
    layer_.seccomp.rules.items.push_back(std::move(rule));
  }
}

void Parser::parse_conditions(const YAML::Node& v, const YAML::Node& k, const std::string& path,
                              std::vector<seccomp::Condition>& out) {
  if (!v.IsSequence()) {
    error(v, k, path, fmt::format("expected a list like [{{arg: 0, op: \"==\", value: AF_UNIX}}], got {}",
                                  describe(v)));
    return;
  }
  for (std::size_t i = 0; i < v.size(); ++i) {
    const std::string p = fmt::format("{}[{}]", path, i);
    if (!tag_ok(v[i], v, p, false)) continue;
    if (!v[i].IsMap()) {
      error(v[i], v, p, fmt::format("expected a map like {{arg: 0, op: \"==\", value: AF_UNIX}}, got {}",
                                    describe(v[i])));
      continue;
    }
    if (auto c = parse_condition(v[i], p)) {
      if (std::any_of(out.begin(), out.end(), [&](const seccomp::Condition& o) { return o.arg == c->arg; })) {
        error(v[i], v, p, fmt::format("argument {} is compared twice in one rule (write two rules)", c->arg));
        continue;
      }
      out.push_back(*c);
    }
  }
}

std::optional<seccomp::Condition> Parser::parse_condition(const YAML::Node& m, const std::string& path) {
  seccomp::Condition c;
  const std::size_t errors_before = errors_.size();
  bool has_arg = false, has_op = false, has_value = false;
  for_each_entry(m, path, [&](const std::string& key, const std::string& p, const YAML::Node& kk,
                              const YAML::Node& vv) {
    if (key == "arg") {
      has_arg = true;
      if (auto n = count_of(vv, kk, p, 0, 5)) c.arg = static_cast<unsigned>(*n);
    } else if (key == "op") {
      has_op = true;
      if (auto op = op_of(vv, kk, p)) c.op = *op;
    } else if (key == "value" || key == "mask") {
      has_value |= key == "value";
      const std::optional<std::string> text = string_of(vv, kk, p);
      if (!text) return;
      try {
        (key == "value" ? c.value : c.mask) = seccomp::parse_value(*text);
        (key == "value" ? c.value_text : c.mask_text) = *text;
      } catch (const Error& e) {
        error(vv, kk, p, e.message());
      }
    } else {
      error(kk, m, p, fmt::format("unknown key{}",
                                  suggestion(key, std::array<std::string_view, 4>{"arg", "op", "value", "mask"})));
    }
  });
  if (!has_arg) error(m, m, path + ".arg", "missing (expected 0 to 5)");
  if (!has_op) error(m, m, path + ".op", "missing (expected ==, !=, <, <=, >, >= or masked)");
  if (!has_value) error(m, m, path + ".value", "missing (expected a number or a constant like AF_UNIX)");
  if (has_op && c.op == seccomp::Op::Masked && !m["mask"]) {
    error(m, m, path + ".mask", "missing (op masked compares (argument & mask) with value)");
  }
  if (has_op && c.op != seccomp::Op::Masked && m["mask"]) {
    error(m["mask"], m, path + ".mask", "applies only to op: masked");
  }
  if (errors_.size() != errors_before) return std::nullopt;
  return c;
}

std::optional<seccomp::Op> Parser::op_of(const YAML::Node& v, const YAML::Node& k, const std::string& path) {
  const std::optional<std::string> text = string_of(v, k, path);
  if (!text) return std::nullopt;
  static constexpr std::array<std::pair<std::string_view, seccomp::Op>, 7> kOps{{
      {"==", seccomp::Op::Eq}, {"!=", seccomp::Op::Ne}, {"<", seccomp::Op::Lt}, {"<=", seccomp::Op::Le},
      {">", seccomp::Op::Gt}, {">=", seccomp::Op::Ge}, {"masked", seccomp::Op::Masked}}};
  for (const auto& [name, op] : kOps) {
    if (*text == name) return op;
  }
  error(v, k, path, fmt::format("expected ==, !=, <, <=, >, >= or masked, got {:?}", *text));
  return std::nullopt;
}

}  // namespace hutch::policy::detail
