// Building the sandbox's root: the root filesystem itself (a read-only bind of --rootfs,
// or an overlay over it when mount points must be created), the ordered mount steps of
// the Plan, and the switch into it with pivot_root(2).
//
// Everything here runs in the child, inside its new user and mount namespaces, before
// pivot_root; nothing here can touch the host's mount table, which the child no longer
// shares.
#pragma once

#include <span>

#include "mount/spec.hpp"
#include "util/fd.hpp"

namespace hutch::mount {

struct Root {
  UniqueFd fd;       // the root mount of the sandbox, attached
  bool overlay = false;
};

// runs in: child, before pivot_root
void make_private_recursive();
// runs in: child, before pivot_root
Root prepare_root(const RootPlan& plan);
// runs in: child, before pivot_root
void apply_steps(int root_fd, std::span<const MountStep> steps);
// runs in: child, before pivot_root; seals an overlay root read-only once populated
void finish_root(const Root& root);
// runs in: child; afterwards "/" is the sandbox's root and the old root is detached
void pivot_into(int root_fd);

}  // namespace hutch::mount
