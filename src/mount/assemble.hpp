// Building the sandbox's root: the root filesystem itself (a read-only bind of --rootfs,
// or an overlay over it when mount points must be created), the ordered mount steps of
// the Plan, and the switch into it with pivot_root(2).
//
// Everything here runs in the child, inside its new user and mount namespaces, before
// pivot_root; nothing here can touch the host's mount table, which the child no longer
// shares.
#pragma once

#include <span>
#include <vector>

#include "mount/spec.hpp"
#include "util/fd.hpp"

namespace hutch::mount {

// O_PATH fds of every host path the run mounts, opened (and checked against what the
// supervisor found) before anything is mounted: a mount of ours can then never hide or
// replace a source, not even the staging area on top of --rootfs.
struct Sources {
  UniqueFd rootfs;
  std::vector<UniqueFd> binds;  // binds[i] for steps[i] when it binds a host path
};

struct Root {
  UniqueFd fd;       // the root mount of the sandbox, attached
  bool overlay = false;
};

// runs in: child, before pivot_root
void make_private_recursive();
// runs in: child, before pivot_root and before any other mount
Sources open_sources(const RootPlan& root, std::span<const MountStep> steps);
// runs in: child, before pivot_root
Root prepare_root(const RootPlan& plan, const Sources& sources);
// runs in: child, before pivot_root
void apply_steps(int root_fd, std::span<const MountStep> steps, const Sources& sources);
// runs in: child, before pivot_root; seals an overlay root read-only once populated
void finish_root(const Root& root);
// runs in: child; afterwards "/" is the sandbox's root and the old root is detached
void pivot_into(int root_fd);

}  // namespace hutch::mount
