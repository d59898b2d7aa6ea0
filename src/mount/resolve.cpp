#include "mount/resolve.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include <fmt/format.h>

#include "util/error.hpp"
#include "util/path.hpp"
#include "util/sys.hpp"

namespace hutch::mount {
namespace {

constexpr std::uint64_t kResolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;

// openat2 wants a relative path for "inside the root"; "." is the root itself.
std::string relative(std::string_view path) {
  std::string rel(path.substr(path.find_first_not_of('/') == std::string_view::npos ? path.size()
                                                                                      : path.find_first_not_of('/')));
  return rel.empty() ? "." : rel;
}

bool is_directory(int fd) {
  struct stat st{};
  if (::fstat(fd, &st) != 0) throw_sys("stat", "mount point");
  return S_ISDIR(st.st_mode);
}

[[noreturn]] void cannot_create(int err, std::string_view path) {
  if (err == EROFS) {
    throw Error(fmt::format("create mount point {}: {}; its parent is read-only here (hutch never writes "
                            "into --rootfs or a read-only bind)",
                            path, describe_errno(err)),
                err);
  }
  if (err == EEXIST) {
    throw Error(fmt::format("create mount point {}: a symlink or file is in the way ({})", path,
                            describe_errno(err)),
                err);
  }
  throw_errno(err, "create mount point", path);
}

void create_one(int parent_fd, std::string_view name, bool directory, std::string_view full) {
  const std::string n(name);
  if (directory) {
    if (::mkdirat(parent_fd, n.c_str(), 0755) != 0 && errno != EEXIST) cannot_create(errno, full);
    return;
  }
  const UniqueFd created(::openat(parent_fd, n.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
  if (!created) cannot_create(errno, full);
}

}  // namespace

int try_open_in_root(int root_fd, std::string_view path, bool no_symlinks) {
  return sys::try_openat2(root_fd, relative(path), O_PATH, kResolve | (no_symlinks ? RESOLVE_NO_SYMLINKS : 0));
}

UniqueFd ensure_mount_point(int root_fd, std::string_view path, bool directory, bool no_symlinks) {
  auto open_checked = [&](std::string_view p) {
    const int r = try_open_in_root(root_fd, p, no_symlinks);
    if (r == -ELOOP && no_symlinks) {
      throw Error(fmt::format("mount point {}: a symlink in the root filesystem is on the way; hutch mounts "
                              "/proc, /dev, /tmp and /sys only on real directories",
                              p),
                  ELOOP);
    }
    return r;
  };
  int fd = open_checked(path);
  if (fd == -ENOENT) {
    // Walk down from the root, resolving every prefix from the root again so that each
    // one is confined by RESOLVE_IN_ROOT, and create what is missing.
    UniqueFd parent = sys::openat2(root_fd, ".", O_PATH, kResolve, "open root");
    std::string prefix;
    const auto parts = path::components(path);
    for (std::size_t i = 0; i < parts.size(); ++i) {
      prefix += '/';
      prefix += parts[i];
      const bool last = i + 1 == parts.size();
      int next = open_checked(prefix);
      if (next == -ENOENT) {
        create_one(parent.get(), parts[i], last ? directory : true, prefix);
        next = open_checked(prefix);
        if (next == -ENOENT) {
          throw Error(fmt::format("open mount point {}: it is a symlink to a path missing from the root "
                                  "filesystem (links are resolved inside the root)",
                                  prefix),
                      ENOENT);
        }
      }
      if (next < 0) throw_errno(-next, "open mount point", prefix);
      parent.reset(next);
    }
    return parent;
  }
  if (fd < 0) throw_errno(-fd, "open mount point", path);
  UniqueFd result(fd);
  if (is_directory(fd) != directory) {
    throw Error(fmt::format("mount point {} is {}, but what is mounted there is {}", path,
                            directory ? "not a directory" : "a directory", directory ? "a directory" : "a file"),
                directory ? ENOTDIR : EISDIR);
  }
  return result;
}

}  // namespace hutch::mount
