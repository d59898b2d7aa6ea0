#include <catch2/catch.hpp>

#include "ns/userns.hpp"

TEST_CASE("userns: id map lines", "[unit][userns]") {
  CHECK(hutch::ns::format_id_map({0, 1000, 1}) == "0 1000 1\n");
  CHECK(hutch::ns::format_id_map({65534, 4294967294u, 1}) == "65534 4294967294 1\n");
}
