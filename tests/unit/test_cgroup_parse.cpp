// What the kernel's cgroup files say and what hutch makes of them (cgroup/parse.cpp),
// with the files of a pure cgroup v2 host, of this project's hybrid CI machine and of a
// container. Pure: no cgroup is touched.
#include <catch2/catch.hpp>

#include "cgroup/parse.hpp"
#include "mount/mountinfo.hpp"

using namespace hutch;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using cgroup::Controller;

namespace {

// A systemd host with cgroup v2 only (Debian 12, Fedora, Ubuntu 22.04+).
const char* const kPureV2Mountinfo =
    "22 28 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n"
    "26 22 0:23 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 "
    "rw,nsdelegate,memory_recursiveprot\n";
const char* const kPureV2ProcSelfCgroup = "0::/user.slice/user-1000.slice/user@1000.service/app.slice/run-r3b2.scope\n";

// This project's CI machine: controllers on v1, a v2 hierarchy beside them.
const char* const kHybridMountinfo =
    "30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";
const char* const kHybridProcSelfCgroup =
    "9:name=systemd:/\n8:pids:/\n4:memory:/process_api/4eedf8\n1:cpu:/\n0::/hutch-test-v2/test-77/self\n";

cgroup::V2Facts delegated_scope(const char* procs) {
  cgroup::V2Facts f;
  f.dir = "/sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service/app.slice/run-r3b2.scope";
  f.dir_writable = f.procs_writable = f.subtree_control_writable = true;
  f.controllers = "cpuset cpu io memory hugetlb pids rdma misc\n";
  f.procs = procs;
  f.self = 4242;
  f.swap_max = true;
  return f;
}

}  // namespace

TEST_CASE("cgroup parse: the v2 path of /proc/self/cgroup", "[unit][cgroup]") {
  CHECK(cgroup::parse_v2_path(kPureV2ProcSelfCgroup) ==
        "/user.slice/user-1000.slice/user@1000.service/app.slice/run-r3b2.scope");
  CHECK(cgroup::parse_v2_path(kHybridProcSelfCgroup) == "/hutch-test-v2/test-77/self");
  CHECK(cgroup::parse_v2_path("0::/") == "/");
  // v1 only: no "0::" line; a v1 line with an empty controller list is not v2's.
  CHECK_FALSE(cgroup::parse_v2_path("4:memory:/a\n1:name=systemd:/\n"));
  CHECK_FALSE(cgroup::parse_v2_path("10::/x\n"));
  CHECK_FALSE(cgroup::parse_v2_path(""));
  CHECK_FALSE(cgroup::parse_v2_path("0::"));
}

TEST_CASE("cgroup parse: where the caller's cgroup v2 is mounted", "[unit][cgroup]") {
  const auto pure = mount::parse_mountinfo(kPureV2Mountinfo);
  CHECK(cgroup::resolve_v2_dir(pure, "/user.slice/u.scope") == "/sys/fs/cgroup/user.slice/u.scope");
  CHECK(cgroup::resolve_v2_dir(pure, "/") == "/sys/fs/cgroup");
  const auto hybrid = mount::parse_mountinfo(kHybridMountinfo);
  CHECK(cgroup::resolve_v2_dir(hybrid, "/hutch-test-v2/test-77/self") ==
        "/sys/fs/cgroup/unified/hutch-test-v2/test-77/self");
  // v1 hierarchies are never taken for v2.
  CHECK_FALSE(cgroup::resolve_v2_dir(
      mount::parse_mountinfo("31 30 0:28 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n"), "/"));
  // A container that was given its own subtree, bound at /sys/fs/cgroup.
  const auto bound = mount::parse_mountinfo("50 40 0:23 /docker/abc /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n");
  CHECK(cgroup::resolve_v2_dir(bound, "/docker/abc/sub") == "/sys/fs/cgroup/sub");
  CHECK(cgroup::resolve_v2_dir(bound, "/docker/abc") == "/sys/fs/cgroup");
  CHECK_FALSE(cgroup::resolve_v2_dir(bound, "/docker/abcd"));
  CHECK_FALSE(cgroup::resolve_v2_dir(bound, "/system.slice"));
  // Outside this cgroup namespace (the kernel shows the way up with "..").
  CHECK_FALSE(cgroup::resolve_v2_dir(pure, "/../../user.slice"));
}

TEST_CASE("cgroup parse: controllers, pids and keyed files", "[unit][cgroup]") {
  CHECK(cgroup::parse_controllers("cpuset cpu io memory hugetlb pids rdma misc\n") ==
        std::set<Controller>{Controller::Memory, Controller::Pids, Controller::Cpu, Controller::Cpuset});
  CHECK(cgroup::parse_controllers("hugetlb\n").empty());  // this project's CI machine
  CHECK(cgroup::parse_controllers("").empty());
  CHECK(cgroup::parse_controllers("cpuacct memoryx") == std::set<Controller>{});  // v1 names are not v2's
  CHECK(cgroup::controller_list({Controller::Memory, Controller::Pids}, '+') == "+memory +pids");
  CHECK(cgroup::controller_list({Controller::Cpu}, '-') == "-cpu");

  CHECK(cgroup::parse_pids("4242\n17\n") == std::vector<pid_t>{4242, 17});
  CHECK(cgroup::parse_pids("").empty());
  CHECK(cgroup::parse_pids("0\n") == std::vector<pid_t>{0});  // another pid namespace's
  CHECK(cgroup::parse_pids("x\n") == std::vector<pid_t>{0});

  const char* cpu_stat =
      "usage_usec 1234567\nuser_usec 1000000\nsystem_usec 234567\nnr_periods 0\nnr_throttled 0\nthrottled_usec 0\n";
  CHECK(cgroup::parse_keyed(cpu_stat, "usage_usec") == 1234567u);
  CHECK(cgroup::parse_keyed(cpu_stat, "system_usec") == 234567u);
  CHECK_FALSE(cgroup::parse_keyed(cpu_stat, "usage"));
  const char* memory_events = "low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\noom_group_kill 0\n";
  CHECK(cgroup::parse_keyed(memory_events, "oom_kill") == 1u);
  CHECK(cgroup::parse_keyed(memory_events, "max") == 12u);
  // v1's memory.oom_control has the same shape.
  CHECK(cgroup::parse_keyed("oom_kill_disable 0\nunder_oom 0\noom_kill 3\n", "oom_kill") == 3u);
  CHECK_FALSE(cgroup::parse_keyed("oom_kill many\n", "oom_kill"));
  CHECK_FALSE(cgroup::parse_keyed("oom_kill 1 2\n", "oom_kill"));
  CHECK_FALSE(cgroup::parse_keyed("", "oom_kill"));
}

TEST_CASE("cgroup parse: a delegated v2 cgroup, alone in it or not", "[unit][cgroup]") {
  std::string note;
  // `systemd-run --user --scope -p Delegate=yes hutch ...`: hutch alone in its scope.
  const auto alone = cgroup::resolve_v2_delegation(delegated_scope("4242\n"), note);
  REQUIRE(alone);
  CHECK(note.empty());
  CHECK(alone->alone());
  CHECK(alone->swap);
  CHECK(alone->usable() ==
        std::set<Controller>{Controller::Memory, Controller::Pids, Controller::Cpu, Controller::Cpuset});
  // A shell in the same cgroup: delegated, but no controller can be enabled.
  const auto shared = cgroup::resolve_v2_delegation(delegated_scope("4242\n17\n"), note);
  REQUIRE(shared);
  CHECK(shared->other_processes == 1);
  CHECK(shared->usable().empty());
  CHECK(shared->offered.size() == 4);
  CHECK_THAT(note, StartsWith(delegated_scope("").dir + " holds 1 other process, so hutch cannot enable its "
                                                        "controllers [memory pids cpu cpuset] for runs there"));
  CHECK_THAT(note, Contains("systemd-run --user --scope -p Delegate=yes hutch"));
}

TEST_CASE("cgroup parse: a cgroup v2 that is not delegated, or offers nothing", "[unit][cgroup]") {
  std::string note;
  cgroup::V2Facts f = delegated_scope("4242\n");
  f.procs_writable = false;  // a session scope owned by root
  CHECK_FALSE(cgroup::resolve_v2_delegation(f, note));
  CHECK(note == f.dir + " is not delegated to this user (it cannot write " + f.dir + "/cgroup.procs)");
  f = delegated_scope("4242\n");
  f.subtree_control_writable = false;
  CHECK_FALSE(cgroup::resolve_v2_delegation(f, note));
  CHECK_THAT(note, Contains("/cgroup.subtree_control)"));
  f = delegated_scope("4242\n");
  f.dir_writable = false;
  CHECK_FALSE(cgroup::resolve_v2_delegation(f, note));
  CHECK(note == f.dir + " is not delegated to this user (it cannot write " + f.dir + ")");
  // This project's CI machine: delegated by the tests, but only hugetlb is on v2.
  f = delegated_scope("4242\n99\n");
  f.controllers = "hugetlb\n";
  f.swap_max = false;
  const auto hybrid = cgroup::resolve_v2_delegation(f, note);
  REQUIRE(hybrid);
  CHECK(hybrid->offered.empty());
  CHECK(note == f.dir +
                    " offers no controller hutch uses (its cgroup.controllers: [hugetlb]): runs get a cgroup v2 "
                    "leaf for CPU time, placement and clean-up only");
}
