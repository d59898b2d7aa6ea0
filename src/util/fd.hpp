// Owning wrappers for file descriptors (STYLE.md section 4).
//
// UniqueFd closes what it owns; release() is for the rare place where ownership really
// passes on (to dup2 onto 0-2, or into an SCM_RIGHTS message). Every fd hutch opens is
// O_CLOEXEC, so nothing leaks into the payload by accident.
//
// SECURITY: close-on-exec is checked statically by clang-tidy's android-cloexec-*
// checks (scripts/tidy: open, openat, pipe, pipe2, dup, accept, accept4, fopen, epoll,
// inotify, memfd_create, creat), and for the rest by a grep in scripts/tidy that wants
// the flag on the line of the call. What clang-tidy cannot see, and how each gets it:
//   socket, socketpair: SOCK_CLOEXEC (android-cloexec-socket is silent when the type is
//   glibc's SOCK_* enum) · openat2: how.flags |= O_CLOEXEC in sys.cpp, the only caller
//   fcntl: F_DUPFD_CLOEXEC only · signalfd: SFD_CLOEXEC · ioctl(TIOCGPTPEER): O_CLOEXEC
//   fsopen, fsmount, open_tree: FSOPEN_CLOEXEC, FSMOUNT_CLOEXEC, OPEN_TREE_CLOEXEC
//   recvmsg with SCM_RIGHTS: MSG_CMSG_CLOEXEC · opendir: glibc opens with O_CLOEXEC
//   always close-on-exec by the kernel: clone3's CLONE_PIDFD, the seccomp listener
//   (SECCOMP_FILTER_FLAG_NEW_LISTENER), pidfd_open, pidfd_getfd
//   never std::ifstream/ofstream: libstdc++ opens without O_CLOEXEC (sys::read_file)
// dup2 clears the flag on its copy: it is used only to make fds 0-2, which must survive
// execve. The payload also marks every fd above 2 close-on-exec (close_range) before
// execve, so a missed flag in init cannot reach the command either.
#pragma once

#include <utility>

namespace hutch {

class UniqueFd {
 public:
  UniqueFd() noexcept = default;
  explicit UniqueFd(int fd) noexcept : fd_(fd) {}
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  ~UniqueFd() { reset(); }

  int get() const noexcept { return fd_; }
  bool valid() const noexcept { return fd_ >= 0; }
  explicit operator bool() const noexcept { return valid(); }
  int release() noexcept { return std::exchange(fd_, -1); }
  void reset(int fd = -1) noexcept;

 private:
  int fd_ = -1;
};

// A pipe whose both ends are O_CLOEXEC.
struct Pipe {
  UniqueFd read;
  UniqueFd write;
  static Pipe create();  // throws Error
};

}  // namespace hutch
