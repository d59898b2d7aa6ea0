// Free text (descriptions, host paths, environment values) is always written double
// quoted: yaml-cpp then escapes control characters, which a plain scalar would lose.
#include "policy/emit.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>

#include <fmt/format.h>

#include "util/units.hpp"

namespace hutch::policy {
namespace {

const char* network_name(Network n) {
  switch (n) {
    case Network::None: return "none";
    case Network::Loopback: return "loopback";
    case Network::Host: return "host";
  }
  return "none";
}

void emit_mount(YAML::Emitter& out, const Mount& m) {
  out << YAML::Flow << YAML::BeginMap;
  if (m.type == MountType::Tmpfs) {
    out << YAML::Key << "type" << YAML::Value << "tmpfs" << YAML::Key << "target" << YAML::Value << m.target;
    if (m.size) out << YAML::Key << "size" << YAML::Value << units::format_size(*m.size);
    if (m.mode) out << YAML::Key << "mode" << YAML::Value << YAML::DoubleQuoted << fmt::format("{:04o}", *m.mode);
  } else {
    out << YAML::Key << "type" << YAML::Value << "bind" << YAML::Key << "source" << YAML::Value << YAML::DoubleQuoted
        << m.source
        << YAML::Key << "target" << YAML::Value << m.target << YAML::Key << "readonly" << YAML::Value
        << m.readonly;
    if (m.optional) out << YAML::Key << "optional" << YAML::Value << true;
  }
  out << YAML::EndMap;
}

void emit_limits(YAML::Emitter& out, const Limits& l) {
  out << YAML::Key << "limits" << YAML::Value;
  if (!l.any()) out << YAML::Flow;  // `limits: {}`: none
  out << YAML::BeginMap;
  const auto size = [&](const char* key, const std::optional<std::uint64_t>& v) {
    if (v) out << YAML::Key << key << YAML::Value << units::format_size(*v);
  };
  const auto duration = [&](const char* key, const std::optional<std::chrono::milliseconds>& v) {
    if (v) out << YAML::Key << key << YAML::Value << units::format_duration(*v);
  };
  const auto count = [&](const char* key, const std::optional<std::uint64_t>& v) {
    if (v) out << YAML::Key << key << YAML::Value << *v;
  };
  size("memory", l.memory);
  size("swap", l.swap);
  count("processes", l.processes);
  duration("cpu_time", l.cpu_time);
  duration("wall_time", l.wall_time);
  duration("extra_time", l.extra_time);
  if (l.cpus_millis) {
    std::string cpus = fmt::format("{}.{:03}", *l.cpus_millis / 1000, *l.cpus_millis % 1000);
    while (cpus.back() == '0') cpus.pop_back();
    if (cpus.back() == '.') cpus.pop_back();
    out << YAML::Key << "cpus" << YAML::Value << cpus;
  }
  if (l.cpuset) out << YAML::Key << "cpuset" << YAML::Value << YAML::DoubleQuoted << *l.cpuset;
  size("output", l.output);
  size("file_size", l.file_size);
  count("open_files", l.open_files);
  size("stack", l.stack);
  out << YAML::EndMap;
}

void emit_condition(YAML::Emitter& out, const seccomp::Condition& c) {
  const auto text = [](const std::string& written, std::uint64_t value) {
    return written.empty() ? fmt::format("{:#x}", value) : written;
  };
  out << YAML::Flow << YAML::BeginMap << YAML::Key << "arg" << YAML::Value << c.arg << YAML::Key << "op"
      << YAML::Value << YAML::DoubleQuoted << seccomp::format_op(c.op);
  if (c.op == seccomp::Op::Masked) {
    out << YAML::Key << "mask" << YAML::Value << YAML::DoubleQuoted << text(c.mask_text, c.mask);
  }
  out << YAML::Key << "value" << YAML::Value << YAML::DoubleQuoted << text(c.value_text, c.value) << YAML::EndMap;
}

void emit_seccomp(YAML::Emitter& out, const seccomp::Filter& f) {
  out << YAML::Key << "seccomp" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "default" << YAML::Value << seccomp::format_action(f.default_action);
  out << YAML::Key << "baseline" << YAML::Value << seccomp::format_action(f.baseline);
  const auto plain_allow = [](const seccomp::Rule& r) {
    return r.action.kind == seccomp::Action::Kind::Allow && r.args.empty();
  };
  // `!reset`: the resolved lists are complete; read back, they must not be added to the
  // defaults (whose allow list is not empty: "@known").
  out << YAML::Key << "allow" << YAML::Value << YAML::LocalTag("reset") << YAML::Flow << YAML::BeginSeq;
  for (const seccomp::Rule& r : f.rules) {
    if (plain_allow(r)) out << YAML::DoubleQuoted << r.syscall;
  }
  out << YAML::EndSeq;
  out << YAML::Key << "rules" << YAML::Value << YAML::LocalTag("reset");
  const bool any_rule = std::any_of(f.rules.begin(), f.rules.end(), [&](const auto& r) { return !plain_allow(r); });
  if (!any_rule) out << YAML::Flow;
  out << YAML::BeginSeq;
  for (const seccomp::Rule& r : f.rules) {
    if (plain_allow(r)) continue;
    out << YAML::Flow << YAML::BeginMap << YAML::Key << "syscall" << YAML::Value << YAML::DoubleQuoted << r.syscall
        << YAML::Key << "action" << YAML::Value << seccomp::format_action(r.action);
    if (!r.args.empty()) {
      out << YAML::Key << "args" << YAML::Value << YAML::Flow << YAML::BeginSeq;
      for (const seccomp::Condition& c : r.args) emit_condition(out, c);
      out << YAML::EndSeq;
    }
    out << YAML::EndMap;
  }
  out << YAML::EndSeq << YAML::EndMap;
}

}  // namespace

std::string emit_policy(const Policy& p, const std::string& header_comment) {
  YAML::Emitter out;
  out.SetBoolFormat(YAML::TrueFalseBool);
  if (!header_comment.empty()) out << YAML::Comment(header_comment) << YAML::Newline;
  out << YAML::BeginMap;
  out << YAML::Key << "version" << YAML::Value << 1;
  if (!p.description.empty()) out << YAML::Key << "description" << YAML::Value << YAML::DoubleQuoted << p.description;
  if (p.rootfs) {
    out << YAML::Key << "rootfs" << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::Key << "path" << YAML::Value
        << YAML::DoubleQuoted << *p.rootfs << YAML::EndMap;
  }
  out << YAML::Key << "user" << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::Key << "uid" << YAML::Value
      << p.user.uid << YAML::Key << "gid" << YAML::Value << p.user.gid << YAML::EndMap;
  out << YAML::Key << "hostname" << YAML::Value << p.hostname;
  out << YAML::Key << "namespaces" << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::Key << "nested_user"
      << YAML::Value << p.nested_user_namespaces << YAML::EndMap;
  out << YAML::Key << "network" << YAML::Value << network_name(p.network);
  out << YAML::Key << "mounts" << YAML::Value << YAML::BeginSeq;
  for (const Mount& m : p.mounts) emit_mount(out, m);
  if (p.mount_sys) {
    out << YAML::Flow << YAML::BeginMap << YAML::Key << "type" << YAML::Value << "sysfs" << YAML::Key << "target"
        << YAML::Value << "/sys" << YAML::EndMap;
  }
  out << YAML::EndSeq;
  out << YAML::Key << "env" << YAML::Value << YAML::BeginMap;
  for (const auto& [key, value] : p.env) out << YAML::Key << key << YAML::Value << YAML::DoubleQuoted << value;
  out << YAML::EndMap;
  out << YAML::Key << "env_pass" << YAML::Value << YAML::Flow << YAML::BeginSeq;
  for (const std::string& name : p.env_pass) out << name;
  out << YAML::EndSeq;
  out << YAML::Key << "workdir" << YAML::Value << p.workdir.value_or("/");
  out << YAML::Key << "init" << YAML::Value << p.init;
  emit_limits(out, p.limits);
  out << YAML::Key << "preferred" << YAML::Value << YAML::Flow << YAML::BeginSeq;
  for (const std::string& name : p.preferred) out << name;
  out << YAML::EndSeq;
  emit_seccomp(out, p.seccomp);
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace hutch::policy
