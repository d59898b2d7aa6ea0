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
};

// As root: create or reuse kTestUser, copy the binaries into a fresh world-readable
// directory (the checkout may not be traversable by that user), give the user its
// own XDG_RUNTIME_DIR, and drop to it for good. As anyone else: use the binaries as
// they are.
StagedBinaries prepare_user_and_binaries(const std::string& hutch, const std::string& probe,
                                         const std::string& source_dir);

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
