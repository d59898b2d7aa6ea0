#include "landlock/landlock.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>

#include <array>
#include <cerrno>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include "util/error.hpp"
#include "util/log.hpp"
#include "util/path.hpp"
#include "util/sys.hpp"

namespace hutch::landlock {
namespace {

using mount::MountStep;
using mount::StepKind;

// A mount still visible once the plan is carried out, with its final read-only state.
struct Visible {
  const MountStep* step;
  bool readonly;
};

// The mounts the command will see: a later mount hides what was mounted at or below
// its target before it; a seal (StepKind::Seal) makes its target's mount read-only.
std::vector<Visible> visible_mounts(std::span<const MountStep> steps) {
  std::vector<Visible> out;
  for (const MountStep& s : steps) {
    if (s.kind == StepKind::Symlink) continue;
    if (s.kind == StepKind::Seal) {
      for (auto it = out.rbegin(); it != out.rend(); ++it) {
        if (it->step->target == s.target) {
          it->readonly = true;
          break;
        }
      }
      continue;
    }
    std::erase_if(out, [&](const Visible& v) { return path::is_under(v.step->target, s.target); });
    out.push_back({&s, s.readonly});
  }
  return out;
}

// What a mount lets the command do, as its kind and flags say.
Access mount_access(const MountStep& s, bool readonly) {
  Access a = 0;
  switch (s.kind) {
    case StepKind::Proc:
      a = kProc;
      break;
    case StepKind::Devpts:
      a = kDevices;
      break;
    case StepKind::Sysfs:
      a = kReadOnly;
      break;
    case StepKind::Bind:
    case StepKind::Tmpfs:
      // Device nodes work only where the mount is not nodev (/dev/null and the like).
      a = !s.nodev ? kDevices : kAll;
      break;
    case StepKind::Symlink:
    case StepKind::Seal:
      return 0;
  }
  if (readonly) a &= kReadOnly;
  if (s.noexec) a &= ~right::kExecute;
  // landlock_add_rule(2): EINVAL for a directory right on a file that is not one.
  if (!s.directory) a &= kFileRights;
  return a;
}

// Landlock grants the union of the rules on a path and on its parents.
Access inherited_access(const std::vector<Rule>& rules, std::string_view target) {
  Access a = 0;
  for (const Rule& r : rules) {
    if (r.path != target && path::is_under(target, r.path)) a |= r.access;
  }
  return a;
}

struct Name {
  Access bit;
  std::string_view name;
};
constexpr std::array<Name, 16> kNames{{{right::kExecute, "execute"},
                                       {right::kWriteFile, "write_file"},
                                       {right::kReadFile, "read_file"},
                                       {right::kReadDir, "read_dir"},
                                       {right::kRemoveDir, "remove_dir"},
                                       {right::kRemoveFile, "remove_file"},
                                       {right::kMakeChar, "make_char"},
                                       {right::kMakeDir, "make_dir"},
                                       {right::kMakeReg, "make_reg"},
                                       {right::kMakeSock, "make_sock"},
                                       {right::kMakeFifo, "make_fifo"},
                                       {right::kMakeBlock, "make_block"},
                                       {right::kMakeSym, "make_sym"},
                                       {right::kRefer, "refer"},
                                       {right::kTruncate, "truncate"},
                                       {right::kIoctlDev, "ioctl_dev"}}};

}  // namespace

std::vector<Rule> plan_rules(std::span<const MountStep> steps, bool root_writable) {
  std::vector<Rule> candidates{Rule{"/", root_writable ? kAll : kReadOnly, false, false}};
  for (const Visible& v : visible_mounts(steps)) {
    const Access a = mount_access(*v.step, v.readonly);
    if (a != 0) candidates.push_back(Rule{v.step->target, a, v.step->optional, v.step->no_symlinks});
  }
  std::vector<Rule> rules;
  for (const Rule& r : candidates) {
    if (r.path == "/" || (r.access & ~inherited_access(candidates, r.path)) != 0) rules.push_back(r);
  }
  return rules;
}

Access known_access(int abi) {
  if (abi < 1) return 0;
  Access a = kAbi1;
  if (abi >= 2) a |= right::kRefer;
  if (abi >= 3) a |= right::kTruncate;
  if (abi >= 5) a |= right::kIoctlDev;
  return a;
}

Access access_for_open_file(mode_t mode, int open_flags) {
  const bool device = S_ISCHR(mode) || S_ISBLK(mode);
  if ((!S_ISREG(mode) && !device) || (open_flags & O_PATH) != 0) return 0;
  Access a = 0;
  const int acc = open_flags & O_ACCMODE;
  if (acc == O_RDONLY || acc == O_RDWR) a |= right::kReadFile;
  // An fd open for writing can be ftruncate(2)d already (Landlock never checks files
  // opened before landlock_restrict_self(2)), so a reopen may truncate too.
  if (acc == O_WRONLY || acc == O_RDWR) a |= right::kWriteFile | (device ? 0 : right::kTruncate);
  // Its ioctls the open fd allows already; a reopened terminal needs them (tcgetattr).
  if (device) a |= right::kIoctlDev;
  return a;
}

std::string describe(Access access) {
  std::string out;
  for (const Name& n : kNames) {
    if ((access & n.bit) != 0) out += fmt::format("{}{}", out.empty() ? "" : ",", n.name);
  }
  return out.empty() ? "none" : out;
}

int abi_version() {
  const long abi = sys::landlock_create_ruleset(nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION);
  if (abi >= 1) return static_cast<int>(abi);
  if (errno == ENOSYS || errno == EOPNOTSUPP) return 0;
  throw_sys("landlock_create_ruleset", "(ABI version)");
}

namespace {

// runs in: init
// The hierarchy below the file `fd` refers to gets `access`, cut down to the handled
// rights and, for a file that is not a directory, to file rights. Returns false when
// Landlock does not govern that file (EBADFD: a file of the kernel's internal mounts,
// a memfd say, which no path reaches and Landlock never checks).
bool add_rule(int ruleset, int fd, Access access, Access handled, std::string_view what) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw_sys("fstat", what);
  access &= handled;
  if (!S_ISDIR(st.st_mode)) access &= kFileRights;
  if (access == 0) return true;
  landlock_path_beneath_attr attr{};
  attr.allowed_access = access;
  attr.parent_fd = fd;
  if (sys::landlock_add_rule(ruleset, LANDLOCK_RULE_PATH_BENEATH, &attr, 0) != 0) {
    if (errno == EBADFD) return false;
    throw_sys("add a rule for", what);
  }
  log::debug("landlock: {} {}", what, describe(access));
  return true;
}

// runs in: init, after pivot_root
void add_path_rule(int ruleset, const Rule& rule, Access handled) {
  // Resolved as it was mounted: hutch's own mount points never through a symlink.
  const std::uint64_t resolve = RESOLVE_NO_MAGICLINKS | (rule.no_symlinks ? RESOLVE_NO_SYMLINKS : 0);
  const int fd = sys::try_openat2(AT_FDCWD, rule.path, O_PATH, resolve);
  if (fd == -ENOENT && rule.optional) return;
  if (fd < 0) throw_errno(-fd, "open", rule.path);
  const UniqueFd owned(fd);
  if (!add_rule(ruleset, fd, rule.access, handled, rule.path)) {
    throw Error(fmt::format("{}: on a filesystem Landlock does not govern", rule.path), EBADFD);
  }
}

}  // namespace

UniqueFd build_ruleset(std::span<const Rule> rules, std::span<const OpenFile> open_files) {
  try {
    const int abi = abi_version();
    if (abi == 0) {
      log::debug("landlock: not in this kernel, the command runs without it");
      return UniqueFd();
    }
    landlock_ruleset_attr attr{};
    attr.handled_access_fs = known_access(abi);
    const long fd = sys::landlock_create_ruleset(&attr, sizeof attr, 0);
    if (fd < 0) throw_sys("landlock_create_ruleset", fmt::format("(ABI {})", abi));
    UniqueFd ruleset(static_cast<int>(fd));
    log::debug("landlock: ABI {}, handling {}", abi, describe(attr.handled_access_fs));
    for (const Rule& rule : rules) add_path_rule(ruleset.get(), rule, attr.handled_access_fs);
    for (const OpenFile& file : open_files) {
      struct stat st {};
      if (file.fd < 0 || ::fstat(file.fd, &st) != 0) continue;  // closed: nothing to reopen
      const int flags = ::fcntl(file.fd, F_GETFL);
      if (flags < 0) throw_sys("fcntl F_GETFL", file.name);
      const Access a = access_for_open_file(st.st_mode, flags);
      if (a != 0)
        add_rule(ruleset.get(), file.fd, a, attr.handled_access_fs, fmt::format("the command's {}", file.name));
    }
    return ruleset;
  } catch (Error& e) {
    e.prepend("landlock");
    throw;
  }
}

void restrict_self(int ruleset_fd) {
  if (sys::landlock_restrict_self(ruleset_fd, 0) != 0) throw_sys("landlock: restrict", "the command");
}

}  // namespace hutch::landlock
