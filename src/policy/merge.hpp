// `extends`: layers applied from the root of the chain down onto the defaults.
//
// Merge rules (docs/policy.md): a scalar the child sets replaces the parent's; maps
// (user, namespaces, env, limits) merge key by key; `mounts` are merged by target (a child's
// mount replaces the parent's at the same target, new targets are added after the
// parent's); `env_pass` and `preferred` names are added. A list or map tagged `!reset` replaces what
// the parents gave instead (`mounts: !reset []` clears them).
#pragma once

#include "policy/layer.hpp"
#include "policy/schema.hpp"

namespace hutch::policy {

void apply_layer(Policy& policy, const PolicyLayer& layer);

// A mount of a later source (a child layer, the command line) replaces an earlier one
// at the same target; otherwise it is added at the end.
void merge_mount(std::vector<Mount>& mounts, const Mount& mount);

}  // namespace hutch::policy
