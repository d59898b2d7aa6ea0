// What the mount module is asked to build: the root and an ordered list of steps.
// Plain data, filled by runtime::plan_run() and carried out by mount::assemble_root().
#pragma once

#include <cstdint>
#include <string>

namespace hutch::mount {

enum class StepKind {
  Bind,     // open_tree(source) attached at target
  Tmpfs,    // a fresh tmpfs
  Proc,     // a fresh procfs of the new pid namespace
  Sysfs,    // a fresh sysfs of the new network namespace
  Devpts,   // a private devpts instance
  Symlink,  // a symlink named target pointing at source (inside /dev)
  Seal,     // make the mount at target read-only once it is populated
};

// A host file or directory as the supervisor found it. The child opens it again by
// this symlink-free path with RESOLVE_NO_SYMLINKS and checks it is still the same
// inode, so nothing swapped in between (say by another sandbox that can write a parent
// directory) gets mounted instead.
struct HostPath {
  std::string path;         // canonical: absolute, no symlink, no "." or ".."
  std::uint64_t dev = 0;    // st_dev and st_ino when checked; 0/0 = trusted, not checked
  std::uint64_t ino = 0;
};

struct MountStep {
  StepKind kind = StepKind::Bind;
  std::string source;          // Bind: host path, or a path inside the root (source_in_root)
  HostPath host_source;        // Bind from the host: where the source is, checked
  std::string target;          // absolute, normalized, inside the new root
  bool source_in_root = false; // Bind: source is resolved inside the new root
  bool recursive = true;       // Bind: take submounts along
  bool readonly = false;
  bool nodev = true;           // device nodes under it do not work (false for /dev nodes)
  bool noexec = false;
  bool directory = true;       // the mount point to create is a directory (else a file)
  bool optional = false;       // source_in_root only: skip silently when it does not exist
  // SECURITY: hutch's own mounts (/proc, /dev, /tmp, /sys and what is below them) are
  // refused on a symlink rather than sent wherever a hostile root filesystem points
  // (the runc CVE-2019-19921 class); user mounts follow links inside the root.
  bool no_symlinks = false;
  std::uint64_t size = 0;      // Tmpfs: 0 = kernel default
  std::uint32_t mode = 0755;   // Tmpfs: mode of its root
};

struct RootPlan {
  HostPath rootfs;
  // True when some mount point is missing from rootfs: the root is then an overlay with
  // a throw-away tmpfs upper layer, so hutch never writes into the caller's rootfs.
  bool overlay = false;
};

// One line per step ("bind /dev/null -> /dev/null (rw,noexec)"), for -vv and tests.
std::string describe_step(const MountStep& step);

}  // namespace hutch::mount
