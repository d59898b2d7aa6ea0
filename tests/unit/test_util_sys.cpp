#include <fcntl.h>

#include <catch2/catch.hpp>

#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/sys.hpp"

namespace {

bool is_cloexec(int fd) {
  const int flags = ::fcntl(fd, F_GETFD);
  return flags >= 0 && (flags & FD_CLOEXEC) != 0;
}

}  // namespace

TEST_CASE("sys: every fd the wrappers open is close-on-exec", "[unit][sys]") {
  const hutch::UniqueFd plain = hutch::sys::open("/dev/null", O_RDONLY);
  CHECK(is_cloexec(plain.get()));
  const hutch::UniqueFd at = hutch::sys::openat(AT_FDCWD, "/dev/null", O_WRONLY);
  CHECK(is_cloexec(at.get()));
  const hutch::UniqueFd resolved = hutch::sys::openat2(AT_FDCWD, "/dev/null", O_RDONLY, 0, "open");
  CHECK(is_cloexec(resolved.get()));
  const hutch::Pipe pipe = hutch::Pipe::create();
  CHECK(is_cloexec(pipe.read.get()));
  CHECK(is_cloexec(pipe.write.get()));
}

TEST_CASE("sys: read_file_if_exists tells a missing file from an unreadable one", "[unit][sys]") {
  CHECK(hutch::sys::read_file_if_exists("/proc/self/no-such-file") == std::nullopt);
  CHECK(hutch::sys::read_file_if_exists("/dev/null/below-a-file") == std::nullopt);  // ENOTDIR
  CHECK(hutch::sys::read_file_if_exists("/dev/null") == std::string());
  CHECK(hutch::sys::read_file_if_exists("/proc/self/comm").value_or("").ends_with("\n"));
  // A directory opens, but read(2) fails with EISDIR: an error, not a missing file.
  CHECK_THROWS_WITH(hutch::sys::read_file_if_exists("/proc"), Catch::Matchers::Contains("EISDIR"));
}
