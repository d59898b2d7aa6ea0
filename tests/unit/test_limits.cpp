// Which mechanism enforces each limit (limits/limits.cpp) on hosts with cgroup v2, v1,
// both or neither, and the cgroup delegation file (cgroup/config.cpp). Pure: no cgroup
// is touched.
#include <sys/resource.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include <set>

#include <catch2/catch.hpp>

#include "cgroup/config.hpp"
#include "limits/address_space.hpp"
#include "limits/limits.hpp"
#include "util/error.hpp"

using namespace hutch;
using Catch::Matchers::StartsWith;

namespace {

limits::HostLimits v1_host(std::initializer_list<cgroup::Controller> controllers, bool memsw = true) {
  limits::HostLimits h;
  for (cgroup::Controller c : controllers) h.delegation.v1_dirs[c] = std::string("/sys/fs/cgroup/x/hutch/u");
  h.delegation.memsw = memsw;
  return h;
}

// A cgroup v2 delegation as detection makes it (cgroup/parse.cpp).
limits::HostLimits v2_host(std::set<cgroup::Controller> offered, std::size_t others, bool swap = true) {
  limits::HostLimits h;
  h.delegation.v2 = cgroup::V2Delegation{"/sys/fs/cgroup/user.slice/run-r1.scope", std::move(offered), others, swap};
  return h;
}

const limits::Applied* applied(const limits::LimitsPlan& p, const std::string& key) {
  for (const limits::Applied& a : p.applied) {
    if (a.key == key) return &a;
  }
  return nullptr;
}

bool has_rlimit(const limits::LimitsPlan& p, int resource) {
  for (const limits::Rlimit& r : p.rlimits) {
    if (r.resource == resource) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("limits: a delegated cgroup takes memory, processes and CPU time from the rlimits", "[unit][limits]") {
  using C = cgroup::Controller;
  policy::Limits l;
  l.memory = 64u << 20;
  l.swap = 16u << 20;
  l.processes = 10;
  l.cpu_time = std::chrono::milliseconds(500);
  l.cpus_millis = 1500;
  l.cpuset = "0";
  const limits::LimitsPlan p = limits::plan_limits(l, v1_host({C::Memory, C::Pids, C::Cpu, C::Cpuacct, C::Cpuset}), true);
  REQUIRE(p.cgroup);
  CHECK(p.cgroup->memory == 64u << 20);
  CHECK(p.cgroup->swap == 16u << 20);  // v1 writes memsw = memory + swap
  CHECK(p.cgroup->pids_max == 11);  // init counts
  CHECK(p.cgroup->cpus_millis == 1500);
  CHECK(p.cgroup->cpuset == "0");
  CHECK(p.cpu_time_by_cgroup);
  CHECK(applied(p, "memory")->backend == "cgroup-v1");
  CHECK(applied(p, "cpuset")->text == "0");
  // The cgroup counts memory, not address space: no RLIMIT_AS. RLIMIT_CPU stays as a backstop.
  CHECK_FALSE(has_rlimit(p, RLIMIT_AS));
  CHECK(has_rlimit(p, RLIMIT_CPU));
  CHECK(has_rlimit(p, RLIMIT_NPROC));
}

TEST_CASE("limits: without a delegation, rlimits, and what only a cgroup does is refused", "[unit][limits]") {
  policy::Limits l;
  l.memory = 64u << 20;
  l.processes = 10;
  const limits::LimitsPlan p = limits::plan_limits(l, {}, false);
  CHECK_FALSE(p.cgroup);
  CHECK(applied(p, "memory")->backend == "rlimit");
  CHECK(applied(p, "processes")->backend == "rlimit");
  CHECK(has_rlimit(p, RLIMIT_AS));
  l.swap = 0;
  CHECK_THROWS_WITH(limits::plan_limits(l, {}, false), StartsWith("limits.swap: it needs the memory controller"));
  // Swap on, no swap accounting: swap cannot be kept off.
  policy::Limits m;
  m.memory = 64u << 20;
  limits::HostLimits h = v1_host({cgroup::Controller::Memory}, false);
  h.swap_active = true;
  CHECK_THROWS_WITH(limits::plan_limits(m, h, false), StartsWith("limits.swap: this machine has swap but no swap "
                                                                   "accounting (v1 memory.memsw, v2 memory.swap.max), "
                                                                   "so swap cannot be limited (0 unless given)"));
  // Preferred: memory is limited, swap is not, and the plan says so.
  const limits::LimitsPlan without_swap = limits::plan_limits(m, h, false, {"limits.swap"});
  CHECK(applied(without_swap, "memory")->backend == "cgroup-v1");
  CHECK(applied(without_swap, "swap") == nullptr);
  REQUIRE(without_swap.missing.size() == 1);
  CHECK(without_swap.missing[0].key == "limits.swap");
  h.swap_active = false;
  CHECK_FALSE(limits::plan_limits(m, h, false).cgroup->swap);
}

TEST_CASE("limits: hutch alone in a delegated cgroup v2 puts every cgroup limit there", "[unit][limits]") {
  using C = cgroup::Controller;
  policy::Limits l;
  l.memory = 64u << 20;
  l.processes = 10;
  l.cpu_time = std::chrono::milliseconds(500);
  l.cpus_millis = 1500;
  l.cpuset = "0-1";
  const limits::LimitsPlan p = limits::plan_limits(l, v2_host({C::Memory, C::Pids, C::Cpu, C::Cpuset}, 0), true);
  REQUIRE(p.cgroup);
  CHECK(p.cgroup->memory == 64u << 20);
  CHECK(p.cgroup->swap == 0u);  // swap off unless asked: memory.swap.max = 0
  CHECK(p.cgroup->pids_max == 11);
  CHECK(p.cgroup->cpus_millis == 1500);
  CHECK(p.cgroup->cpuset == "0-1");
  CHECK(p.cpu_time_by_cgroup);
  for (const char* key : {"memory", "swap", "processes", "cpu_time", "cpus", "cpuset"}) {
    INFO(key);
    CHECK(applied(p, key)->backend == "cgroup-v2");
  }
  CHECK_FALSE(has_rlimit(p, RLIMIT_AS));
  // Swap asked for: memory.swap.max is the swap alone (v1's memsw adds the memory).
  l.swap = 16u << 20;
  CHECK(limits::plan_limits(l, v2_host({C::Memory, C::Pids, C::Cpu, C::Cpuset}, 0), true).cgroup->swap == 16u << 20);
}

TEST_CASE("limits: a cgroup v2 shared with other processes gives CPU time only", "[unit][limits]") {
  using C = cgroup::Controller;
  policy::Limits l;
  l.memory = 64u << 20;
  l.processes = 10;
  l.cpu_time = std::chrono::milliseconds(500);
  const limits::HostLimits shared = v2_host({C::Memory, C::Pids, C::Cpu, C::Cpuset}, 3);
  const limits::LimitsPlan p = limits::plan_limits(l, shared, true);
  REQUIRE(p.cgroup);  // a leaf all the same: CPU time, placement, clean-up
  CHECK_FALSE(p.cgroup->memory);
  CHECK_FALSE(p.cgroup->pids_max);
  CHECK(applied(p, "memory")->backend == "rlimit");
  CHECK(applied(p, "processes")->backend == "rlimit");
  CHECK(applied(p, "cpu_time")->backend == "cgroup-v2");  // cpu.stat needs no controller
  CHECK(p.cpu_time_by_cgroup);
  CHECK(has_rlimit(p, RLIMIT_AS));
  l.cpus_millis = 500;
  CHECK_THROWS_WITH(limits::plan_limits(l, shared, true), StartsWith("limits.cpus: it needs the cpu controller"));
}

TEST_CASE("limits: on a hybrid host, v1 controllers and v2 CPU time", "[unit][limits]") {
  using C = cgroup::Controller;
  // This project's CI machine with both delegations: v2 offers none of the controllers.
  limits::HostLimits h = v1_host({C::Memory, C::Pids, C::Cpu, C::Cpuacct, C::Cpuset});
  h.delegation.v2 = v2_host({}, 0).delegation.v2;
  policy::Limits l;
  l.memory = 64u << 20;
  l.processes = 10;
  l.cpu_time = std::chrono::milliseconds(500);
  l.cpus_millis = 1000;
  l.cpuset = "0";
  const limits::LimitsPlan p = limits::plan_limits(l, h, true);
  CHECK(applied(p, "memory")->backend == "cgroup-v1");
  CHECK(applied(p, "processes")->backend == "cgroup-v1");
  CHECK(applied(p, "cpus")->backend == "cgroup-v1");
  CHECK(applied(p, "cpuset")->backend == "cgroup-v1");
  CHECK(applied(p, "cpu_time")->backend == "cgroup-v2");
  CHECK(h.delegation.backend(C::Cpuacct) == cgroup::Backend::V2);
  // Were memory on v2 as well (it cannot be on both), v2 would have it.
  h.delegation.v2->offered = {C::Memory};
  CHECK(h.delegation.backend(C::Memory) == cgroup::Backend::V2);
  CHECK(h.delegation.backend(C::Pids) == cgroup::Backend::V1);
}

TEST_CASE("limits: cgroup v2 without swap accounting", "[unit][limits]") {
  policy::Limits m;
  m.memory = 64u << 20;
  limits::HostLimits h = v2_host({cgroup::Controller::Memory}, 0, false);
  h.swap_active = true;
  CHECK_THROWS_WITH(limits::plan_limits(m, h, false), StartsWith("limits.swap: this machine has swap but no swap "
                                                                   "accounting (v1 memory.memsw, v2 memory.swap.max)"));
  h.swap_active = false;
  const limits::LimitsPlan p = limits::plan_limits(m, h, false);
  CHECK(p.cgroup->memory == 64u << 20);
  CHECK_FALSE(p.cgroup->swap);
  CHECK(applied(p, "memory")->backend == "cgroup-v2");
  // Without any delegation: no cgroup at all.
  CHECK_FALSE(limits::plan_limits(m, {}, false).cgroup);
}

TEST_CASE("cgroup config: v1 path expanded and checked, errors name file and line", "[unit][limits]") {
  const cgroup::Config c = cgroup::parse_config("# comment\n\nv1 = hutch/${USER}-${UID}  # trailing\n", "/etc/x.conf",
                                                "alice", 1001);
  CHECK(c.file == "/etc/x.conf");
  CHECK(c.v1_path == "hutch/alice-1001");
  CHECK_FALSE(cgroup::parse_config("", "f", "a", 1).v1_path);
  CHECK_THROWS_WITH(cgroup::parse_config("v1 = /abs\n", "f", "a", 1),
                    "f:1: v1: expected a directory relative to each controller's hierarchy, like hutch/${USER}, got "
                    "\"/abs\"");
  CHECK_THROWS_WITH(cgroup::parse_config("\nv1 = hutch/../x\n", "f", "a", 1), StartsWith("f:2: v1: expected a relative "
                                                                                       "path of letters"));
  CHECK_THROWS_WITH(cgroup::parse_config("v1 = a//b\n", "f", "a", 1), StartsWith("f:1: v1: expected a relative path"));
  CHECK_THROWS_WITH(cgroup::parse_config("v3 = x\n", "f", "a", 1), "f:1: unknown key \"v3\" (expected v1 or v2)");
  CHECK_THROWS_WITH(cgroup::parse_config("v1\n", "f", "a", 1), "f:1: expected KEY = VALUE, got \"v1\"");
  CHECK_THROWS_WITH(cgroup::parse_config("v1 = a\nv1 = b\n", "f", "a", 1), "f:2: v1: given twice");
  // v2: auto (the default) or off, once.
  CHECK(cgroup::parse_config("", "f", "a", 1).v2);
  CHECK(cgroup::parse_config("v2 = auto\n", "f", "a", 1).v2);
  const cgroup::Config off = cgroup::parse_config("v1 = hutch/${USER}\n  v2=off # not here\n", "f", "a", 1);
  CHECK_FALSE(off.v2);
  CHECK(off.v2_line == 2);
  CHECK(off.v1_path == "hutch/a");
  CHECK_THROWS_WITH(cgroup::parse_config("v2 = no\n", "f", "a", 1), "f:1: v2: expected auto or off, got \"no\"");
  CHECK_THROWS_WITH(cgroup::parse_config("v2 = Off\n", "f", "a", 1), "f:1: v2: expected auto or off, got \"Off\"");
  CHECK_THROWS_WITH(cgroup::parse_config("v2 = off\nv2 = auto\n", "f", "a", 1), "f:2: v2: given twice");
  // A user name that is not a safe path component is refused after expansion.
  CHECK_THROWS(cgroup::parse_config("v1 = hutch/${USER}\n", "f", "..", 1));
  CHECK_THROWS(cgroup::parse_config("v1 = hutch/${USER}\n", "f", "a b", 1));
}

TEST_CASE("limits: memory by RLIMIT_AS is watched only where a listener can be had", "[unit][limits]") {
  policy::Limits l;
  l.memory = 64 << 20;
  CHECK(limits::plan_limits(l, {}, true).watch_address_space);
  CHECK_FALSE(limits::plan_limits(l, {}, false).watch_address_space);  // init: false: no listener
  CHECK_FALSE(limits::plan_limits(l, v1_host({cgroup::Controller::Memory}), true).watch_address_space);  // the cgroup says
  CHECK_FALSE(limits::plan_limits(policy::Limits{}, {}, true).watch_address_space);
}

TEST_CASE("limits: what a watched call would add to the address space", "[unit][limits]") {
  using limits::growth;
  constexpr std::uint64_t kPage = 4096;
  const auto call = [](int nr, std::uint64_t a0, std::uint64_t a1 = 0, std::uint64_t a2 = 0, std::uint64_t a3 = 0) {
    seccomp_data d{};
    d.nr = nr;
    d.args[0] = a0;
    d.args[1] = a1;
    d.args[2] = a2;
    d.args[3] = a3;
    return d;
  };
  CHECK(growth(call(SYS_mmap, 0, 1, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS), kPage, {}) == kPage);
  CHECK(growth(call(SYS_mmap, 0, 8192, PROT_READ, MAP_PRIVATE), kPage, {}) == 8192);
  CHECK(growth(call(SYS_mmap, 0, ~0ULL, PROT_READ, MAP_PRIVATE), kPage, {}) == ~0ULL / kPage * kPage);
  CHECK_FALSE(growth(call(SYS_mmap, 0x10000, 8192, PROT_READ, MAP_PRIVATE | MAP_FIXED), kPage, {}));  // replaces
  CHECK(growth(call(SYS_mremap, 0x10000, 4096, 10000, MREMAP_MAYMOVE), kPage, {}) == 8192);
  CHECK_FALSE(growth(call(SYS_mremap, 0x10000, 8192, 4096, 0), kPage, {}));  // shrinks
  CHECK(growth(call(SYS_mremap, 0x10000, 8192, 8192, MREMAP_MAYMOVE | MREMAP_DONTUNMAP), kPage, {}) == 8192);
  CHECK(growth(call(SYS_brk, 0x5000 + 1), kPage, 0x3000) == 0x3000);
  CHECK_FALSE(growth(call(SYS_brk, 0x2000), kPage, 0x3000));  // shrinks
  CHECK_FALSE(growth(call(SYS_brk, 0), kPage, 0x3000));       // asks
  CHECK_FALSE(growth(call(SYS_brk, 0x9000), kPage, std::nullopt));
  CHECK_FALSE(growth(call(SYS_getpid, 0), kPage, {}));
}

TEST_CASE("limits: the /proc fields the address-space watch reads, whatever the program named itself", "[unit][limits]") {
  CHECK(limits::statm_pages("2957 1066 768 4 0 113 0\n") == 2957);
  CHECK_FALSE(limits::statm_pages(""));
  CHECK_FALSE(limits::statm_pages("x 1"));
  const std::string maps =
      "00400000-00401000 r--p 00000000 fe:01 1234                               /probe\n"
      "7f0000000000-7f0000001000 rw-p 00000000 00:00 0                          /tmp/a [heap]\n"
      "7f0000001000-7f0000002000 rw-p 00000000 00:00 0                          [anon:[heap]]\n"
      "01d6e000-01d90000 rw-p 00000000 00:00 0                                  [heap]\n"
      "7ffd5d1c0000-7ffd5d1e1000 rw-p 00000000 00:00 0                          [stack]\n";
  CHECK(limits::heap_end(maps) == 0x01d90000);
  CHECK_FALSE(limits::heap_end("01d6e000-01d90000 rw-p 00000000 00:00 0 /x/ [heap]\n"));
  CHECK_FALSE(limits::heap_end("garbage [heap]\n"));
  CHECK_FALSE(limits::heap_end(""));
  // start_brk is field 47; the name (field 2) may hold spaces and parentheses.
  std::string stat = "1234 (a) b) (c) S";
  for (int f = 4; f <= 52; ++f) stat += " " + std::to_string(f == 47 ? 31850496 : f);
  CHECK(limits::start_brk(stat + "\n") == 31850496);
  CHECK_FALSE(limits::start_brk("1234 (a) S 1 2"));
  CHECK_FALSE(limits::start_brk("no parenthesis"));
}

TEST_CASE("limits: a preferred limit this host cannot enforce is left out and listed, a required one stops the run",
          "[unit][limits]") {
  policy::Limits l;
  l.cpus_millis = 1500;
  l.cpuset = "0";
  l.memory = 1 << 30;
  CHECK_THROWS_WITH(limits::plan_limits(l, {}, true), StartsWith("limits.cpus: it needs the cpu controller of a "
                                                                 "delegated cgroup; hutch will not run without it "
                                                                 "(remove it, mark it `preferred: [limits.cpus]`"));
  CHECK_THROWS_WITH(limits::plan_limits(l, {}, true, {"limits.cpus"}), StartsWith("limits.cpuset: "));
  const limits::LimitsPlan p = limits::plan_limits(l, {}, true, {"limits.cpus", "limits.cpuset"});
  REQUIRE(p.missing.size() == 2);
  CHECK(p.missing[0].key == "limits.cpus");
  CHECK(p.missing[0].reason == "it needs the cpu controller of a delegated cgroup");
  CHECK(p.missing[1].key == "limits.cpuset");
  CHECK(applied(p, "cpus") == nullptr);
  CHECK(applied(p, "memory")->backend == "rlimit");
  // Where the host has the controllers, preferred changes nothing.
  using C = cgroup::Controller;
  const limits::LimitsPlan all = limits::plan_limits(l, v1_host({C::Cpu, C::Cpuset, C::Memory}), true, {"limits.cpus"});
  CHECK(all.missing.empty());
  CHECK(applied(all, "cpus")->backend == "cgroup-v1");
}
