// find_host_path / open_host_path on a scratch directory: plain files, no privilege.
#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>

#include "mount/hostpath.hpp"
#include "util/error.hpp"

namespace fs = std::filesystem;
using hutch::mount::find_host_path;
using hutch::mount::open_host_path;
using Catch::Matchers::EndsWith;
using Catch::Matchers::Equals;

namespace {

struct Scratch {
  fs::path dir;
  Scratch() {
    char tmpl[] = "/tmp/hutch-unit-XXXXXX";
    dir = ::mkdtemp(tmpl);
  }
  ~Scratch() { fs::remove_all(dir); }
};

}  // namespace

TEST_CASE("hostpath: symlinks are followed when found, and the canonical path is kept", "[unit][hostpath]") {
  Scratch s;
  fs::create_directories(s.dir / "real/data");
  fs::create_directory_symlink(s.dir / "real", s.dir / "link");
  auto [found, is_dir] = find_host_path((s.dir / "link/data").string(), "bind source");
  CHECK(is_dir);
  CHECK(found.path == fs::canonical(s.dir / "real/data").string());
  CHECK(found.ino != 0);
  CHECK(open_host_path(found, "bind source").valid());
  std::ofstream(s.dir / "file") << "x";
  CHECK_FALSE(find_host_path((s.dir / "file").string(), "bind source").second);
}

TEST_CASE("hostpath: a missing path names what and where", "[unit][hostpath]") {
  Scratch s;
  const std::string missing = (s.dir / "missing").string();
  CHECK_THROWS_WITH(find_host_path(missing, "bind source"),
                    Equals("bind source " + missing + ": No such file or directory (ENOENT)"));
}

TEST_CASE("hostpath: a symlink swapped in after the check is refused", "[unit][hostpath][security]") {
  Scratch s;
  fs::create_directories(s.dir / "work/out");
  fs::create_directories(s.dir / "secret");
  auto [found, is_dir] = find_host_path((s.dir / "work/out").string(), "bind source");
  REQUIRE(is_dir);
  // What a sandbox with `work` bound writable could do between supervisor and child.
  fs::remove(s.dir / "work/out");
  fs::create_directory_symlink(s.dir / "secret", s.dir / "work/out");
  CHECK_THROWS_WITH(open_host_path(found, "bind source"), EndsWith(": a symlink appeared on the way since hutch checked it"));
}

TEST_CASE("hostpath: a directory replaced by another is refused", "[unit][hostpath][security]") {
  Scratch s;
  fs::create_directories(s.dir / "work/out");
  fs::create_directories(s.dir / "other");
  auto [found, is_dir] = find_host_path((s.dir / "work/out").string(), "bind source");
  fs::remove(s.dir / "work/out");
  fs::rename(s.dir / "other", s.dir / "work/out");
  CHECK_THROWS_WITH(open_host_path(found, "bind source"), EndsWith(": replaced by another file since hutch checked it"));
}

TEST_CASE("hostpath: things without a path are refused clearly", "[unit][hostpath]") {
  int fds[2];
  REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
  const std::string pipe_path = "/proc/self/fd/" + std::to_string(fds[0]);
  CHECK_THROWS_WITH(find_host_path(pipe_path, "bind source"),
                    Catch::Matchers::StartsWith("bind source " + pipe_path + ": not a file or directory that has a "
                                                "path (pipe:["));
  ::close(fds[0]);
  ::close(fds[1]);
  Scratch s;
  std::ofstream(s.dir / "gone") << "x";
  const int held = ::open((s.dir / "gone").c_str(), O_RDONLY | O_CLOEXEC);
  fs::remove(s.dir / "gone");
  const std::string held_path = "/proc/self/fd/" + std::to_string(held);
  CHECK_THROWS_WITH(find_host_path(held_path, "bind source"), Equals("bind source " + held_path + ": the file has been deleted"));
  ::close(held);
}
