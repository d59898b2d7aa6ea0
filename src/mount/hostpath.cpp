#include "mount/hostpath.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include "util/error.hpp"
#include "util/sys.hpp"

namespace hutch::mount {
namespace {

struct stat stat_fd(int fd, std::string_view what, std::string_view path) {
  struct stat st{};
  if (::fstat(fd, &st) != 0) throw_sys(fmt::format("stat {}", what), path);
  return st;
}

}  // namespace

std::pair<HostPath, bool> find_host_path(std::string_view path, std::string_view what) {
  const std::string p(path);
  UniqueFd fd(::open(p.c_str(), O_PATH | O_CLOEXEC));
  if (!fd) throw_sys(what, path);
  // proc(5): /proc/self/fd/N names the file by its canonical path, symlinks resolved.
  char buf[4096];
  const std::string link = fmt::format("/proc/self/fd/{}", fd.get());
  const ssize_t n = ::readlink(link.c_str(), buf, sizeof buf);
  if (n < 0) throw_sys("readlink", link);
  if (static_cast<std::size_t>(n) == sizeof buf) throw Error(fmt::format("{} {}: path too long", what, path), ENAMETOOLONG);
  const std::string canonical(buf, static_cast<std::size_t>(n));
  // Pipes and sockets name themselves "pipe:[123]": nothing a path can find again.
  if (canonical.empty() || canonical.front() != '/') {
    throw Error(fmt::format("{} {}: not a file or directory that has a path ({})", what, path, canonical), EINVAL);
  }
  const struct stat st = stat_fd(fd.get(), what, path);
  if (!S_ISDIR(st.st_mode) && st.st_nlink == 0) {
    throw Error(fmt::format("{} {}: the file has been deleted", what, path), ENOENT);
  }
  HostPath host{canonical, st.st_dev, st.st_ino};
  // The canonical path must lead back here in this mount namespace: a path through
  // /proc/PID/root names a file of another namespace by a path that does not.
  const UniqueFd again(sys::try_openat2(AT_FDCWD, canonical, O_PATH, RESOLVE_NO_SYMLINKS));
  struct stat st_again{};
  const bool same = again.valid() && ::fstat(again.get(), &st_again) == 0 && st_again.st_dev == st.st_dev &&
                    st_again.st_ino == st.st_ino;
  if (!same) {
    throw Error(fmt::format("{} {}: it cannot be reached by a plain path from here (through /proc/PID/root, or "
                            "in another mount namespace?)",
                            what, path),
                EXDEV);
  }
  return {std::move(host), S_ISDIR(st.st_mode)};
}

UniqueFd open_host_path(const HostPath& host, std::string_view what) {
  const std::uint64_t resolve = host.ino != 0 ? RESOLVE_NO_SYMLINKS : 0;
  const int fd = sys::try_openat2(AT_FDCWD, host.path, O_PATH, resolve);
  if (fd == -ELOOP) {
    throw Error(fmt::format("{} {}: a symlink appeared on the way since hutch checked it", what, host.path), ELOOP);
  }
  if (fd < 0) throw_errno(-fd, what, host.path);
  UniqueFd result(fd);
  if (host.ino != 0) {
    const struct stat st = stat_fd(fd, what, host.path);
    if (st.st_dev != host.dev || st.st_ino != host.ino) {
      throw Error(fmt::format("{} {}: replaced by another file since hutch checked it", what, host.path), ESTALE);
    }
  }
  return result;
}

}  // namespace hutch::mount
