// `hutch doctor` on this machine, as the unprivileged user: what it finds, and the fix
// it prints for what is missing (docs/doctor.md).
#include <filesystem>
#include <string>

#include <catch2/catch.hpp>

#include "fixture.hpp"
#include "harness.hpp"

using hutch::testing::paths;
using hutch::testing::run_hutch;

TEST_CASE("doctor: reports what the machine offers, with a fix for what is missing", "[integration][doctor]") {
  const std::filesystem::path empty = paths().work / "doctor-config-none";
  std::filesystem::create_directories(empty);
  auto r = run_hutch({"doctor"}, {.env = {"XDG_CONFIG_HOME=" + empty.string()}});
  INFO(r.out);
  // The tests run at all, so these two are there.
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("ok       user namespaces: unprivileged ones can be created\n") != std::string::npos);
  CHECK(r.out.find("ok       seccomp: filters with user notification") != std::string::npos);
  CHECK(r.out.find(" overlayfs: ") != std::string::npos);
  CHECK(r.out.find(" Landlock: ") != std::string::npos);
  // Where the kernel has Landlock, runs use it (tests/integration/test_landlock.cpp).
  if (r.out.find("ok       Landlock: ") != std::string::npos) {
    CHECK(r.out.find(": runs confine the command's file access to the mount plan") != std::string::npos);
  }
  CHECK(r.out.find(" cgroup v2: ") != std::string::npos);
  if (!paths().cgroup_v2_dir.empty()) {
    // The cgroup v2 the harness delegated to this test process, which is in it too.
    const std::string self = paths().cgroup_v2_dir + "/self";
    CHECK(r.out.find(" cgroup v2: " + self + ": delegated to you; 1 other process in it, so none can be enabled") !=
          std::string::npos);
    // Alone in a fresh one, as under systemd-run --scope.
    const std::string scope = hutch::testing::new_v2_scope();
    auto alone = run_hutch({"doctor"}, {.env = {"XDG_CONFIG_HOME=" + empty.string()}, .cgroup = scope});
    CHECK(alone.out.find(" cgroup v2: " + scope + ": delegated to you; no other process in it") != std::string::npos);
    hutch::testing::remove_cgroup_tree(scope);
  }
  if (paths().cgroup_v1_config_home.empty()) {
    hutch::testing::skip("doctor's cgroup v1 lines: " + paths().cgroup_v1_skip_reason);
  }
  // No cgroups.conf: the commands an administrator runs, for this user.
  CHECK(r.out.find("missing  cgroup v1: controllers [memory pids cpu cpuacct cpuset] on v1, none delegated to you") !=
        std::string::npos);
  CHECK(r.out.find("  user=" + std::string(hutch::testing::kTestUser) + "\n") != std::string::npos);
  CHECK(r.out.find("echo 'v1 = hutch/${USER}' > /etc/hutch/cgroups.conf") != std::string::npos);
  // With the delegation the harness made exactly so: found.
  auto d = run_hutch({"doctor"}, {.env = {"XDG_CONFIG_HOME=" + paths().cgroup_v1_config_home}});
  CHECK(d.out.find("ok       cgroup v1: delegated by " + paths().cgroup_v1_config_home +
                   "/hutch/cgroups.conf: [memory pids cpu cpuacct cpuset]") != std::string::npos);
}
