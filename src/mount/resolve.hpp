// Resolving paths inside the new root without ever leaving it.
//
// SECURITY: the root filesystem may be hostile: any component of a mount target can be
// a symlink such as /proc -> /../../etc. Every lookup goes through openat2(2) with
// RESOLVE_IN_ROOT (".." and absolute symlinks stop at the new root, as in a chroot) and
// RESOLVE_NO_MAGICLINKS (no /proc/self/fd jumps), starting from an fd of the new root,
// and the mount is then attached to the resulting fd (move_mount), never to a string.
#pragma once

#include <string_view>

#include "util/fd.hpp"

namespace hutch::mount {

// O_PATH fd of `path` (absolute, normalized) inside root_fd; -errno when it fails.
// With no_symlinks, any symlink on the way fails with -ELOOP.
int try_open_in_root(int root_fd, std::string_view path, bool no_symlinks = false);

// O_PATH fd of the mount point `path` inside root_fd, creating it (a directory, or an
// empty file when !directory) and any missing parents with mode 0755 when absent.
// Throws when it exists with the wrong type, cannot be created, or (no_symlinks) a
// symlink lies on the way.
UniqueFd ensure_mount_point(int root_fd, std::string_view path, bool directory, bool no_symlinks = false);

}  // namespace hutch::mount
