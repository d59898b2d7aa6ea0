#include "mount/api.hpp"

#include <fcntl.h>
#include <sys/mount.h>

#include <fmt/format.h>

#include "util/error.hpp"
#include "util/sys.hpp"

namespace hutch::mount {
namespace {

std::uint64_t attr_bits(const Attrs& a) {
  std::uint64_t bits = 0;
  if (a.readonly) bits |= MOUNT_ATTR_RDONLY;
  if (a.nosuid) bits |= MOUNT_ATTR_NOSUID;
  if (a.nodev) bits |= MOUNT_ATTR_NODEV;
  if (a.noexec) bits |= MOUNT_ATTR_NOEXEC;
  return bits;
}

// fsconfig(2) failures carry the filesystem's own explanation in the fs context's log;
// read it so "tmpfs: Bad value for 'size'" reaches the user instead of a bare EINVAL.
std::string fs_log(int fs_fd) {
  std::string out;
  char buf[512];
  for (;;) {
    const ssize_t n = ::read(fs_fd, buf, sizeof buf - 1);
    if (n <= 0) break;
    if (!out.empty()) out += "; ";
    out.append(buf, static_cast<std::size_t>(n));
    while (!out.empty() && out.back() == '\n') out.pop_back();
  }
  return out;
}

[[noreturn]] void throw_fs(int fs_fd, std::string_view op, std::string_view what) {
  const int err = errno;
  const std::string detail = fs_log(fs_fd);
  if (detail.empty()) throw_errno(err, op, what);
  throw Error(fmt::format("{} {}: {} [{}]", op, what, describe_errno(err), detail), err);
}

}  // namespace

UniqueFd clone_tree(int dirfd, std::string_view path, bool recursive, std::string_view what) {
  const std::string p(path);
  unsigned flags = OPEN_TREE_CLONE | AT_NO_AUTOMOUNT;
  if (recursive) flags |= AT_RECURSIVE;
  if (p.empty()) flags |= AT_EMPTY_PATH;
  const int fd = ::open_tree(dirfd, p.c_str(), flags | OPEN_TREE_CLOEXEC);
  if (fd < 0) throw_sys("clone mount", what);
  return UniqueFd(fd);
}

UniqueFd new_filesystem(std::string_view type, const std::vector<std::pair<std::string, std::string>>& options,
                        const Attrs& attrs, std::string_view what) {
  const std::string t(type);
  UniqueFd fs(::fsopen(t.c_str(), FSOPEN_CLOEXEC));
  if (!fs) throw_sys("fsopen", t);
  for (const auto& [key, value] : options) {
    const int rc = value.empty() ? ::fsconfig(fs.get(), FSCONFIG_SET_FLAG, key.c_str(), nullptr, 0)
                                 : ::fsconfig(fs.get(), FSCONFIG_SET_STRING, key.c_str(), value.c_str(), 0);
    if (rc != 0) throw_fs(fs.get(), fmt::format("{} option {}={} for", t, key, value), what);
  }
  if (::fsconfig(fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0) {
    throw_fs(fs.get(), fmt::format("mount {} on", t), what);
  }
  const int mnt = ::fsmount(fs.get(), FSMOUNT_CLOEXEC, static_cast<unsigned>(attr_bits(attrs)));
  if (mnt < 0) throw_fs(fs.get(), fmt::format("mount {} on", t), what);
  return UniqueFd(mnt);
}

void set_attrs(int mount_fd, const Attrs& attrs, bool recursive, std::string_view what) {
  mount_attr attr{};
  attr.attr_set = attr_bits(attrs);
  unsigned flags = AT_EMPTY_PATH;
  if (recursive) flags |= AT_RECURSIVE;
  if (::mount_setattr(mount_fd, "", flags, &attr, sizeof attr) != 0) {
    throw_sys(attrs.readonly ? "make read-only" : "set mount flags of", what);
  }
}

void attach(int mount_fd, int target_fd, std::string_view what) {
  if (::move_mount(mount_fd, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) != 0) {
    const int err = errno;
    if (err == ENOSPC) {
      throw Error(fmt::format("attach mount on {}: too many mounts (sysctl fs.mount-max)", what), err);
    }
    throw_errno(err, "attach mount on", what);
  }
}

}  // namespace hutch::mount
