#include "policy/merge.hpp"

#include <algorithm>

namespace hutch::policy {

void merge_mount(std::vector<Mount>& mounts, const Mount& mount) {
  auto same = std::find_if(mounts.begin(), mounts.end(), [&](const Mount& m) { return m.target == mount.target; });
  if (same != mounts.end()) *same = mount;
  else mounts.push_back(mount);
}

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
  if (l.env_pass.present) {
    if (l.env_pass.reset) p.env_pass.clear();
    for (const std::string& name : l.env_pass.items) {
      if (std::find(p.env_pass.begin(), p.env_pass.end(), name) == p.env_pass.end()) p.env_pass.push_back(name);
    }
  }
  if (l.workdir) p.workdir = *l.workdir;
  if (l.init) p.init = *l.init;
}

}  // namespace hutch::policy
