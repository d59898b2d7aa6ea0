// Policy text -> layer -> Policy, merge rules and the emitter. The exact messages of
// malformed files are tested through the binary (tests/policies/malformed).
#include <catch2/catch.hpp>

#include "policy/emit.hpp"
#include "policy/layer.hpp"
#include "policy/merge.hpp"

using namespace hutch::policy;
using Catch::Matchers::Equals;

namespace {

const Substitutions kSubst{"/home/ann/project", "/home/ann"};

PolicyLayer parse(const std::string& text) { return parse_policy(text, "t.yaml", "/etc/hutch", kSubst); }

Policy resolve(std::initializer_list<std::string> texts_root_first) {
  Policy p;
  for (const std::string& t : texts_root_first) apply_layer(p, parse(t));
  return p;
}

std::string error_of(const std::string& text) {
  try {
    parse(text);
  } catch (const PolicyError& e) {
    return e.message();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("policy: every key of version 1", "[unit][policy]") {
  const Policy p = resolve({R"(
version: 1
description: all keys
rootfs: {path: ../roots/debian}
user: {uid: 1000, gid: 100}
hostname: box
namespaces: {nested_user: true}
network: host
mounts:
  - {type: bind, source: ./data, target: /data}
  - {type: bind, source: "${CWD}/out", target: /out, readonly: false}
  - {type: bind, source: /opt/tools, target: /tools, optional: true}
  - {type: tmpfs, target: /scratch, size: 64M, mode: "0700"}
  - {type: sysfs}
env: {A: "1", B: two}
env_pass: [LANG, TZ]
workdir: /data/
init: false
)"});
  CHECK(p.description == "all keys");
  CHECK(p.rootfs == "/etc/hutch/../roots/debian");  // relative to the file's folder
  CHECK(p.user.uid == 1000);
  CHECK(p.user.gid == 100);
  CHECK(p.hostname == "box");
  CHECK(p.nested_user_namespaces);
  CHECK(p.network == Network::Host);
  REQUIRE(p.mounts.size() == 4);
  CHECK(p.mounts[0].source == "/etc/hutch/./data");
  CHECK(p.mounts[0].readonly);  // binds are read-only unless they say otherwise
  CHECK(p.mounts[1].source == "/home/ann/project/out");
  CHECK_FALSE(p.mounts[1].readonly);
  CHECK(p.mounts[2].optional);
  CHECK(p.mounts[3].type == MountType::Tmpfs);
  CHECK(p.mounts[3].size == (64u << 20));
  CHECK(p.mounts[3].mode == 0700u);
  CHECK(p.mount_sys);
  CHECK(p.env == std::map<std::string, std::string>{{"A", "1"}, {"B", "two"}});
  CHECK(p.env_pass == std::vector<std::string>{"LANG", "TZ"});
  CHECK(p.workdir == "/data");
  CHECK_FALSE(p.init);
}

TEST_CASE("policy: an almost empty file keeps every safe default", "[unit][policy]") {
  const Policy p = resolve({"version: 1\n"});
  const Policy defaults;
  CHECK(p.hostname == defaults.hostname);
  CHECK(p.network == Network::Loopback);
  CHECK_FALSE(p.nested_user_namespaces);
  CHECK(p.mounts.empty());
  CHECK(p.init);
}

TEST_CASE("policy: extends merges maps key by key and mounts by target", "[unit][policy]") {
  const Policy p = resolve({
      "version: 1\nhostname: parent\nuser: {uid: 1000, gid: 1000}\nenv: {A: a, B: b}\nenv_pass: [LANG]\n"
      "mounts:\n  - {type: tmpfs, target: /work}\n  - {type: tmpfs, target: /tmp, size: 1M}\n",
      "version: 1\nuser: {gid: 5}\nenv: {B: child, C: c}\nenv_pass: [TZ, LANG]\n"
      "mounts:\n  - {type: bind, source: /src, target: /work}\n  - {type: tmpfs, target: /new}\n"});
  CHECK(p.hostname == "parent");
  CHECK(p.user.uid == 1000);
  CHECK(p.user.gid == 5);
  CHECK(p.env == std::map<std::string, std::string>{{"A", "a"}, {"B", "child"}, {"C", "c"}});
  CHECK(p.env_pass == std::vector<std::string>{"LANG", "TZ"});
  REQUIRE(p.mounts.size() == 3);
  CHECK(p.mounts[0].type == MountType::Bind);  // replaced in place
  CHECK(p.mounts[0].target == "/work");
  CHECK(p.mounts[1].target == "/tmp");
  CHECK(p.mounts[2].target == "/new");
}

TEST_CASE("policy: !reset replaces an inherited list or map", "[unit][policy]") {
  const std::string parent =
      "version: 1\nenv: {A: a}\nenv_pass: [LANG]\nmounts:\n  - {type: tmpfs, target: /work}\n  - {type: sysfs}\n";
  const Policy cleared = resolve({parent, "version: 1\nmounts: !reset []\nenv: !reset {}\nenv_pass: !reset\n"});
  CHECK(cleared.mounts.empty());
  CHECK_FALSE(cleared.mount_sys);
  CHECK(cleared.env.empty());
  CHECK(cleared.env_pass.empty());
  const Policy replaced = resolve({parent, "version: 1\nmounts: !reset\n  - {type: tmpfs, target: /other}\n"});
  REQUIRE(replaced.mounts.size() == 1);
  CHECK(replaced.mounts[0].target == "/other");
}

TEST_CASE("policy: extends is recorded with where it was written", "[unit][policy]") {
  const PolicyLayer l = parse("version: 1\nextends: judge\n");
  CHECK(l.extends == "judge");
  CHECK(l.extends_at.line == 2);
  CHECK(l.extends_at.column == 10);
}

TEST_CASE("policy: every error of a file comes at once", "[unit][policy]") {
  CHECK_THROWS_WITH(parse("version: 1\nhostname: [x]\nnetwork: 3\ninit: 1\n"),
                    Equals("t.yaml:2:11: hostname: expected a string, got a list\n"
                           "t.yaml:3:10: network: expected none, loopback or host, got \"3\"\n"
                           "t.yaml:4:7: init: expected true or false, got \"1\""));
}

TEST_CASE("policy: numbers, booleans and sizes are strict", "[unit][policy]") {
  CHECK(error_of("version: 1\nuser: {uid: 1e3}\n") ==
        "t.yaml:2:13: user.uid: expected a number from 0 to 4294967294, got \"1e3\"");
  CHECK(error_of("version: 1\nuser: {uid: 4294967295}\n") ==
        "t.yaml:2:13: user.uid: expected a number from 0 to 4294967294, got \"4294967295\"");
  CHECK(error_of("version: 1\ninit: True\n") == "t.yaml:2:7: init: expected true or false, got \"True\"");
  CHECK(error_of("version: 1\nmounts:\n  - {type: tmpfs, target: /t, size: 256}\n") ==
        "t.yaml:3:37: mounts[0].size: expected a size like 64M, got \"256\" (no unit; use B, K, M, G or T)");
  CHECK(error_of("version: 1\nhostname:\n") == "t.yaml:2:1: hostname: expected a string, got nothing");
}

TEST_CASE("policy: limits parse sizes, durations, counts and CPUs one way", "[unit][policy]") {
  const Policy p = resolve({R"(
version: 1
limits:
  memory: 256M
  swap: 0B
  processes: 64
  cpu_time: 1.5s
  wall_time: 1500ms
  cpus: 0.25
  cpuset: 0-1,3
  output: 1M
  file_size: 16M
  open_files: 3
  stack: 8M
)"});
  const Limits& l = p.limits;
  CHECK(l.memory == (256u << 20));
  CHECK(l.swap == 0u);
  CHECK(l.processes == 64u);
  CHECK(l.cpu_time == std::chrono::milliseconds(1500));
  CHECK(l.wall_time == std::chrono::milliseconds(1500));
  CHECK(l.cpus_millis == 250u);
  CHECK(l.cpuset == "0-1,3");
  CHECK(l.output == (1u << 20));
  CHECK(l.file_size == (16u << 20));
  CHECK(l.open_files == 3u);
  CHECK(l.stack == (8u << 20));
  CHECK(resolve({"version: 1\nlimits: {cpus: 2}\n"}).limits.cpus_millis == 2000u);
  CHECK(resolve({"version: 1\nlimits: {cpus: 4096.000}\n"}).limits.cpus_millis == 4096000u);
  CHECK_FALSE(Policy{}.limits.any());
  CHECK(l.any());
  CHECK(error_of("version: 1\nlimits: {cpus: 0}\n") ==
        "t.yaml:2:16: limits.cpus: expected a number of CPUs like 1 or 1.5 (0.001 to 4096), got \"0\"");
  CHECK(error_of("version: 1\nlimits: {cpus: 1.}\n").find("got \"1.\"") != std::string::npos);
  CHECK(error_of("version: 1\nlimits: {cpus: 4097}\n").find("got \"4097\"") != std::string::npos);
  CHECK(error_of("version: 1\nlimits: {cpuset: \"0,,1\"}\n").find("got \"0,,1\"") != std::string::npos);
  CHECK(error_of("version: 1\nlimits: {cpuset: 8192}\n").find("got \"8192\"") != std::string::npos);
  CHECK(error_of("version: 1\nlimits: {wall_time: 0s}\n") ==
        "t.yaml:2:21: limits.wall_time: expected a duration of at least 1ms, got \"0s\"");
  CHECK(error_of("version: 1\nlimits: {memory: 0B}\n") ==
        "t.yaml:2:18: limits.memory: expected a size of at least 1B, got \"0B\"");
}

TEST_CASE("policy: limits merge key by key and !reset clears them", "[unit][policy]") {
  const std::string parent = "version: 1\nlimits: {memory: 256M, wall_time: 10s}\n";
  const Policy merged = resolve({parent, "version: 1\nlimits: {memory: 1G, processes: 10}\n"});
  CHECK(merged.limits.memory == (1u << 30));
  CHECK(merged.limits.wall_time == std::chrono::seconds(10));
  CHECK(merged.limits.processes == 10u);
  const Policy cleared = resolve({parent, "version: 1\nlimits: !reset\n"});
  CHECK_FALSE(cleared.limits.any());
  const Policy replaced = resolve({parent, "version: 1\nlimits: !reset {processes: 5}\n"});
  CHECK_FALSE(replaced.limits.memory);
  CHECK(replaced.limits.processes == 5u);
}

TEST_CASE("policy: the emitter writes what the loader reads back", "[unit][policy]") {
  const Policy p = resolve({R"(
version: 1
description: "quotes \" and: colons"
rootfs: {path: "/roots/with space"}
user: {uid: 7, gid: 8}
hostname: h.example
namespaces: {nested_user: true}
network: none
mounts:
  - {type: bind, source: "/a b/c", target: /x, readonly: false, optional: true}
  - {type: tmpfs, target: /t, size: 1536K, mode: "1777"}
  - {type: sysfs}
env: {"EMPTY": "", COLON: "a: b", HASH: "#x"}
env_pass: [LANG]
workdir: /x
init: false
preferred: [limits.cpus, limits.swap]
limits: {memory: 1536K, swap: 0B, processes: 9, cpu_time: 1500ms, wall_time: 2m, cpus: 1.05, cpuset: "0,2-3",
         output: 1G, file_size: 1B, open_files: 64, stack: 8M}
)"});
  const std::string text = emit_policy(p, "a comment");
  const Policy again = resolve({text});
  CHECK(again.description == p.description);
  CHECK(again.rootfs == p.rootfs);
  CHECK(again.user.uid == 7);
  CHECK(again.hostname == p.hostname);
  CHECK(again.nested_user_namespaces);
  CHECK(again.network == Network::None);
  REQUIRE(again.mounts.size() == 2);
  CHECK(again.mounts[0].source == "/a b/c");
  CHECK_FALSE(again.mounts[0].readonly);
  CHECK(again.mounts[0].optional);
  CHECK(again.mounts[1].size == 1536u * 1024);
  CHECK(again.mounts[1].mode == 01777u);
  CHECK(again.mount_sys);
  CHECK(again.env == p.env);
  CHECK(again.env_pass == p.env_pass);
  CHECK(again.preferred == std::vector<std::string>{"limits.cpus", "limits.swap"});
  CHECK(again.workdir == "/x");
  CHECK_FALSE(again.init);
  CHECK(again.limits.memory == p.limits.memory);
  CHECK(again.limits.swap == 0u);
  CHECK(again.limits.processes == 9u);
  CHECK(again.limits.cpu_time == p.limits.cpu_time);
  CHECK(again.limits.wall_time == std::chrono::minutes(2));
  CHECK(again.limits.cpus_millis == 1050u);
  CHECK(again.limits.cpuset == "0,2-3");
  CHECK(again.limits.output == p.limits.output);
  CHECK(again.limits.file_size == 1u);
  CHECK(again.limits.open_files == 64u);
  CHECK(again.limits.stack == p.limits.stack);
  CHECK(emit_policy(again, "a comment") == text);
}

TEST_CASE("policy: preferred names what a run may go without, added to by extends, cleared by !reset", "[unit][policy]") {
  const std::string parent = "version: 1\npreferred: [limits.cpus]\n";
  CHECK(resolve({parent}).preferred == std::vector<std::string>{"limits.cpus"});
  CHECK(resolve({parent, "version: 1\npreferred: [limits.cpuset, limits.cpus]\n"}).preferred ==
        std::vector<std::string>{"limits.cpus", "limits.cpuset"});
  CHECK(resolve({parent, "version: 1\npreferred: !reset [limits.swap]\n"}).preferred ==
        std::vector<std::string>{"limits.swap"});
  CHECK(resolve({"version: 1\n"}).preferred.empty());  // every limit a policy names is required
  CHECK(error_of("version: 1\npreferred: [limits.memory]\n") ==
        "t.yaml:2:13: preferred[0]: limits.memory is always enforced (by rlimits or the supervisor at least); only "
        "limits.cpus, limits.cpuset and limits.swap can be missing on a machine");
  CHECK(error_of("version: 1\npreferred: [limits.cpus, landlock]\n") ==
        "t.yaml:2:26: preferred[1]: expected limits.cpus, limits.cpuset or limits.swap, got \"landlock\"");
}
