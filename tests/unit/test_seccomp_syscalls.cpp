// System call names, constants and groups (seccomp/syscalls.cpp, seccomp/groups.cpp).
#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <fmt/format.h>

#include "seccomp/groups.hpp"
#include "seccomp/syscalls.hpp"
#include "util/error.hpp"

using namespace hutch::seccomp;
using Catch::Matchers::Equals;

TEST_CASE("seccomp names: every architecture's names, suggestions for the rest", "[unit][seccomp]") {
  CHECK(is_known_syscall("ptrace"));
  CHECK(is_known_syscall("socketcall"));  // i386 only
  CHECK(is_known_syscall("chown32"));     // i386 only
  CHECK_FALSE(is_known_syscall("ptrac"));
  CHECK(nearest_syscall("ptrac") == "ptrace");
  CHECK(nearest_syscall("open_tre") == "open_tree");
  CHECK_FALSE(nearest_syscall("definitely-not-close"));
  CHECK(known_syscalls().size() > 400);
  CHECK(std::is_sorted(known_syscalls().begin(), known_syscalls().end()));
}

TEST_CASE("seccomp names: every member of every group is a system call", "[unit][seccomp]") {
  std::vector<std::string> unknown;
  for (const Group& g : groups()) {
    std::string_view rest = g.members;
    while (!rest.empty()) {
      const std::size_t space = std::min(rest.find(' '), rest.size());
      const std::string name(rest.substr(0, space));
      rest.remove_prefix(std::min(space + 1, rest.size()));
      if (name.front() == '@' ? find_group(name) == nullptr : !is_known_syscall(name)) {
        unknown.push_back(std::string(g.name) + ": " + name);
      }
    }
  }
  CHECK(unknown == std::vector<std::string>{});
}

TEST_CASE("seccomp groups: expanded, nested, sorted", "[unit][seccomp]") {
  const std::vector<std::string> keyring = expand_group("@keyring");
  CHECK(keyring == std::vector<std::string>{"add_key", "keyctl", "request_key"});
  const std::vector<std::string> privileged = expand_group("@privileged");
  CHECK(std::binary_search(privileged.begin(), privileged.end(), "reboot"));  // through @reboot
  CHECK(std::binary_search(privileged.begin(), privileged.end(), "bpf"));
  const std::vector<std::string> service = expand_group("@system-service");
  CHECK(std::binary_search(service.begin(), service.end(), "read"));
  CHECK_FALSE(std::binary_search(service.begin(), service.end(), "mount"));
  CHECK_FALSE(std::binary_search(service.begin(), service.end(), "ptrace"));
  CHECK(expand_group("@known") == known_syscalls());
  CHECK_THROWS_WITH(expand_group("@netwrk-io"), Equals("unknown group @netwrk-io (did you mean @network-io?)"));
}

TEST_CASE("seccomp values: numbers, constants and their | combinations", "[unit][seccomp]") {
  CHECK(parse_value("42") == 42);
  CHECK(parse_value("0x2a") == 42);
  CHECK(parse_value("052") == 42);
  CHECK(parse_value("0") == 0);
  CHECK(parse_value("AF_VSOCK") == 40);
  CHECK(parse_value("CLONE_NEWUSER|CLONE_NEWNS") == (0x10000000u | 0x00020000u));
  CHECK(parse_value("SOCK_STREAM | SOCK_CLOEXEC") == (1u | 02000000u));
  CHECK(parse_value("0xffffffffffffffff") == ~0ull);
  CHECK_THROWS_WITH(parse_value("AF_VSCK"), Equals("unknown constant \"AF_VSCK\" (did you mean AF_VSOCK?)"));
  CHECK_THROWS_WITH(parse_value("0x1ffffffffffffffff"), Equals("\"0x1ffffffffffffffff\" does not fit in 64 bits"));
  CHECK_THROWS_WITH(parse_value("12ab"),
                    Equals("\"12ab\" is not a number (expected 42, 0x2a, 052 or a constant like AF_INET)"));
  CHECK_THROWS_WITH(parse_value("AF_INET|"), Equals("\"AF_INET|\" has an empty part between '|'"));
  CHECK_THROWS(parse_value("08"));
}

TEST_CASE("seccomp groups: docs/seccomp.md lists every group with its members as the code has them",
          "[unit][seccomp]") {
  std::ifstream in(std::string(HUTCH_SOURCE_DIR) + "/docs/seccomp.md");
  REQUIRE(in);
  std::stringstream docs;
  docs << in.rdbuf();
  for (const Group& g : groups()) {
    const std::vector<std::string> members = expand_group(g.name);
    std::string line = fmt::format("- `{}`: {}.  \n  ", g.name, g.description);
    for (std::size_t i = 0; i < members.size(); ++i) line += (i ? " " : "") + members[i];
    INFO(g.name);
    CHECK(docs.str().find(line + "\n") != std::string::npos);
  }
}
