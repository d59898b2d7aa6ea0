// End to end in a real distribution: a Debian minbase root built by scripts/make-rootfs,
// the same script the README's first command uses.
#include <catch2/catch.hpp>

#include "fixture.hpp"
#include "harness.hpp"

using hutch::testing::run_hutch;

TEST_CASE("debian: programs of a Debian minbase root run in the sandbox", "[integration][debian]") {
  const auto root = hutch::testing::debian_rootfs();
  const std::string script =
      "cat /etc/debian_version >/dev/null && id -un && hostname && apt-get --version >/dev/null && echo apt-ok && "
      "echo $$";
  auto r = run_hutch({"run", "--rootfs", root.string(), "--", "/bin/bash", "-c", script});
  CHECK(r.err == "");
  CHECK(r.exit_code == 0);
  CHECK(r.out == "root\nhutch\napt-ok\n2\n");  // bash is pid 2, under hutch's init
}

TEST_CASE("debian: the default root filesystem is found without --rootfs", "[integration][debian]") {
  const auto root = hutch::testing::debian_rootfs();
  // XDG_DATA_HOME/hutch/rootfs/default -> the cached Debian root
  const auto data = hutch::testing::paths().work / "xdg-data";
  std::filesystem::create_directories(data / "hutch/rootfs");
  std::filesystem::create_directory_symlink(root, data / "hutch/rootfs/default");
  auto r = run_hutch({"run", "--", "cat", "/etc/os-release"}, {.env = {"XDG_DATA_HOME=" + data.string()}});
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("ID=debian\n") != std::string::npos);
}
