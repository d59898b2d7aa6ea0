#include "fixture.hpp"

#include <fcntl.h>
#include <signal.h>
#include <grp.h>
#include <pwd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <charconv>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>

#include "harness.hpp"

namespace fs = std::filesystem;

namespace hutch::testing {
namespace {

void must(bool ok, const std::string& what) {
  if (!ok) throw std::runtime_error(what + ": " + std::strerror(errno));
}

int run_command(const std::string& command) {
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

passwd* ensure_test_user() {
  // Serialize user creation between test processes that CTest runs in parallel.
  const int lock = ::open("/run/lock/hutch-test-user.lock", O_CREAT | O_RDWR | O_CLOEXEC, 0600);
  must(lock >= 0, "open /run/lock/hutch-test-user.lock");
  must(::flock(lock, LOCK_EX) == 0, "flock");
  if (::getpwnam(kTestUser) == nullptr) {
    // useradd(8) on Debian also gives a new user subordinate id ranges.
    const std::string cmd = std::string("useradd --create-home --shell /bin/sh ") + kTestUser;
    if (run_command(cmd) != 0) throw std::runtime_error("could not create the test user: " + cmd);
  }
  ::close(lock);
  passwd* pw = ::getpwnam(kTestUser);
  must(pw != nullptr, "getpwnam hutch-test");
  return pw;
}

std::string stage_binary(const fs::path& dir, const std::string& source) {
  const fs::path target = dir / fs::path(source).filename();
  fs::copy_file(source, target, fs::copy_options::overwrite_existing);
  fs::permissions(target, fs::perms(0755));
  return target.string();
}

void drop_to(const passwd* pw) {
  const std::string runtime_dir = "/tmp/hutch-test-runtime-" + std::to_string(pw->pw_uid);
  ::mkdir(runtime_dir.c_str(), 0700);
  must(::chown(runtime_dir.c_str(), pw->pw_uid, pw->pw_gid) == 0, "chown " + runtime_dir);
  must(::chmod(runtime_dir.c_str(), 0700) == 0, "chmod " + runtime_dir);
  must(::initgroups(pw->pw_name, pw->pw_gid) == 0, "initgroups");
  must(::setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) == 0, "setresgid");
  must(::setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == 0, "setresuid");
  if (::setuid(0) == 0) throw std::runtime_error("dropping root failed: could regain uid 0");
  ::setenv("HOME", pw->pw_dir, 1);
  ::setenv("USER", pw->pw_name, 1);
  ::setenv("LOGNAME", pw->pw_name, 1);
  ::setenv("XDG_RUNTIME_DIR", runtime_dir.c_str(), 1);
  for (const char* var : {"XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"}) ::unsetenv(var);
  must(::chdir("/") == 0, "chdir /");
}

std::string stage_tree(const fs::path& dir, const fs::path& source, const std::string& name) {
  const fs::path target = dir / name;
  fs::copy(source, target, fs::copy_options::recursive | fs::copy_options::overwrite_existing);
  for (const auto& entry : fs::recursive_directory_iterator(target)) {
    fs::permissions(entry.path(), entry.is_directory() ? fs::perms(0755) : fs::perms(0644));
  }
  fs::permissions(target, fs::perms(0755));
  return target.string();
}

// As root, what an administrator does once per user (docs/limits.md): a directory below
// each v1 controller's hierarchy, owned by the user; cpuset ones need cpus and mems.
// Returns why it could not, or "".
std::string delegate_cgroup_v1(const passwd* pw, const fs::path& config_home) {
  for (const char* c : kCgroupV1Controllers) {
    const fs::path hierarchy = fs::path("/sys/fs/cgroup") / c;
    if (!fs::exists(hierarchy / "tasks")) {
      return std::string("the host has no cgroup v1 ") + c + " hierarchy at " + hierarchy.string();
    }
    const fs::path dir = hierarchy / "hutch" / pw->pw_name;
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return "cannot create " + dir.string() + ": " + ec.message();
    if (std::string(c) == "cpuset") {
      for (const fs::path& d : {hierarchy / "hutch", dir}) {
        for (const char* knob : {"cpuset.cpus", "cpuset.mems"}) {
          std::ifstream in(hierarchy / knob);
          std::string value;
          std::getline(in, value);
          std::ofstream(d / knob) << value;
        }
      }
    }
    // The knobs only: the directories below are runs of hutch (the user's already),
    // which other test processes create and remove meanwhile.
    for (const auto& entry : fs::directory_iterator(dir)) {
      if (entry.is_directory()) continue;
      if (::chown(entry.path().c_str(), pw->pw_uid, pw->pw_gid) != 0 && errno != ENOENT) {
        return "chown " + entry.path().string();
      }
    }
    if (::chown(dir.c_str(), pw->pw_uid, pw->pw_gid) != 0) return "chown " + dir.string();
  }
  fs::create_directories(config_home / "hutch");
  // v2 off: the cgroup v1 tests test v1 (the test process is in a delegated cgroup v2).
  std::ofstream(config_home / "hutch/cgroups.conf") << "# delegated by the test harness\nv1 = hutch/${USER}\nv2 = off\n";
  fs::permissions(config_home, fs::perms(0755));
  fs::permissions(config_home / "hutch", fs::perms(0755));
  fs::permissions(config_home / "hutch/cgroups.conf", fs::perms(0644));
  return "";
}

// The cgroup2 hierarchy's mount point, as root sees it ("" when there is none).
std::string cgroup_v2_mount() {
  std::istringstream in(read_text("/proc/self/mountinfo"));
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    std::string id, parent, dev, root, point;
    fields >> id >> parent >> dev >> root >> point;
    const std::size_t dash = line.find(" - ");
    if (dash != std::string::npos && line.compare(dash + 3, 8, "cgroup2 ") == 0 && root == "/") return point;
  }
  return "";
}

// What systemd's Delegate=yes gives a user: the directory and the files that move
// processes and enable controllers.
std::string chown_delegated(const fs::path& dir, const passwd* pw) {
  for (const fs::path& p : {dir, dir / "cgroup.procs", dir / "cgroup.subtree_control", dir / "cgroup.threads"}) {
    if (::chown(p.c_str(), pw->pw_uid, pw->pw_gid) != 0) return "chown " + p.string() + ": " + std::strerror(errno);
  }
  return "";
}

// The controllers hutch uses that `dir`'s parent offers, enabled for its children
// (dir must hold no process).
void enable_offered(const fs::path& dir) {
  std::istringstream offered(read_text(dir / "cgroup.controllers"));
  for (std::string c; offered >> c;) {
    if (c == "memory" || c == "pids" || c == "cpu" || c == "cpuset") std::ofstream(dir / "cgroup.subtree_control") << "+" << c;
  }
}

// test-PID cgroups of test processes that are gone, with what is left below them.
void remove_stale_test_cgroups(const fs::path& top) {
  for (const std::string& name : list_dir(top)) {
    if (name.rfind("test-", 0) != 0 || !fs::is_directory(top / name)) continue;
    pid_t pid = 0;  // stays 0 (a directory of no process) when the rest is not a number
    std::from_chars(name.data() + 5, name.data() + name.size(), pid);
    if (pid > 0 && (::kill(pid, 0) == 0 || errno != ESRCH)) continue;
    remove_cgroup_tree(top / name);
  }
}

// As root, for this test process: TOP/test-PID delegated to the user, this process in
// TOP/test-PID/self. Returns why it could not, or "".
std::string delegate_cgroup_v2(const passwd* pw, std::string& dir) {
  const std::string mount = cgroup_v2_mount();
  if (mount.empty()) return "the host has no cgroup2 hierarchy mounted";
  const fs::path top = fs::path(mount) / kCgroupV2Top;
  remove_stale_test_cgroups(top);
  std::error_code ec;
  fs::create_directory(top, ec);
  if (ec) return "cannot create " + top.string() + ": " + ec.message();
  if (std::string why = chown_delegated(top, pw); !why.empty()) return why;
  enable_offered(top);
  const fs::path mine = top / ("test-" + std::to_string(::getpid()));
  for (const fs::path& d : {mine, mine / "self"}) {
    fs::create_directory(d, ec);
    if (ec) return "cannot create " + d.string() + ": " + ec.message();
    if (std::string why = chown_delegated(d, pw); !why.empty()) return why;
  }
  std::ofstream(mine / "self/cgroup.procs") << ::getpid();
  const std::string expected = "0::/" + fs::relative(mine / "self", mount).string() + "\n";
  if (read_text("/proc/self/cgroup").find(expected) == std::string::npos) {
    return "could not move the test process into " + (mine / "self").string();
  }
  enable_offered(mine);
  dir = mine.string();
  return "";
}

}  // namespace

int cleanup_host() {
  if (::geteuid() != 0) return 0;
  const int lock = ::open("/run/lock/hutch-test-user.lock", O_CREAT | O_RDWR | O_CLOEXEC, 0600);
  must(lock >= 0 && ::flock(lock, LOCK_EX) == 0, "lock /run/lock/hutch-test-user.lock");
  int status = 0;
  const std::string mount = cgroup_v2_mount();
  const fs::path top = fs::path(mount) / kCgroupV2Top;
  if (!mount.empty() && fs::exists(top)) {
    remove_stale_test_cgroups(top);
    const std::vector<std::string> left = list_dir(top);
    bool children = false;
    for (const std::string& name : left) children |= fs::is_directory(top / name);
    if (children) {
      std::cout << "cleanup: " << top.string() << " stays: test processes still run in it\n";
    } else if (::rmdir(top.c_str()) != 0) {
      std::cout << "cleanup: cannot remove " << top.string() << ": " << std::strerror(errno) << "\n";
      status = 1;
    }
  }
  ::close(lock);
  return status;
}

StagedBinaries prepare_user_and_binaries(const std::string& hutch, const std::string& probe,
                                         const std::string& source_dir) {
  const fs::path src(source_dir);
  if (::geteuid() != 0) {
    return StagedBinaries{hutch, probe, (src / "scripts/make-rootfs").string(), (src / "policies").string(),
                          (src / "tests/policies").string(), "", "",
                          "the tests did not start as root, so no cgroup v1 subtree could be delegated to this user",
                          "", "the tests did not start as root, so no cgroup v2 could be delegated to this process"};
  }
  passwd* pw = ensure_test_user();
  char tmpl[] = "/tmp/hutch-stage-XXXXXX";
  must(::mkdtemp(tmpl) != nullptr, "mkdtemp");
  StagedBinaries staged{stage_binary(tmpl, hutch),
                        stage_binary(tmpl, probe),
                        stage_binary(tmpl, (src / "scripts/make-rootfs").string()),
                        stage_tree(tmpl, src / "policies", "policies"),
                        stage_tree(tmpl, src / "tests/policies", "policy-cases"),
                        tmpl};
  // `hutch selftest` finds its attack program beside hutch (docs/selftest.md).
  if (const fs::path attack = fs::path(hutch).parent_path() / "hutch-attack"; fs::exists(attack))
    stage_binary(tmpl, attack.string());
  {
    // Serialized like the user's creation: CTest runs test processes in parallel.
    const int lock = ::open("/run/lock/hutch-test-user.lock", O_CREAT | O_RDWR | O_CLOEXEC, 0600);
    must(lock >= 0 && ::flock(lock, LOCK_EX) == 0, "lock /run/lock/hutch-test-user.lock");
    const fs::path config_home = fs::path(tmpl) / "config-cgroup-v1";
    staged.cgroup_v1_skip_reason = delegate_cgroup_v1(pw, config_home);
    if (staged.cgroup_v1_skip_reason.empty()) staged.cgroup_v1_config_home = config_home.string();
    staged.cgroup_v2_skip_reason = delegate_cgroup_v2(pw, staged.cgroup_v2_dir);
    ::close(lock);
  }
  must(::chmod(tmpl, 0755) == 0, "chmod stage dir");
  // The user removes the stage directory at exit, so it owns it and every directory in
  // it (emptying a directory needs write access to it), not the files.
  must(::chown(tmpl, pw->pw_uid, pw->pw_gid) == 0, "chown stage dir");
  for (const auto& entry : fs::recursive_directory_iterator(tmpl)) {
    if (entry.is_directory()) must(::chown(entry.path().c_str(), pw->pw_uid, pw->pw_gid) == 0, "chown stage subdir");
  }
  drop_to(pw);
  return staged;
}

void build_busybox_rootfs(const fs::path& root, const fs::path& probe) {
  for (const char* dir : {"bin", "sbin", "usr/bin", "usr/sbin", "etc", "proc", "dev", "tmp", "sys", "root", "work"}) {
    fs::create_directories(root / dir);
  }
  fs::permissions(root / "tmp", fs::perms(01777));
  fs::copy_file("/bin/busybox", root / "bin/busybox");
  fs::copy_file(probe, root / "probe");
  fs::permissions(root / "probe", fs::perms(0755));
  FILE* list = ::popen("/bin/busybox --list-full", "r");
  must(list != nullptr, "busybox --list-full");
  char line[256];
  while (std::fgets(line, sizeof line, list) != nullptr) {
    std::string applet(line);
    while (!applet.empty() && applet.back() == '\n') applet.pop_back();
    const fs::path link = root / applet;
    std::error_code ec;
    fs::create_directories(link.parent_path(), ec);
    fs::create_symlink("/bin/busybox", link, ec);
  }
  ::pclose(list);
  std::ofstream(root / "etc/passwd") << "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n";
  std::ofstream(root / "etc/group") << "root:x:0:\nnogroup:x:65534:\n";
  std::ofstream(root / "etc/hostname") << "fixture\n";
}

namespace {

// A Debian bookworm minbase (plus `include`, comma-separated packages) built once per
// test user and cached in ~/.cache/hutch-tests/NAME.
fs::path cached_debian_rootfs(const std::string& name, const std::string& include) {
  const char* home = std::getenv("HOME");
  if (home == nullptr) skip("no HOME to cache the Debian root filesystem in");
  const fs::path cache = fs::path(home) / ".cache/hutch-tests";
  fs::create_directories(cache);
  fs::path root = cache / name;
  const int lock = ::open((cache / "lock").c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600);
  must(lock >= 0, "open cache lock");
  must(::flock(lock, LOCK_EX) == 0, "flock cache lock");
  if (!fs::exists(root / "etc/debian_version")) {
    const std::string cmd = (include.empty() ? "" : "INCLUDE=" + include + " ") + paths().make_rootfs.string() +
                            " " + root.string() + " > " + (cache / (name + ".log")).string() + " 2>&1";
    if (run_command(cmd) != 0) {
      ::close(lock);
      skip("scripts/make-rootfs could not build a Debian root filesystem here (no mmdebstrap, no "
           "subordinate ids or no Debian mirror); see " + (cache / (name + ".log")).string());
    }
  }
  ::close(lock);
  return root;
}

}  // namespace

fs::path debian_rootfs() { return cached_debian_rootfs("debian-bookworm", ""); }

fs::path languages_rootfs() {
  return cached_debian_rootfs("debian-languages", "python3-minimal,openjdk-17-jdk-headless");
}

}  // namespace hutch::testing
