// hutch::Error is the one exception type of hutch (STYLE.md section 3).
//
// A failure carries a human message ("bind-mount /a -> /b: Permission denied (EACCES)")
// and, when a syscall failed, its errno. Module boundaries prepend context
// ("assembling root: ..."), so the user reads one line from the outermost step to the
// syscall that failed.
#pragma once

#include <exception>
#include <string>
#include <string_view>

namespace hutch {

class Error : public std::exception {
 public:
  explicit Error(std::string message, int sys_errno = 0);

  int sys_errno() const noexcept { return errno_; }
  const std::string& message() const noexcept { return message_; }
  void prepend(std::string_view context);
  const char* what() const noexcept override { return message_.c_str(); }

 private:
  std::string message_;
  int errno_;
};

// "No such file or directory (ENOENT)"; never empty, safe for any value.
std::string describe_errno(int err);

// Throws Error("<op> <what>: <strerror> (<NAME>)", errno). Reads errno first.
[[noreturn]] void throw_sys(std::string_view op, std::string_view what);
// Same with an explicit errno (for calls that return it instead of setting errno).
[[noreturn]] void throw_errno(int err, std::string_view op, std::string_view what);

}  // namespace hutch
