#include <catch2/catch.hpp>

#include "mount/mountinfo.hpp"
#include "util/error.hpp"

using namespace hutch::mount;
using Catch::Matchers::Equals;

TEST_CASE("mountinfo: fields, optional fields and escapes", "[unit][mountinfo]") {
  const auto m = parse_mountinfo(
      "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue\n"
      "41 36 0:38 / /home/ann/my\\040dir rw,relatime shared:5 master:7 - tmpfs none rw,size=1024k\n"
      "\n"
      "42 36 0:39 / /tab\\011and\\134slash rw - proc proc rw\n");
  REQUIRE(m.size() == 3);
  CHECK(m[0].id == 36);
  CHECK(m[0].parent == 35);
  CHECK(m[0].device == "98:0");
  CHECK(m[0].root == "/mnt1");
  CHECK(m[0].mount_point == "/mnt2");
  CHECK(m[0].options == "rw,noatime");
  CHECK(m[0].fstype == "ext3");
  CHECK(m[0].source == "/dev/root");
  CHECK(m[0].super_options == "rw,errors=continue");
  CHECK(m[1].mount_point == "/home/ann/my dir");
  CHECK(m[1].fstype == "tmpfs");
  CHECK(m[2].mount_point == "/tab\tand\\slash");
}

TEST_CASE("mountinfo: malformed lines name their number", "[unit][mountinfo]") {
  CHECK_THROWS_WITH(parse_mountinfo("36 35 98:0 / / rw - ext4 /dev/vda rw\nbroken\n"),
                    Equals("mountinfo line 2: expected 10 or more fields with a \"-\" separator"));
  CHECK_THROWS_WITH(parse_mountinfo("x 35 98:0 / / rw - ext4 /dev/vda rw\n"),
                    Equals("mountinfo line 1: mount id \"x\" is not a number"));
  CHECK_THROWS_WITH(parse_mountinfo("36 35 98:0 / / rw shared:1 ext4 /dev/vda rw\n"),
                    Equals("mountinfo line 1: expected 10 or more fields with a \"-\" separator"));
}

TEST_CASE("mountinfo: escapes that are not octal stay as they are", "[unit][mountinfo]") {
  CHECK(unescape_mount_field("a\\0") == "a\\0");
  CHECK(unescape_mount_field("\\400") == "\\400");
  CHECK(unescape_mount_field("\\040x") == " x");
}

TEST_CASE("mountinfo: mounts strictly below a directory", "[unit][mountinfo]") {
  const auto m = parse_mountinfo(
      "1 0 8:1 / / rw - ext4 /dev/sda1 rw\n"
      "2 1 0:5 / /srv/root rw - ext4 /dev/sdb1 rw\n"
      "3 2 0:6 / /srv/root/proc rw - proc proc rw\n"
      "4 1 0:7 / /srv/rootfs rw - tmpfs none rw\n");
  CHECK(mounts_below(m, "/srv/root") == std::vector<std::string>{"/srv/root/proc"});
  CHECK(mounts_below(m, "/") == std::vector<std::string>{"/srv/root", "/srv/root/proc", "/srv/rootfs"});
  CHECK(mounts_below(m, "/srv/rootfs").empty());
}
