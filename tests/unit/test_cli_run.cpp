#include <catch2/catch.hpp>

#include "cli/cli.hpp"
#include "cli/run.hpp"
#include "util/error.hpp"

using hutch::cli::parse_run_args;
using hutch::cli::UsageError;
using hutch::policy::MountType;
using hutch::policy::Network;
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

}  // namespace

TEST_CASE("run args: options end at the command, its own options are left alone", "[unit][cli]") {
  auto a = parse_run_args({"--rootfs", "/r", "ls", "-l", "--rootfs", "x"}, "/cwd");
  CHECK(a.request.argv == Strings{"ls", "-l", "--rootfs", "x"});
  CHECK(a.request.policy.rootfs == "/r");
  auto b = parse_run_args({"--", "-weird-name", "--help"}, "/cwd");
  CHECK(b.request.argv == Strings{"-weird-name", "--help"});
  CHECK_FALSE(b.help);
}

TEST_CASE("run args: every option lands in the policy", "[unit][cli]") {
  auto a = parse_run_args({"--rootfs=root", "--bind", "src:/src", "--ro-bind", "/etc/hosts", "--tmpfs", "/scratch:1M",
                           "--sys", "--net", "host", "--uid", "1000", "--gid", "100", "--hostname", "box", "-e", "A=1",
                           "--env", "B=2", "--env-pass", "LANG", "-w", "/src", "-it", "--", "make"},
                          "/home/ann");
  const auto& p = a.request.policy;
  CHECK(p.rootfs == "/home/ann/root");
  REQUIRE(p.mounts.size() == 3);
  CHECK(p.mounts[0].source == "/home/ann/src");
  CHECK(p.mounts[0].target == "/src");
  CHECK_FALSE(p.mounts[0].readonly);
  CHECK(p.mounts[1].target == "/etc/hosts");
  CHECK(p.mounts[1].readonly);
  CHECK(p.mounts[2].type == MountType::Tmpfs);
  CHECK(p.mount_sys);
  CHECK(p.network == Network::Host);
  CHECK(p.user.uid == 1000);
  CHECK(p.user.gid == 100);
  CHECK(p.hostname == "box");
  CHECK(p.env == std::map<std::string, std::string>{{"A", "1"}, {"B", "2"}});
  CHECK(p.env_pass == Strings{"LANG"});
  CHECK(p.workdir == "/src");
  CHECK(a.request.interactive);
  CHECK(a.request.tty);
  CHECK(a.request.argv == Strings{"make"});
}

TEST_CASE("run args: -v counts, and defaults stay safe", "[unit][cli]") {
  CHECK(parse_run_args({"-v", "true"}, "/").verbosity == 1);
  CHECK(parse_run_args({"-vv", "true"}, "/").verbosity == 2);
  CHECK(parse_run_args({"-v", "--verbose", "true"}, "/").verbosity == 2);
  auto a = parse_run_args({"true"}, "/");
  CHECK(a.verbosity == 0);
  CHECK_FALSE(a.request.tty);
  CHECK_FALSE(a.request.interactive);
  CHECK_FALSE(a.request.policy.rootfs.has_value());
  CHECK(a.request.policy.network == Network::Loopback);
  CHECK(a.request.policy.mounts.empty());
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
}

TEST_CASE("run args: bad values name the option", "[unit][cli]") {
  CHECK_THROWS_WITH(parse_run_args({"--uid", "root", "true"}, "/"),
                    "--uid \"root\": expected a number from 0 to 4294967294");
  CHECK_THROWS_WITH(parse_run_args({"--net", "bridge", "true"}, "/"), "--net \"bridge\": expected none, loopback or host");
}
