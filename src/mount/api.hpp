// The new mount API (open_tree, fsopen/fsconfig/fsmount, mount_setattr, move_mount;
// Linux 5.12+), wrapped to throw hutch::Error. Everything works on fds: a mount is
// built detached, given its flags, and only then attached to a target that was itself
// resolved as an fd inside the new root, so no path string is ever re-resolved.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/fd.hpp"

namespace hutch::mount {

struct Attrs {
  bool readonly = false;
  bool nosuid = true;
  bool nodev = true;
  bool noexec = false;
};

// A detached copy of the mount tree at dirfd/path (AT_EMPTY_PATH when path is empty).
UniqueFd clone_tree(int dirfd, std::string_view path, bool recursive, std::string_view what);

// A detached new filesystem: fsopen(type) + fsconfig(options) + fsmount(attrs).
// Options with an empty value are flags (FSCONFIG_SET_FLAG).
UniqueFd new_filesystem(std::string_view type, const std::vector<std::pair<std::string, std::string>>& options,
                        const Attrs& attrs, std::string_view what);

// mount_setattr(2) on the mount whose root is mount_fd. Flags are only ever added:
// flags the kernel locked (inherited from a more privileged namespace) stay as they are.
void set_attrs(int mount_fd, const Attrs& attrs, bool recursive, std::string_view what);

// move_mount(2): attach the detached mount_fd on top of target_fd.
void attach(int mount_fd, int target_fd, std::string_view what);

}  // namespace hutch::mount
