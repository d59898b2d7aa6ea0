#include "util/fd.hpp"

#include <fcntl.h>
#include <unistd.h>

#include "util/error.hpp"

namespace hutch {

void UniqueFd::reset(int fd) noexcept {
  // close(2): never retry on EINTR, the fd is gone either way on Linux.
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

Pipe Pipe::create() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw_sys("pipe2", "");
  return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

}  // namespace hutch
