#include <sched.h>
#include <sys/resource.h>

#include <algorithm>
#include <optional>
#include <set>

#include <catch2/catch.hpp>

#include "runtime/plan.hpp"
#include "util/error.hpp"

using namespace hutch::runtime;
using hutch::policy::Mount;
using hutch::policy::MountType;
using hutch::policy::Network;
using Catch::Matchers::Equals;

namespace {

// A root filesystem that has /proc, /dev, /tmp, /etc, /usr and nothing else.
HostFacts facts(const std::set<std::string>& extra_paths = {}) {
  HostFacts h;
  h.uid = 1000;
  h.gid = 1000;
  h.env = {{"TERM", "screen"}, {"SECRET", "s"}, {"LANG", "C.UTF-8"}};
  std::set<std::string> present{"/proc", "/dev", "/tmp", "/etc", "/usr"};
  present.insert(extra_paths.begin(), extra_paths.end());
  h.exists_in_rootfs = [present](const std::string& p) { return present.count(p) > 0; };
  h.find_source = [](const std::string& p) {
    // A canonical path as the supervisor would find it, with an inode to check.
    return std::make_pair(HostPath{"/canonical" + p, 7, 42}, p.find(".conf") == std::string::npos);
  };
  return h;
}

RunRequest request(std::vector<Mount> mounts = {}) {
  RunRequest r;
  r.policy.rootfs = "/srv/root";
  r.policy.mounts = std::move(mounts);
  r.argv = {"/bin/true"};
  return r;
}

Mount bind(std::string src, std::string dst, bool ro = false) {
  Mount m;
  m.type = MountType::Bind;
  m.source = std::move(src);
  m.target = std::move(dst);
  m.readonly = ro;
  return m;
}

std::vector<std::string> targets(const Plan& p) {
  std::vector<std::string> out;
  for (const auto& s : p.mounts) out.push_back(s.target);
  return out;
}

const MountStep& step_at(const Plan& p, const std::string& target) {
  auto it = std::find_if(p.mounts.begin(), p.mounts.end(), [&](const MountStep& s) { return s.target == target; });
  REQUIRE(it != p.mounts.end());
  return *it;
}

}  // namespace

TEST_CASE("plan: the default sandbox", "[unit][plan]") {
  Plan p = plan_run(request(), facts());
  CHECK(p.root.rootfs.path == "/srv/root");  // no HostFacts::rootfs: taken as given, unchecked
  CHECK(p.root.rootfs.ino == 0);
  CHECK_FALSE(p.root.overlay);
  CHECK(p.clone_flags == (CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP |
                          CLONE_NEWNET));
  CHECK(p.uid_map.inside == 0);
  CHECK(p.uid_map.outside == 1000);
  CHECK(p.uid_map.count == 1);
  CHECK(p.gid_map.outside == 1000);
  CHECK(p.hostname == "hutch");
  CHECK(p.workdir == "/");
  CHECK(p.network == Network::Loopback);
  CHECK(p.env == std::vector<std::string>{"HOME=/root", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                                          "TERM=dumb"});
}

TEST_CASE("plan: /proc, then /dev, then /tmp, user mounts, and /dev sealed last", "[unit][plan]") {
  Plan p = plan_run(request({bind("/data", "/tmp/data")}), facts());
  CHECK(targets(p) == std::vector<std::string>{
                          "/proc", "/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus",
                          "/dev", "/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty",
                          "/dev/pts", "/dev/shm", "/dev/ptmx", "/dev/fd", "/dev/stdin", "/dev/stdout", "/dev/stderr",
                          "/dev/core", "/tmp", "/tmp/data", "/dev"});
  CHECK(p.mounts.back().kind == StepKind::Seal);
  CHECK(step_at(p, "/proc").kind == StepKind::Proc);
  CHECK(step_at(p, "/proc/sys").readonly);
  CHECK(step_at(p, "/proc/sys").source_in_root);
  CHECK_FALSE(step_at(p, "/dev/null").nodev);
  CHECK_FALSE(step_at(p, "/dev/null").directory);
  CHECK(step_at(p, "/tmp").mode == 01777);
  // /tmp/data is created inside the /tmp tmpfs: no overlay needed.
  CHECK_FALSE(p.root.overlay);
}

TEST_CASE("plan: a mount point missing from the rootfs asks for an overlay root", "[unit][plan]") {
  CHECK(plan_run(request({bind("/data", "/data")}), facts()).root.overlay);
  CHECK_FALSE(plan_run(request({bind("/data", "/data")}), facts({"/data"})).root.overlay);
  HostFacts no_tmp = facts();
  no_tmp.exists_in_rootfs = [](const std::string& p) { return p == "/proc" || p == "/dev"; };
  CHECK(plan_run(request(), no_tmp).root.overlay);
}

TEST_CASE("plan: user mounts are ordered parents first and keep their flags", "[unit][plan]") {
  Plan p = plan_run(request({bind("/b", "/x/y/z"), bind("/a", "/x", true), bind("/c.conf", "/etc/c.conf", true)}),
                    facts({"/x"}));
  auto t = targets(p);
  auto x = std::find(t.begin(), t.end(), "/x");
  auto xyz = std::find(t.begin(), t.end(), "/x/y/z");
  CHECK(x < xyz);
  CHECK(step_at(p, "/x").readonly);
  CHECK_FALSE(step_at(p, "/x/y/z").readonly);
  CHECK_FALSE(step_at(p, "/etc/c.conf").directory);
  // /x/y/z lies in the /x bind: whether it exists is the bind's business, not the root's.
  CHECK(p.root.overlay);  // /etc/c.conf is missing from the root
}

TEST_CASE("plan: a user --tmpfs /tmp replaces the default one", "[unit][plan]") {
  Mount t;
  t.type = MountType::Tmpfs;
  t.target = "/tmp";
  t.size = 1 << 20;
  Plan p = plan_run(request({t}), facts());
  auto ts = targets(p);
  CHECK(std::count(ts.begin(), ts.end(), "/tmp") == 1);
  CHECK(step_at(p, "/tmp").size == (1u << 20));
}

TEST_CASE("plan: invalid mounts are refused with the reason", "[unit][plan]") {
  CHECK_THROWS_WITH(plan_run(request({bind("/a", "/x"), bind("/b", "/x/")}), facts()),
                    Equals("mount target /x is given twice"));
  CHECK_THROWS_WITH(plan_run(request({bind("/a", "/")}), facts()),
                    Equals("mount target / is the root filesystem itself (set with rootfs), not a mount target"));
  CHECK_THROWS_WITH(plan_run(request({bind("/a", "/proc")}), facts()),
                    Equals("mount target /proc is mounted by hutch itself; mount below it instead"));
  CHECK_THROWS_WITH(plan_run(request({bind("/a", "x")}), facts()),
                    Equals("mount target \"x\": \"x\" is not an absolute path"));
  CHECK_THROWS_WITH(plan_run(request({bind("rel", "/x")}), facts()),
                    Equals("bind source \"rel\" for /x is not an absolute path"));
}

TEST_CASE("plan: network modes", "[unit][plan]") {
  RunRequest r = request();
  r.policy.network = Network::Host;
  r.policy.mount_sys = true;
  Plan p = plan_run(r, facts({"/sys"}));
  CHECK((p.clone_flags & CLONE_NEWNET) == 0);
  CHECK(step_at(p, "/sys").kind == StepKind::Bind);  // sysfs needs our own netns
  r.policy.network = Network::None;
  Plan q = plan_run(r, facts({"/sys"}));
  CHECK((q.clone_flags & CLONE_NEWNET) != 0);
  CHECK(step_at(q, "/sys").kind == StepKind::Sysfs);
  CHECK(step_at(q, "/sys").readonly);
}

TEST_CASE("plan: environment precedence is --env over --env-pass over defaults", "[unit][plan]") {
  RunRequest r = request();
  r.tty = true;
  r.policy.env_pass = {"LANG", "SECRET", "MISSING"};
  r.policy.env = {{"SECRET", "override"}, {"PATH", "/bin"}};
  r.policy.user.uid = 1000;
  Plan p = plan_run(r, facts());
  CHECK(p.env == std::vector<std::string>{"HOME=/", "LANG=C.UTF-8", "PATH=/bin", "SECRET=override", "TERM=screen"});
  r.policy.env = {{"BAD=NAME", "x"}};
  CHECK_THROWS_WITH(plan_run(r, facts()),
                    Equals("environment: \"BAD=NAME\" is not a valid variable name (expected NAME without '=' or control characters)"));
}

TEST_CASE("plan: command, hostname, ids and workdir are validated", "[unit][plan]") {
  RunRequest r = request();
  r.argv.clear();
  CHECK_THROWS_WITH(plan_run(r, facts()), Catch::Matchers::StartsWith("no command given"));
  r = request();
  r.policy.hostname = std::string(65, 'a');
  CHECK_THROWS_WITH(plan_run(r, facts()), Catch::Matchers::EndsWith("is not a valid hostname (expected 1-64 letters, digits, '-' or '.')"));
  r = request();
  r.policy.workdir = "work";
  CHECK_THROWS_WITH(plan_run(r, facts()), Equals("workdir: \"work\" is not an absolute path"));
  r = request();
  r.policy.rootfs = "relative/root";
  CHECK_THROWS_WITH(plan_run(r, facts()), Equals("rootfs \"relative/root\" is not an absolute path"));
  r = request();
  r.tty = true;
  HostFacts h = facts();
  h.terminal_size = TerminalSize{30, 100};
  Plan p = plan_run(r, h);
  REQUIRE(p.tty_size.has_value());
  CHECK(p.tty_size->cols == 100);
}

TEST_CASE("plan: host paths are the ones the supervisor found, with their inodes", "[unit][plan]") {
  HostFacts h = facts();
  h.rootfs = HostPath{"/real/root", 1, 2};
  Plan p = plan_run(request({bind("/data", "/tmp/data")}), h);
  CHECK(p.root.rootfs.path == "/real/root");
  CHECK(p.root.rootfs.ino == 2);
  const MountStep& data = step_at(p, "/tmp/data");
  CHECK(data.source == "/data");
  CHECK(data.host_source.path == "/canonical/data");
  CHECK(data.host_source.dev == 7);
  CHECK(data.host_source.ino == 42);
  // The host's device nodes are trusted paths, not checked by inode.
  CHECK(step_at(p, "/dev/null").host_source.path == "/dev/null");
  CHECK(step_at(p, "/dev/null").host_source.ino == 0);
}

TEST_CASE("plan: hutch's own mounts refuse symlinks, user mounts follow them inside the root", "[unit][plan]") {
  Plan p = plan_run(request({bind("/data", "/data")}), facts({"/data"}));
  for (const MountStep& s : p.mounts) {
    INFO(s.target);
    CHECK(s.no_symlinks == (s.target != "/data"));
  }
}

TEST_CASE("plan: nested user namespaces are forbidden unless the policy allows them", "[unit][plan]") {
  CHECK_FALSE(plan_run(request(), facts()).allow_nested_userns);
  RunRequest r = request();
  r.policy.nested_user_namespaces = true;
  CHECK(plan_run(r, facts()).allow_nested_userns);
}

TEST_CASE("plan: an overlay root is refused when the rootfs has filesystems mounted below it", "[unit][plan]") {
  HostFacts h = facts();
  h.rootfs_submounts = [] { return std::vector<std::string>{"/srv/root/proc", "/srv/root/sys"}; };
  // Nothing missing: no overlay, the submounts come along with the recursive bind.
  CHECK_FALSE(plan_run(request(), h).root.overlay);
  CHECK_THROWS_WITH(plan_run(request({bind("/data", "/data")}), h),
                    Equals("rootfs /srv/root: the mount point /data is missing from it, and other filesystems are "
                           "mounted below it (/srv/root/proc, ...), which the overlay hutch would put on top cannot "
                           "carry; create /data in the root filesystem or mount somewhere that exists"));
}

TEST_CASE("plan: the signals the caller ignores stay ignored", "[unit][plan]") {
  HostFacts h = facts();
  h.ignored_signals = {1, 13};
  CHECK(plan_run(request(), h).ignored_signals == std::vector<int>{1, 13});
}

TEST_CASE("plan: limits become rlimits, and those not enforced yet are refused", "[unit][plan]") {
  RunRequest r = request();
  r.policy.limits.memory = 256u << 20;
  r.policy.limits.processes = 10;
  r.policy.limits.cpu_time = std::chrono::milliseconds(1001);
  const Plan p = plan_run(r, facts());
  const auto find = [&](int resource) {
    for (const hutch::limits::Rlimit& l : p.limits.rlimits) {
      if (l.resource == resource) return std::optional(l);
    }
    return std::optional<hutch::limits::Rlimit>();
  };
  REQUIRE(find(RLIMIT_AS));
  CHECK(find(RLIMIT_AS)->soft == 256u << 20);
  CHECK(find(RLIMIT_NPROC)->soft == 11);  // init is one more process of the same user
  CHECK(find(RLIMIT_CPU)->soft == 2);     // whole seconds, rounded up
  CHECK(find(RLIMIT_CPU)->hard == 3);
  CHECK(find(RLIMIT_CORE)->hard == 0);
  CHECK_FALSE(find(RLIMIT_NOFILE));
  r.policy.init = false;
  CHECK(plan_run(r, facts()).limits.rlimits.front().resource == RLIMIT_AS);
  // Without a delegated cgroup: what only a cgroup can do is refused, naming why.
  const std::pair<const char*, const char*> refused[] = {
      {"swap", "limits.swap: it limits swap on top of limits.memory, which is not set"},
      {"cpus", "limits.cpus: it needs the cpu controller of a delegated cgroup"},
      {"cpuset", "limits.cpuset: it needs the cpuset controller of a delegated cgroup"}};
  for (const auto& [key, message] : refused) {
    RunRequest q = request();
    if (std::string(key) == "swap") q.policy.limits.swap = 0;
    if (std::string(key) == "cpus") q.policy.limits.cpus_millis = 500;
    if (std::string(key) == "cpuset") q.policy.limits.cpuset = "0";
    CHECK_THROWS_WITH(plan_run(q, facts()), Catch::Matchers::StartsWith(std::string(message) + "; hutch will not run "
                                                                                              "without it"));
  }
}

TEST_CASE("plan: the seccomp program notifies the supervisor, or without init kills by itself", "[unit][plan]") {
  const auto returns_notify = [](const hutch::seccomp::Program& p) {
    return std::any_of(p.begin(), p.end(), [](const sock_filter& in) {
      return in.code == (BPF_RET | BPF_K) && (in.k & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_USER_NOTIF;
    });
  };
  const hutch::seccomp::Compiled with_init = compile_seccomp(plan_run(request(), facts()));
  CHECK(with_init.uses_notify);  // other architectures take the kill action, always
  CHECK(returns_notify(with_init.program));
  CHECK_FALSE(returns_notify(hutch::seccomp::without_notify(with_init.program)));
  RunRequest r = request();
  r.policy.init = false;
  const hutch::seccomp::Compiled without = compile_seccomp(plan_run(r, facts()));
  CHECK_FALSE(without.uses_notify);
  CHECK_FALSE(returns_notify(without.program));
}

TEST_CASE("plan: seccomp rules libseccomp cannot combine are refused, naming the policy and the call", "[unit][plan]") {
  using hutch::seccomp::Condition;
  using hutch::seccomp::Op;
  RunRequest r = request();
  r.policy.seccomp.rules.push_back(hutch::seccomp::Rule{"dup3", {hutch::seccomp::Action::Kind::Errno, 9}, {}});
  r.policy.seccomp.rules.push_back(hutch::seccomp::Rule{
      "dup3", {hutch::seccomp::Action::Kind::Errno, 13}, {Condition{0, Op::Ge, 1, 0, "1", ""}, Condition{2, Op::Lt, 2, 0, "2", ""}}});
  r.policy.seccomp.rules.push_back(hutch::seccomp::Rule{
      "dup3", {hutch::seccomp::Action::Kind::Errno, 1}, {Condition{1, Op::Masked, 1, 3, "1", "3"}}});
  CHECK_THROWS_WITH(compile_seccomp(plan_run(r, facts())),
                    "policy: seccomp: libseccomp cannot combine the rules for dup3 (conditions that overlap with "
                    "different actions); simplify them");
}

TEST_CASE("plan: Landlock rules mirror the mounts", "[unit][plan]") {
  using namespace hutch::landlock;
  Plan p = plan_run(request({bind("/data", "/work"), bind("/src", "/src", true), bind("/x.conf", "/etc/x.conf")}),
                    facts({"/work", "/src", "/etc/x.conf"}));
  std::vector<std::string> paths;
  for (const Rule& r : p.landlock) paths.push_back(r.path);
  // /proc/sys and the like, the sealed /dev and --ro-bind /src add nothing to the root's.
  CHECK(paths == std::vector<std::string>{"/", "/proc", "/dev/null", "/dev/zero", "/dev/full", "/dev/random",
                                          "/dev/urandom", "/dev/tty", "/dev/pts", "/dev/shm", "/tmp", "/work",
                                          "/etc/x.conf"});
  CHECK(p.landlock.front().access == kReadOnly);
  CHECK(p.landlock[1].access == kProc);
  CHECK(p.landlock[2].access == (right::kReadFile | right::kWriteFile | right::kIoctlDev));
  CHECK(p.landlock[9].access == (kAll & ~right::kExecute));  // /dev/shm is noexec
  CHECK(p.landlock[10].access == kAll);
  CHECK(p.landlock[11].access == kAll);
  CHECK(p.landlock[12].access == kFileRights);  // a file: file rights only
}

TEST_CASE("plan: no Landlock when the policy lets nested sandboxes mount", "[unit][plan]") {
  using hutch::seccomp::Action;
  RunRequest req = request();
  req.policy.nested_user_namespaces = true;
  CHECK_FALSE(plan_run(req, facts()).landlock.empty());  // mount stays refused by the baseline
  req.policy.seccomp.rules.push_back({"mount", Action{Action::Kind::Allow, 0}, {}});
  CHECK(plan_run(req, facts()).landlock.empty());  // Landlock would refuse what the policy allows
  req.policy.nested_user_namespaces = false;
  CHECK_FALSE(plan_run(req, facts()).landlock.empty());  // without capabilities no mount works anyway
  req.policy.nested_user_namespaces = true;
  req.policy.seccomp.rules.back().action = Action{Action::Kind::Errno, 1};
  CHECK_FALSE(plan_run(req, facts()).landlock.empty());
}
