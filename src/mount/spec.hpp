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

struct MountStep {
  StepKind kind = StepKind::Bind;
  std::string source;          // Bind: host path, or a path inside the root (source_in_root)
  std::string target;          // absolute, normalized, inside the new root
  bool source_in_root = false; // Bind: source is resolved inside the new root
  bool recursive = true;       // Bind: take submounts along
  bool readonly = false;
  bool nodev = true;           // device nodes under it do not work (false for /dev nodes)
  bool noexec = false;
  bool directory = true;       // the mount point to create is a directory (else a file)
  bool optional = false;       // skip silently when the source does not exist
  std::uint64_t size = 0;      // Tmpfs: 0 = kernel default
  std::uint32_t mode = 0755;   // Tmpfs: mode of its root
};

struct RootPlan {
  std::string rootfs;    // absolute host path
  // True when some mount point is missing from rootfs: the root is then an overlay with
  // a throw-away tmpfs upper layer, so hutch never writes into the caller's rootfs.
  bool overlay = false;
};

// One line per step ("bind /dev/null -> /dev/null (rw,noexec)"), for -vv and tests.
std::string describe_step(const MountStep& step);

}  // namespace hutch::mount
