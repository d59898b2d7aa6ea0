// Thin wrappers over the syscalls hutch uses (STYLE.md section 4): EINTR is retried,
// failures throw hutch::Error naming the operation and path, and every fd comes back
// as a UniqueFd with O_CLOEXEC set. Raw ::syscall() appears only in sys.cpp.
#pragma once

#include <sys/types.h>

#include <cerrno>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "util/fd.hpp"

namespace hutch::sys {

// Retries fn() while it fails with EINTR; returns its last result.
template <typename Fn>
auto retry_eintr(Fn fn) {
  decltype(fn()) result;
  do {
    result = fn();
  } while (result == -1 && errno == EINTR);
  return result;
}

UniqueFd open(std::string_view path, int flags, mode_t mode = 0);
UniqueFd openat(int dirfd, std::string_view path, int flags, mode_t mode = 0);

// openat2(2): returns the fd or -errno, for callers to whom failure is an answer.
int try_openat2(int dirfd, std::string_view path, std::uint64_t flags, std::uint64_t resolve,
                std::uint64_t mode = 0);
// openat2(2) that throws "<op> <path>: <error>" on failure.
UniqueFd openat2(int dirfd, std::string_view path, std::uint64_t flags, std::uint64_t resolve,
                 std::string_view op);

struct CloneResult {
  pid_t pid = -1;   // 0 in the child
  UniqueFd pidfd;   // in the parent only
};
// clone3(2) with CLONE_PIDFD and SIGCHLD as exit signal; returns like fork(2). With
// cgroup_fd (a cgroup v2 directory) the child starts in that cgroup (CLONE_INTO_CGROUP).
// The caller must be single-threaded (the child continues on a copy of this stack).
CloneResult clone3_with_pidfd(std::uint64_t flags, int cgroup_fd = -1);

void pivot_root(const char* new_root, const char* put_old);

// landlock(7)'s calls as the kernel answers them (-1 and errno on failure; glibc 2.36
// has no wrappers). Async-signal-safe: restrict_self runs where nothing may allocate.
long landlock_create_ruleset(const void* attr, std::size_t size, std::uint32_t flags) noexcept;
long landlock_add_rule(int ruleset_fd, int rule_type, const void* attr, std::uint32_t flags) noexcept;
long landlock_restrict_self(int ruleset_fd, std::uint32_t flags) noexcept;

// Sends sig through the pidfd; a process that has already exited is not an error.
void pidfd_send_signal(int pidfd, int sig);

// Reads up to len bytes (EINTR retried); returns 0 at EOF; throws on error.
std::size_t read_some(int fd, void* buf, std::size_t len, std::string_view what);
// Writes everything (EINTR and short writes handled); throws on error.
void write_all(int fd, const void* buf, std::size_t len, std::string_view what);
void write_all(int fd, std::string_view data, std::string_view what);

// Reads a whole file (procfs and cgroupfs files, whose size stat cannot tell).
std::string read_file(std::string_view path);
// The same for a file that may be missing (a configuration file, a sysctl of another
// kernel): std::nullopt when it does not exist (ENOENT, ENOTDIR); throws on any other
// error. std::ifstream is not an option: libstdc++ opens without O_CLOEXEC.
std::optional<std::string> read_file_if_exists(std::string_view path);

// Writes a whole small file that must already exist (procfs knobs such as uid_map).
void write_file(int dirfd, std::string_view path, std::string_view content);

}  // namespace hutch::sys
