// Host paths a run mounts (the root filesystem, bind sources), found once by the
// supervisor and opened again, unchanged, by the child.
//
// SECURITY: between the two, a directory on the way could be swapped for a symlink by
// anyone who can write it (another sandbox with that directory bound writable, say).
// The supervisor records the canonical path and the inode; the child opens that path
// with RESOLVE_NO_SYMLINKS and refuses anything but the same inode.
#pragma once

#include <string_view>
#include <utility>

#include "mount/spec.hpp"
#include "util/fd.hpp"

namespace hutch::mount {

// runs in: supervisor. Follows symlinks as the caller meant them; returns the canonical
// path with its inode, and whether it is a directory. Throws "<what> <path>: <errno>".
std::pair<HostPath, bool> find_host_path(std::string_view path, std::string_view what);

// runs in: child, before it mounts anything. An O_PATH fd of exactly what the
// supervisor found. Throws when it moved or changed.
UniqueFd open_host_path(const HostPath& host, std::string_view what);

}  // namespace hutch::mount
