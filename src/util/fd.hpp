// Owning wrappers for file descriptors (STYLE.md section 4).
//
// UniqueFd closes what it owns; release() is for the rare place where ownership really
// passes on (to dup2 onto 0-2, or into an SCM_RIGHTS message). Every fd hutch opens is
// O_CLOEXEC, so nothing leaks into the payload by accident.
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
