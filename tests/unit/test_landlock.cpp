#include <fcntl.h>
#include <sys/stat.h>

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "landlock/landlock.hpp"

using namespace hutch::landlock;
using hutch::mount::MountStep;
using hutch::mount::StepKind;

namespace {

MountStep step(StepKind kind, std::string target, bool readonly = false) {
  MountStep s;
  s.kind = kind;
  s.target = std::move(target);
  s.readonly = readonly;
  return s;
}

MountStep file_bind(std::string target, bool readonly = false) {
  MountStep s = step(StepKind::Bind, std::move(target), readonly);
  s.directory = false;
  return s;
}

// A host device node bound into /dev, as runtime/plan.cpp plans /dev/null.
MountStep device_node(std::string target) {
  MountStep s = file_bind(std::move(target));
  s.nodev = false;
  s.noexec = true;
  s.no_symlinks = true;
  return s;
}

std::string show(const std::vector<Rule>& rules) {
  std::string out;
  for (const Rule& r : rules) out += r.path + " " + describe(r.access) + "\n";
  return out;
}

}  // namespace

TEST_CASE("landlock: the root alone is read and execute, or everything when writable", "[unit][landlock]") {
  CHECK(plan_rules({}, false) == std::vector<Rule>{{"/", kReadOnly}});
  CHECK(plan_rules({}, true) == std::vector<Rule>{{"/", kAll}});
  CHECK(describe(kReadOnly) == "execute,read_file,read_dir");
}

TEST_CASE("landlock: a writable mount gets every right, a read-only one what its parents give", "[unit][landlock]") {
  std::vector<MountStep> steps{step(StepKind::Bind, "/work"), step(StepKind::Bind, "/src", true),
                               step(StepKind::Tmpfs, "/scratch")};
  CHECK(show(plan_rules(steps, false)) ==
        "/ execute,read_file,read_dir\n"
        "/work execute,write_file,read_file,read_dir,remove_dir,remove_file,make_char,make_dir,make_reg,make_sock,"
        "make_fifo,make_block,make_sym,refer,truncate,ioctl_dev\n"
        "/scratch execute,write_file,read_file,read_dir,remove_dir,remove_file,make_char,make_dir,make_reg,make_sock,"
        "make_fifo,make_block,make_sym,refer,truncate,ioctl_dev\n");
  // Landlock grants the union of a path's rules and its parents': below a writable
  // mount a read-only one adds nothing (its mount flag keeps it read-only).
  std::vector<MountStep> nested{step(StepKind::Bind, "/work"), step(StepKind::Bind, "/work/ro", true)};
  CHECK(plan_rules(nested, false) == std::vector<Rule>{{"/", kReadOnly}, {"/work", kAll}});
}

TEST_CASE("landlock: a file bind takes file rights only, noexec drops execute", "[unit][landlock]") {
  auto rules = plan_rules(std::vector<MountStep>{file_bind("/out.txt")}, false);
  REQUIRE(rules.size() == 2);
  CHECK(rules[1].path == "/out.txt");
  CHECK(rules[1].access == kFileRights);
  CHECK((rules[1].access & (right::kReadDir | right::kMakeReg | right::kRemoveFile)) == 0);
  MountStep noexec = step(StepKind::Tmpfs, "/dev/shm");
  noexec.noexec = true;
  rules = plan_rules(std::vector<MountStep>{noexec}, false);
  REQUIRE(rules.size() == 2);
  CHECK(rules[1].access == (kAll & ~right::kExecute));
}

TEST_CASE("landlock: /dev is read-only once sealed, its nodes and devpts get read, write and ioctl",
          "[unit][landlock]") {
  MountStep dev = step(StepKind::Tmpfs, "/dev");
  dev.noexec = true;
  dev.no_symlinks = true;
  MountStep pts = step(StepKind::Devpts, "/dev/pts");
  pts.nodev = false;
  pts.noexec = true;
  MountStep ptmx = step(StepKind::Symlink, "/dev/ptmx");
  ptmx.source = "pts/ptmx";
  std::vector<MountStep> steps{dev, device_node("/dev/null"), pts, ptmx, step(StepKind::Seal, "/dev")};
  CHECK(show(plan_rules(steps, false)) ==
        "/ execute,read_file,read_dir\n"
        "/dev/null write_file,read_file,ioctl_dev\n"
        "/dev/pts write_file,read_file,read_dir,ioctl_dev\n");
  const std::vector<Rule> rules = plan_rules(steps, false);
  CHECK(rules[1].no_symlinks);
  for (const Rule& r : rules) {
    CHECK((r.access & (right::kMakeChar | right::kMakeBlock | right::kMakeReg)) == 0);
  }
  // Unsealed, the /dev tmpfs would be writable.
  steps.pop_back();
  CHECK(plan_rules(steps, false)[1].path == "/dev");
}

TEST_CASE("landlock: /proc may be read and written, its read-only knobs add nothing", "[unit][landlock]") {
  MountStep proc = step(StepKind::Proc, "/proc");
  proc.noexec = true;
  MountStep sys = step(StepKind::Bind, "/proc/sys", true);
  sys.source_in_root = true;
  sys.optional = true;
  MountStep sysfs = step(StepKind::Sysfs, "/sys", true);
  auto rules = plan_rules(std::vector<MountStep>{proc, sys, sysfs}, false);
  CHECK(show(rules) ==
        "/ execute,read_file,read_dir\n"
        "/proc write_file,read_file,read_dir,truncate\n");
  // An optional mount's rule is optional too (a missing path is skipped).
  MountStep opt = step(StepKind::Bind, "/opt/data");
  opt.optional = true;
  rules = plan_rules(std::vector<MountStep>{opt}, false);
  REQUIRE(rules.size() == 2);
  CHECK(rules[1].optional);
}

TEST_CASE("landlock: a later mount hides what was mounted at or below its target", "[unit][landlock]") {
  std::vector<MountStep> same{step(StepKind::Tmpfs, "/tmp"), step(StepKind::Bind, "/tmp", true)};
  CHECK(plan_rules(same, false) == std::vector<Rule>{{"/", kReadOnly}});
  std::vector<MountStep> below{step(StepKind::Tmpfs, "/a/b"), step(StepKind::Bind, "/a", true)};
  CHECK(plan_rules(below, false) == std::vector<Rule>{{"/", kReadOnly}});
  // "/ab" is not below "/a".
  std::vector<MountStep> sibling{step(StepKind::Tmpfs, "/ab"), step(StepKind::Bind, "/a", true)};
  CHECK(plan_rules(sibling, false) == std::vector<Rule>{{"/", kReadOnly}, {"/ab", kAll}});
}

TEST_CASE("landlock: the rights handled follow the kernel's ABI", "[unit][landlock]") {
  CHECK(known_access(0) == 0);
  CHECK(known_access(1) == kAbi1);
  CHECK(known_access(2) == (kAbi1 | right::kRefer));
  CHECK(known_access(3) == (kAbi1 | right::kRefer | right::kTruncate));
  CHECK(known_access(4) == known_access(3));  // ABI 4 adds network rights only
  CHECK(known_access(5) == kAll);
  CHECK(known_access(7) == kAll);
  CHECK(describe(kAbi1 & ~kReadOnly) ==
        "write_file,remove_dir,remove_file,make_char,make_dir,make_reg,make_sock,make_fifo,make_block,make_sym");
  CHECK(describe(0) == "none");
}

TEST_CASE("landlock: a file already open is reopened no wider than its fd", "[unit][landlock]") {
  CHECK(access_for_open_file(S_IFREG | 0644, O_RDONLY) == right::kReadFile);
  CHECK(access_for_open_file(S_IFREG | 0644, O_WRONLY | O_APPEND) == (right::kWriteFile | right::kTruncate));
  CHECK(access_for_open_file(S_IFREG | 0644, O_RDWR) == (right::kReadFile | right::kWriteFile | right::kTruncate));
  // A terminal or /dev/null: its ioctls, no truncation (O_TRUNC means nothing there).
  CHECK(access_for_open_file(S_IFCHR | 0620, O_RDWR) == (right::kReadFile | right::kWriteFile | right::kIoctlDev));
  CHECK(access_for_open_file(S_IFCHR | 0666, O_RDONLY) == (right::kReadFile | right::kIoctlDev));
  // Pipes and sockets Landlock never checks; a directory would open all below it.
  CHECK(access_for_open_file(S_IFIFO | 0600, O_RDONLY) == 0);
  CHECK(access_for_open_file(S_IFSOCK | 0600, O_RDWR) == 0);
  CHECK(access_for_open_file(S_IFDIR | 0755, O_RDONLY) == 0);
  CHECK(access_for_open_file(S_IFREG | 0644, O_PATH) == 0);
}
