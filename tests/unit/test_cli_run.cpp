#include <catch2/catch.hpp>

#include "cli/cli.hpp"
#include "cli/run.hpp"
#include "util/error.hpp"

using hutch::cli::apply_overrides;
using hutch::cli::parse_run_args;
using hutch::cli::UsageError;
using hutch::policy::Mount;
using hutch::policy::MountType;
using hutch::policy::Network;
using hutch::policy::Policy;
using Strings = std::vector<std::string>;

namespace {

std::string usage_error(const Strings& tokens) {
  try {
    parse_run_args(tokens, "/cwd");
  } catch (const UsageError& e) {
    return e.message;
  }
  return "(no usage error)";
}

Policy overridden(const Strings& tokens, Policy base = {}) {
  apply_overrides(parse_run_args(tokens, "/home/ann").overrides, base);
  return base;
}

}  // namespace

TEST_CASE("run args: options end at the command, its own options are left alone", "[unit][cli]") {
  auto a = parse_run_args({"--rootfs", "/r", "ls", "-l", "--rootfs", "x"}, "/cwd");
  CHECK(a.argv == Strings{"ls", "-l", "--rootfs", "x"});
  CHECK(a.overrides.rootfs == "/r");
  auto b = parse_run_args({"--", "-weird-name", "--help"}, "/cwd");
  CHECK(b.argv == Strings{"-weird-name", "--help"});
  CHECK_FALSE(b.help);
}

TEST_CASE("run args: every option lands in the policy", "[unit][cli]") {
  auto a = parse_run_args({"--policy", "judge", "--rootfs=root", "--bind", "src:/src", "--ro-bind", "/etc/hosts",
                           "--tmpfs", "/scratch:1M", "--sys", "--net", "host", "--uid", "1000", "--gid", "100",
                           "--hostname", "box", "-e", "A=1", "--env", "B=2", "--env-pass", "LANG", "-w", "/src",
                           "--no-init", "--allow-nested-userns", "-it", "--", "make"},
                          "/home/ann");
  CHECK(a.policy == "judge");
  CHECK(a.interactive);
  CHECK(a.tty);
  CHECK(a.argv == Strings{"make"});
  Policy p;
  apply_overrides(a.overrides, p);
  CHECK(p.rootfs == "/home/ann/root");
  REQUIRE(p.mounts.size() == 3);
  CHECK(p.mounts[0].source == "/home/ann/src");
  CHECK(p.mounts[0].target == "/src");
  CHECK_FALSE(p.mounts[0].readonly);
  CHECK(p.mounts[1].target == "/etc/hosts");
  CHECK(p.mounts[1].readonly);
  CHECK(p.mounts[2].type == MountType::Tmpfs);
  CHECK(p.mount_sys);
  CHECK(p.nested_user_namespaces);
  CHECK_FALSE(p.init);
  CHECK(p.network == Network::Host);
  CHECK(p.user.uid == 1000);
  CHECK(p.user.gid == 100);
  CHECK(p.hostname == "box");
  CHECK(p.env == std::map<std::string, std::string>{{"A", "1"}, {"B", "2"}});
  CHECK(p.env_pass == Strings{"LANG"});
  CHECK(p.workdir == "/src");
}

TEST_CASE("run args: flags override the policy, mounts by target", "[unit][cli]") {
  Policy base;
  base.hostname = "judge";
  base.env = {{"A", "policy"}, {"KEEP", "1"}};
  base.env_pass = {"LANG"};
  Mount work;
  work.type = MountType::Tmpfs;
  work.target = "/work";
  base.mounts = {work};
  Policy p = overridden({"--bind", "sub:/work", "-e", "A=flag", "--env-pass", "LANG", "--env-pass", "TZ", "true"}, base);
  CHECK(p.hostname == "judge");  // untouched
  REQUIRE(p.mounts.size() == 1);  // the bind replaced the policy's tmpfs at /work
  CHECK(p.mounts[0].type == MountType::Bind);
  CHECK(p.mounts[0].source == "/home/ann/sub");
  CHECK(p.env == std::map<std::string, std::string>{{"A", "flag"}, {"KEEP", "1"}});
  CHECK(p.env_pass == Strings{"LANG", "TZ"});
}

TEST_CASE("run args: -v counts, and defaults stay safe", "[unit][cli]") {
  CHECK(parse_run_args({"-v", "true"}, "/").verbosity == 1);
  CHECK(parse_run_args({"-vv", "true"}, "/").verbosity == 2);
  CHECK(parse_run_args({"-v", "--verbose", "true"}, "/").verbosity == 2);
  auto a = parse_run_args({"true"}, "/");
  CHECK(a.verbosity == 0);
  CHECK_FALSE(a.tty);
  CHECK_FALSE(a.interactive);
  CHECK_FALSE(a.policy.has_value());
  const Policy p = overridden({"true"});
  CHECK_FALSE(p.rootfs.has_value());
  CHECK(p.network == Network::Loopback);
  CHECK(p.mounts.empty());
  CHECK(p.init);
}

TEST_CASE("run args: mistakes are usage errors with Boost's wording", "[unit][cli]") {
  CHECK(usage_error({}) == "no command given");
  CHECK(usage_error({"--rootfs", "/r"}) == "no command given");
  CHECK(usage_error({"--bogus", "true"}) == "unrecognised option '--bogus'");
  CHECK(usage_error({"--rootfs"}) == "the required argument for option '--rootfs' is missing");
  CHECK(usage_error({"--root", "/r", "true"}) == "unrecognised option '--root'");  // no abbreviations
  CHECK(usage_error({"--rootfs", "/a", "--rootfs", "/b", "true"}) ==
        "option '--rootfs' cannot be specified more than once");
  CHECK(parse_run_args({"--help"}, "/").help);
  CHECK_THROWS_AS(parse_run_args({"--hostname", "x", "extra"}, "/", false), UsageError);
  CHECK(parse_run_args({"--hostname", "x"}, "/", false).argv.empty());
}

TEST_CASE("run args: bad values name the option", "[unit][cli]") {
  CHECK_THROWS_WITH(parse_run_args({"--uid", "root", "true"}, "/"),
                    "--uid \"root\": expected a number from 0 to 4294967294");
  CHECK_THROWS_WITH(parse_run_args({"--net", "bridge", "true"}, "/"), "--net \"bridge\": expected none, loopback or host");
}
