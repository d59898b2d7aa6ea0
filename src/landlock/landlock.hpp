// Landlock (landlock(7)): the command's file access, mirrored from the mount plan.
//
// Defence in depth beyond the mounts: below a read-only mount the command may read and
// execute, below a writable one do everything, on device nodes and in /dev/pts read,
// write and ioctl, in /proc read and write files. What lies outside every mount of
// the sandbox (a host file hutch opened for the command, reached again through
// /proc/self/fd) it may open only as the fd it holds allows: the kernel resolves such a
// magic link to the host's file, whose owner the command runs as.
//
// The module owns two parts. plan_rules() and the access helpers are pure (unit tests,
// no kernel). build_ruleset() runs in init after pivot_root, opening each rule's path;
// restrict_self() runs in the payload after the capability drop and before the
// seccomp filter. Without Landlock in the kernel (ENOSYS, EOPNOTSUPP) runs go on
// without it; with it, any failure ends the run (STYLE.md section 3).
#pragma once

#include <linux/landlock.h>
#include <sys/types.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mount/spec.hpp"
#include "util/fd.hpp"

// <linux/landlock.h> of Debian 12 stops at ABI 2; the rights of later ABIs hutch uses.
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)  // ABI 3, Linux 6.2
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15)  // ABI 5, Linux 6.10
#endif

namespace hutch::landlock {

// A set of LANDLOCK_ACCESS_FS_* rights.
using Access = std::uint64_t;

namespace right {
inline constexpr Access kExecute = LANDLOCK_ACCESS_FS_EXECUTE;
inline constexpr Access kWriteFile = LANDLOCK_ACCESS_FS_WRITE_FILE;
inline constexpr Access kReadFile = LANDLOCK_ACCESS_FS_READ_FILE;
inline constexpr Access kReadDir = LANDLOCK_ACCESS_FS_READ_DIR;
inline constexpr Access kRemoveDir = LANDLOCK_ACCESS_FS_REMOVE_DIR;
inline constexpr Access kRemoveFile = LANDLOCK_ACCESS_FS_REMOVE_FILE;
inline constexpr Access kMakeChar = LANDLOCK_ACCESS_FS_MAKE_CHAR;
inline constexpr Access kMakeDir = LANDLOCK_ACCESS_FS_MAKE_DIR;
inline constexpr Access kMakeReg = LANDLOCK_ACCESS_FS_MAKE_REG;
inline constexpr Access kMakeSock = LANDLOCK_ACCESS_FS_MAKE_SOCK;
inline constexpr Access kMakeFifo = LANDLOCK_ACCESS_FS_MAKE_FIFO;
inline constexpr Access kMakeBlock = LANDLOCK_ACCESS_FS_MAKE_BLOCK;
inline constexpr Access kMakeSym = LANDLOCK_ACCESS_FS_MAKE_SYM;
inline constexpr Access kRefer = LANDLOCK_ACCESS_FS_REFER;         // ABI 2
inline constexpr Access kTruncate = LANDLOCK_ACCESS_FS_TRUNCATE;   // ABI 3
inline constexpr Access kIoctlDev = LANDLOCK_ACCESS_FS_IOCTL_DEV;  // ABI 5
}  // namespace right

// Every right of ABI 1.
inline constexpr Access kAbi1 = (right::kMakeSym << 1) - 1;
// Every right hutch may hand out (the newest ABI it knows, 5 for the filesystem).
inline constexpr Access kAll = kAbi1 | right::kRefer | right::kTruncate | right::kIoctlDev;
// The rights landlock_add_rule(2) accepts on a file that is not a directory.
inline constexpr Access kFileRights =
    right::kExecute | right::kWriteFile | right::kReadFile | right::kTruncate | right::kIoctlDev;
// Below a read-only mount.
inline constexpr Access kReadOnly = right::kReadFile | right::kReadDir | right::kExecute;
// On device nodes and a devpts: no make_* right (no new nodes), ioctls for terminals.
inline constexpr Access kDevices = right::kReadFile | right::kWriteFile | right::kReadDir | right::kIoctlDev;
// /proc: programs write /proc/self/... (a shell's `>` opens with O_TRUNC, which
// Landlock checks as truncation); the kernel's knobs are read-only mounts anyway.
inline constexpr Access kProc = right::kReadFile | right::kWriteFile | right::kTruncate | right::kReadDir;

// One rule: the file hierarchy below `path` (inside the sandbox) gets `access`.
struct Rule {
  std::string path;
  Access access = 0;         // before masking to what the running kernel knows
  bool optional = false;     // the mount may be absent (optional bind): skip a missing path
  bool no_symlinks = false;  // one of hutch's own mounts: refused on a symlink, as mounted

  bool operator==(const Rule&) const = default;
};

// The rules that mirror the mount plan: "/" (read-only unless root_writable), then one
// per mount still visible, each right the mount allows (noexec drops execute, a file
// takes file rights only, a seal makes its mount read-only, as /dev's). Landlock grants
// the union of the rules on a path and its parents, so a rule that adds nothing to its
// parents' is left out: below a writable mount, a read-only one is as writable for
// Landlock, and stays read-only through its mount flag. Pure.
std::vector<Rule> plan_rules(std::span<const mount::MountStep> steps, bool root_writable);

// The rights a kernel of Landlock ABI `abi` handles (best effort, as the kernel
// documentation's example does): REFER from 2, TRUNCATE from 3, IOCTL_DEV from 5.
Access known_access(int abi);

// What reopening a file that is open with `open_flags` (fcntl F_GETFL) and of type
// `mode` (st_mode) may give: no more than the open file gives. 0 for anything but a
// regular file or a device (pipes and sockets are never checked; a directory would
// open everything below it).
Access access_for_open_file(mode_t mode, int open_flags);

// "execute,read_file,read_dir" (for -vv, doctor and tests).
std::string describe(Access access);

// The running kernel's Landlock ABI version, or 0 when it has none (ENOSYS: not built
// in; EOPNOTSUPP: not enabled at boot). Throws Error for any other failure.
int abi_version();

// A file the payload will hold as one of its fds 0-2, by the fd init holds it on now.
struct OpenFile {
  int fd = -1;
  std::string_view name;  // "stdin", for messages
};

// runs in: init, after pivot_root, before the payload exists
// Creates a ruleset handling every right this kernel knows, adds `rules` (each path
// opened with O_PATH, resolved as it was mounted) and one rule for each of
// `open_files` that is a regular file or a device, with access_for_open_file().
// Returns the ruleset (O_CLOEXEC), or an empty fd when the kernel has no Landlock.
// Throws Error naming the step and the path ("landlock: open /tmp: ...").
UniqueFd build_ruleset(std::span<const Rule> rules, std::span<const OpenFile> open_files);

// runs in: payload, after the capability drop and no_new_privs, before seccomp
// landlock_restrict_self(2): from here on the rules hold for this process and all it
// starts. Raw syscall only (no allocation unless it fails, when it throws).
void restrict_self(int ruleset_fd);

}  // namespace hutch::landlock
