// Fixtures: the unprivileged test user and the root filesystems tests run in.
#pragma once

#include <filesystem>
#include <string>

namespace hutch::testing {

inline constexpr const char* kTestUser = "hutch-test";

struct StagedBinaries {
  std::string hutch;
  std::string probe;
  std::string make_rootfs;  // scripts/make-rootfs
  std::string policies;     // the repository's policies/
  std::string policy_cases; // tests/policies/
  std::string stage_dir;  // non-empty when the binaries were copied (remove at exit)
  // An XDG_CONFIG_HOME whose hutch/cgroups.conf names the cgroup v1 subtree delegated
  // to the test user; "" when the tests did not start as root or the host has no v1
  // controllers (cgroup_v1_skip_reason() says why).
  std::string cgroup_v1_config_home;
  std::string cgroup_v1_skip_reason;
  // The cgroup v2 delegated to this test process (kCgroupV2Top/test-PID, its own
  // process in self/ below it); "" and the reason when there is none.
  std::string cgroup_v2_dir;
  std::string cgroup_v2_skip_reason;
};

// The cgroup v1 controllers hutch uses, delegated to the test user as an administrator
// would (docs/limits.md): /sys/fs/cgroup/CONTROLLER/hutch/USER, owned by the user.
inline constexpr const char* kCgroupV1Controllers[] = {"memory", "pids", "cpu", "cpuacct", "cpuset"};

// cgroup v2, delegated as systemd's Delegate=yes does (the directory, cgroup.procs,
// cgroup.subtree_control and cgroup.threads owned by the user), below the cgroup2
// mount: TOP/test-PID for each test process, which root moves into TOP/test-PID/self
// before dropping privileges; the test then starts hutch there (a cgroup it shares
// with the test process) or alone in a fresh TOP/test-PID/scope-N, as
// `systemd-run --user --scope -p Delegate=yes` would. Controllers TOP's parent offers
// are enabled for TOP and test-PID. Removed by `hutch_integration --cleanup-host`
// (CTest's cleanup fixture) once every test process is gone.
inline constexpr const char* kCgroupV2Top = "hutch-test-v2";

// As root: create or reuse kTestUser, delegate it a cgroup v1 subtree where the host
// has v1 controllers and this process a cgroup v2, copy the binaries into a fresh world-readable
// directory (the checkout may not be traversable by that user), give the user its
// own XDG_RUNTIME_DIR, and drop to it for good. As anyone else: use the binaries as
// they are.
StagedBinaries prepare_user_and_binaries(const std::string& hutch, const std::string& probe,
                                         const std::string& source_dir);

// As root, after the test processes: removes kCgroupV2Top (and the cgroups left below
// it by test processes that are gone). Returns 0, or 1 when something stays.
int cleanup_host();

// A busybox-static root filesystem with every applet, /probe, and the usual mount
// points, built in milliseconds.
void build_busybox_rootfs(const std::filesystem::path& root, const std::filesystem::path& probe);

// A Debian bookworm minbase root filesystem built with scripts/make-rootfs (mmdebstrap
// in unshare mode) and cached under the user's cache directory, or skips the test with
// the reason when that is impossible here.
std::filesystem::path debian_rootfs();
// The same with Python 3 and a JDK (java runs single-file sources), for the judge tests.
std::filesystem::path languages_rootfs();

}  // namespace hutch::testing
