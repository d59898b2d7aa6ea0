#include "util/sys.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <linux/sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include <fmt/format.h>

#include "util/error.hpp"

namespace hutch::sys {

UniqueFd open(std::string_view path, int flags, mode_t mode) {
  return openat(AT_FDCWD, path, flags, mode);
}

UniqueFd openat(int dirfd, std::string_view path, int flags, mode_t mode) {
  const std::string p(path);
  const int fd = retry_eintr([&] { return ::openat(dirfd, p.c_str(), flags | O_CLOEXEC, mode); });
  if (fd < 0) throw_sys("open", p);
  return UniqueFd(fd);
}

int try_openat2(int dirfd, std::string_view path, std::uint64_t flags, std::uint64_t resolve,
                std::uint64_t mode) {
  const std::string p(path);
  open_how how{};
  how.flags = flags | O_CLOEXEC;
  how.mode = mode;
  how.resolve = resolve;
  const long fd = retry_eintr([&] { return ::syscall(SYS_openat2, dirfd, p.c_str(), &how, sizeof how); });
  return fd < 0 ? -errno : static_cast<int>(fd);
}

UniqueFd openat2(int dirfd, std::string_view path, std::uint64_t flags, std::uint64_t resolve,
                 std::string_view op) {
  const int fd = try_openat2(dirfd, path, flags, resolve);
  if (fd < 0) throw_errno(-fd, op, path);
  return UniqueFd(fd);
}

CloneResult clone3_with_pidfd(std::uint64_t flags, int cgroup_fd) {
  int pidfd = -1;
  clone_args args{};
  args.flags = flags | CLONE_PIDFD;
  args.pidfd = reinterpret_cast<std::uint64_t>(&pidfd);
  args.exit_signal = SIGCHLD;
  if (cgroup_fd >= 0) {
    args.flags |= CLONE_INTO_CGROUP;
    args.cgroup = static_cast<std::uint64_t>(cgroup_fd);
  }
  const long pid = ::syscall(SYS_clone3, &args, sizeof args);
  if (pid < 0) {
    const int err = errno;
    // The target cgroup refuses the child: not this user's, or it enables controllers
    // for children (a cgroup v2 with processes cannot), or the kernel predates 5.7.
    if (cgroup_fd >= 0 && (err == EACCES || err == EBUSY || err == EOPNOTSUPP || err == ENOENT)) {
      throw Error(fmt::format("clone3 into the run's cgroup v2 (CLONE_INTO_CGROUP): {}", describe_errno(err)), err);
    }
    if (err == EPERM && (flags & CLONE_NEWUSER) != 0) {
      throw Error(
          "clone3: creating a user namespace was refused (Operation not permitted, EPERM): "
          "unprivileged user namespaces are disabled here; check the sysctls "
          "kernel.unprivileged_userns_clone and user.max_user_namespaces, or an AppArmor "
          "restriction (kernel.apparmor_restrict_unprivileged_userns); `hutch doctor` explains",
          err);
    }
    if (err == ENOSPC || err == EUSERS) {
      throw Error(fmt::format("clone3: too many user namespaces or processes ({}); "
                              "see sysctl user.max_user_namespaces",
                              describe_errno(err)),
                  err);
    }
    throw_errno(err, "clone3", "");
  }
  CloneResult result;
  result.pid = static_cast<pid_t>(pid);
  if (pid > 0) result.pidfd = UniqueFd(pidfd);
  return result;
}

void pivot_root(const char* new_root, const char* put_old) {
  if (::syscall(SYS_pivot_root, new_root, put_old) != 0) throw_sys("pivot_root", new_root);
}

long landlock_create_ruleset(const void* attr, std::size_t size, std::uint32_t flags) noexcept {
  return ::syscall(SYS_landlock_create_ruleset, attr, size, flags);
}

long landlock_add_rule(int ruleset_fd, int rule_type, const void* attr, std::uint32_t flags) noexcept {
  return ::syscall(SYS_landlock_add_rule, ruleset_fd, rule_type, attr, flags);
}

long landlock_restrict_self(int ruleset_fd, std::uint32_t flags) noexcept {
  return ::syscall(SYS_landlock_restrict_self, ruleset_fd, flags);
}

void pidfd_send_signal(int pidfd, int sig) {
  // Raw syscall: glibc 2.36's <sys/pidfd.h> lacks extern "C" and cannot be linked from C++.
  if (::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0) != 0 && errno != ESRCH) {
    throw_sys("pidfd_send_signal", ::sigabbrev_np(sig) ? ::sigabbrev_np(sig) : "?");
  }
}

std::size_t read_some(int fd, void* buf, std::size_t len, std::string_view what) {
  const ssize_t n = retry_eintr([&] { return ::read(fd, buf, len); });
  if (n < 0) throw_sys("read", what);
  return static_cast<std::size_t>(n);
}

void write_all(int fd, const void* buf, std::size_t len, std::string_view what) {
  const char* p = static_cast<const char*>(buf);
  while (len > 0) {
    const ssize_t n = retry_eintr([&] { return ::write(fd, p, len); });
    if (n < 0) throw_sys("write", what);
    p += n;
    len -= static_cast<std::size_t>(n);
  }
}

void write_all(int fd, std::string_view data, std::string_view what) {
  write_all(fd, data.data(), data.size(), what);
}

namespace {

std::string read_all(int fd, std::string_view path) {
  std::string text;
  char buf[65536];
  while (std::size_t n = read_some(fd, buf, sizeof buf, path)) text.append(buf, n);
  return text;
}

}  // namespace

std::string read_file(std::string_view path) {
  const UniqueFd fd = open(path, O_RDONLY);
  return read_all(fd.get(), path);
}

std::optional<std::string> read_file_if_exists(std::string_view path) {
  const std::string p(path);
  const UniqueFd fd(retry_eintr([&] { return ::open(p.c_str(), O_RDONLY | O_CLOEXEC); }));
  if (!fd) {
    if (errno == ENOENT || errno == ENOTDIR) return std::nullopt;
    throw_sys("open", p);
  }
  return read_all(fd.get(), p);
}

void write_file(int dirfd, std::string_view path, std::string_view content) {
  UniqueFd fd = openat(dirfd, path, O_WRONLY);
  // Files in /proc such as uid_map must be written with a single write(2).
  const ssize_t n = retry_eintr([&] { return ::write(fd.get(), content.data(), content.size()); });
  if (n < 0) throw_sys("write", path);
  if (static_cast<std::size_t>(n) != content.size()) throw Error(fmt::format("write {}: short write", path), EIO);
}

}  // namespace hutch::sys
