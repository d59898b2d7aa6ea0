#include <catch2/catch.hpp>

#include "cli/specs.hpp"
#include "util/error.hpp"

using namespace hutch::cli;
using hutch::policy::MountType;
using hutch::policy::Network;
using Catch::Matchers::Equals;

TEST_CASE("specs: --bind SRC:DST and --bind PATH", "[unit][cli]") {
  auto m = parse_bind_spec("/src:/dst", false, "/cwd");
  CHECK(m.type == MountType::Bind);
  CHECK(m.source == "/src");
  CHECK(m.target == "/dst");
  CHECK_FALSE(m.readonly);
  auto same = parse_bind_spec("/home/ann/work", true, "/cwd");
  CHECK(same.source == "/home/ann/work");
  CHECK(same.target == "/home/ann/work");
  CHECK(same.readonly);
}

TEST_CASE("specs: a relative bind source is relative to the working directory", "[unit][cli]") {
  CHECK(parse_bind_spec("src:/dst", false, "/home/ann").source == "/home/ann/src");
  CHECK(parse_bind_spec("./a/b:/dst//x/", false, "/").source == "/./a/b");
  CHECK(parse_bind_spec("./a/b:/dst//x/", false, "/").target == "/dst/x");
}

TEST_CASE("specs: bad --bind values name the option and the value", "[unit][cli]") {
  CHECK_THROWS_WITH(parse_bind_spec("/src:dst", false, "/"),
                    Equals("--bind \"/src:dst\" (expected SRC:DST or PATH, DST absolute): \"dst\" is not an absolute path"));
  CHECK_THROWS_WITH(parse_bind_spec("/src:", true, "/"),
                    Equals("--ro-bind \"/src:\" (expected SRC:DST or PATH, DST absolute): the target path is empty"));
  CHECK_THROWS_WITH(parse_bind_spec(":/dst", false, "/"),
                    Equals("--bind \":/dst\" (expected SRC:DST or PATH, DST absolute): the source path is empty"));
  // PATH alone: the same absolute path inside, even when given relative.
  CHECK(parse_bind_spec("rel", false, "/cwd").target == "/cwd/rel");
}

TEST_CASE("specs: --tmpfs DST[:SIZE]", "[unit][cli]") {
  auto t = parse_tmpfs_spec("/scratch:64M");
  CHECK(t.type == MountType::Tmpfs);
  CHECK(t.target == "/scratch");
  CHECK(t.size == (64u << 20));
  CHECK_FALSE(parse_tmpfs_spec("/x").size.has_value());
  CHECK_THROWS_WITH(parse_tmpfs_spec("x:1M"), Equals("--tmpfs \"x:1M\" (expected DST or DST:SIZE): \"x\" is not an absolute path"));
}

TEST_CASE("specs: --env, --uid, --net", "[unit][cli]") {
  CHECK(parse_env_spec("A=b=c") == std::pair<std::string, std::string>{"A", "b=c"});
  CHECK(parse_env_spec("EMPTY=") == std::pair<std::string, std::string>{"EMPTY", ""});
  CHECK_THROWS_WITH(parse_env_spec("NOVALUE"), Equals("--env \"NOVALUE\": expected KEY=VALUE"));
  CHECK_THROWS_WITH(parse_env_spec("=x"), Equals("--env \"=x\": expected KEY=VALUE"));
  CHECK(parse_id("0", "--uid") == 0);
  CHECK(parse_id("4294967294", "--uid") == 4294967294u);
  for (const char* bad : {"", "-1", "4294967295", "4294967296", "1x", " 1"}) {
    CHECK_THROWS_WITH(parse_id(bad, "--gid"), Catch::Matchers::StartsWith("--gid \"") &&
                                                   Catch::Matchers::EndsWith("\": expected a number from 0 to 4294967294"));
  }
  CHECK(parse_network("none") == Network::None);
  CHECK(parse_network("loopback") == Network::Loopback);
  CHECK(parse_network("host") == Network::Host);
  CHECK_THROWS_WITH(parse_network("bridge"), Equals("--net \"bridge\": expected none, loopback or host"));
}
