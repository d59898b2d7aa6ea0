// Gathering the HostFacts a Plan is computed from. This is the supervisor's first step
// (launch sequence step 1): the root filesystem is opened and checked here, so a bad
// --rootfs fails before any namespace or process exists.
#pragma once

#include <string>

#include "runtime/plan.hpp"

namespace hutch::runtime {

// Throws Error ("rootfs /x: No such file or directory (ENOENT)") when rootfs is unusable.
HostFacts gather_host_facts(const std::string& rootfs);

// $XDG_DATA_HOME/hutch/rootfs/default, or ~/.local/share/hutch/rootfs/default.
std::string default_rootfs_path();

}  // namespace hutch::runtime
