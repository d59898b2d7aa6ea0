#include "policy/merge.hpp"

#include <algorithm>

namespace hutch::policy {

void merge_mount(std::vector<Mount>& mounts, const Mount& mount) {
  auto same = std::find_if(mounts.begin(), mounts.end(), [&](const Mount& m) { return m.target == mount.target; });
  if (same != mounts.end()) *same = mount;
  else mounts.push_back(mount);
}

namespace {

template <typename T>
void overlay(std::optional<T>& into, const std::optional<T>& from) {
  if (from) into = from;
}

void merge_limits(Limits& into, const Limits& from) {
  overlay(into.memory, from.memory);
  overlay(into.swap, from.swap);
  overlay(into.processes, from.processes);
  overlay(into.cpu_time, from.cpu_time);
  overlay(into.wall_time, from.wall_time);
  overlay(into.extra_time, from.extra_time);
  overlay(into.cpus_millis, from.cpus_millis);
  overlay(into.cpuset, from.cpuset);
  overlay(into.output, from.output);
  overlay(into.file_size, from.file_size);
  overlay(into.open_files, from.open_files);
  overlay(into.stack, from.stack);
}

// A list of names a child adds to (env_pass, preferred); `!reset` replaces it.
void add_names(std::vector<std::string>& into, const Patch<std::vector<std::string>>& from) {
  if (!from.present) return;
  if (from.reset) into.clear();
  for (const std::string& name : from.items) {
    if (std::find(into.begin(), into.end(), name) == into.end()) into.push_back(name);
  }
}

bool is_allow_entry(const seccomp::Rule& r) { return r.action.kind == seccomp::Action::Kind::Allow && r.args.empty(); }

// Rules are keyed by system call (or group) and conditions: a child's rule with the
// key of an inherited one replaces it, in place; new keys come after. `allow: !reset`
// drops the inherited plain allows, `rules: !reset` every other inherited rule.
void merge_seccomp(seccomp::Filter& into, const SeccompLayer& from) {
  if (from.default_action) into.default_action = *from.default_action;
  if (from.baseline) into.baseline = *from.baseline;
  std::erase_if(into.rules, [&](const seccomp::Rule& r) {
    return is_allow_entry(r) ? from.allow.reset : from.rules.reset;
  });
  for (const auto* list : {&from.allow.items, &from.rules.items}) {
    for (const seccomp::Rule& rule : *list) {
      auto same = std::find_if(into.rules.begin(), into.rules.end(), [&](const seccomp::Rule& r) { return r.same_key(rule); });
      if (same != into.rules.end()) *same = rule;
      else into.rules.push_back(rule);
    }
  }
}

}  // namespace

void apply_layer(Policy& p, const PolicyLayer& l) {
  if (l.description) p.description = *l.description;
  if (l.rootfs) p.rootfs = *l.rootfs;
  if (l.uid) p.user.uid = *l.uid;
  if (l.gid) p.user.gid = *l.gid;
  if (l.hostname) p.hostname = *l.hostname;
  if (l.nested_user_namespaces) p.nested_user_namespaces = *l.nested_user_namespaces;
  if (l.network) p.network = *l.network;
  if (l.mounts.present) {
    if (l.mounts.reset) {
      p.mounts.clear();
      p.mount_sys = false;
    }
    for (const Mount& m : l.mounts.items) merge_mount(p.mounts, m);
  }
  if (l.mount_sys) p.mount_sys = *l.mount_sys;
  if (l.env.present) {
    if (l.env.reset) p.env.clear();
    for (const auto& [key, value] : l.env.items) p.env[key] = value;
  }
  add_names(p.env_pass, l.env_pass);
  add_names(p.preferred, l.preferred);
  if (l.workdir) p.workdir = *l.workdir;
  if (l.init) p.init = *l.init;
  if (l.limits.present) {
    if (l.limits.reset) p.limits = Limits{};
    merge_limits(p.limits, l.limits.items);
  }
  merge_seccomp(p.seccomp, l.seccomp);
}

}  // namespace hutch::policy
