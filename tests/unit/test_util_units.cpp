#include <catch2/catch.hpp>

#include "util/error.hpp"
#include "util/units.hpp"

using hutch::units::format_size;
using hutch::units::parse_size;
using Catch::Matchers::Equals;

TEST_CASE("units: sizes with a unit parse as powers of 1024", "[unit][units]") {
  CHECK(parse_size("0B") == 0);
  CHECK(parse_size("4096B") == 4096);
  CHECK(parse_size("512K") == 512 * 1024ull);
  CHECK(parse_size("512k") == 512 * 1024ull);
  CHECK(parse_size("64M") == 64ull << 20);
  CHECK(parse_size("1G") == 1ull << 30);
  CHECK(parse_size("2T") == 2ull << 40);
  CHECK(parse_size("8388608T") == 1ull << 63);
}

TEST_CASE("units: bad sizes say what was expected", "[unit][units]") {
  CHECK_THROWS_WITH(parse_size("256"), Equals("expected a size like 64M, got \"256\" (no unit; use B, K, M, G or T)"));
  CHECK_THROWS_WITH(parse_size("lots"), Equals("expected a size like 64M, got \"lots\" (it must start with a number)"));
  CHECK_THROWS_WITH(parse_size(""), Equals("expected a size like 64M, got \"\" (empty)"));
  CHECK_THROWS_WITH(parse_size("1.5G"), Equals("expected a size like 64M, got \"1.5G\" (the unit must be one of B, K, M, G, T)"));
  CHECK_THROWS_WITH(parse_size("64MB"), Equals("expected a size like 64M, got \"64MB\" (the unit must be one of B, K, M, G, T)"));
  CHECK_THROWS_WITH(parse_size("-1M"), Equals("expected a size like 64M, got \"-1M\" (it must start with a number)"));
  CHECK_THROWS_WITH(parse_size("8388609T"), Equals("expected a size like 64M, got \"8388609T\" (too large)"));
  CHECK_THROWS_WITH(parse_size("99999999999999999999B"), Equals("expected a size like 64M, got \"99999999999999999999B\" (too large)"));
}

TEST_CASE("units: format_size is the shortest exact spelling and round-trips", "[unit][units]") {
  CHECK(format_size(0) == "0B");
  CHECK(format_size(1000) == "1000B");
  CHECK(format_size(1024) == "1K");
  CHECK(format_size(64ull << 20) == "64M");
  CHECK(format_size((1ull << 30) + 1024) == "1048577K");
  for (std::uint64_t v : {1ull, 1023ull, 4096ull, 3ull << 30, 1ull << 63}) CHECK(parse_size(format_size(v)) == v);
}

using hutch::units::format_duration;
using hutch::units::parse_duration;
using std::chrono::milliseconds;

TEST_CASE("units: durations", "[unit][units]") {
  CHECK(parse_duration("1500ms") == milliseconds(1500));
  CHECK(parse_duration("2s") == milliseconds(2000));
  CHECK(parse_duration("1.5s") == milliseconds(1500));
  CHECK(parse_duration("0.001s") == milliseconds(1));
  CHECK(parse_duration("10m") == milliseconds(600000));
  CHECK(parse_duration("1.25h") == milliseconds(4500000));
  CHECK(parse_duration("0s") == milliseconds(0));
  CHECK(format_duration(milliseconds(1500)) == "1500ms");
  CHECK(format_duration(milliseconds(2000)) == "2s");
  CHECK(format_duration(milliseconds(0)) == "0ms");
  CHECK(format_duration(milliseconds(7200000)) == "2h");
}

TEST_CASE("units: bad durations say what was expected", "[unit][units]") {
  CHECK_THROWS_WITH(parse_duration("2"), Equals("expected a duration like 2s or 1500ms, got \"2\" (no unit; use ms, s, m or h)"));
  CHECK_THROWS_WITH(parse_duration("soon"), Equals("expected a duration like 2s or 1500ms, got \"soon\" (it must start with a number)"));
  CHECK_THROWS_WITH(parse_duration("2d"), Equals("expected a duration like 2s or 1500ms, got \"2d\" (the unit must be one of ms, s, m, h)"));
  CHECK_THROWS_WITH(parse_duration("1.5ms"), Equals("expected a duration like 2s or 1500ms, got \"1.5ms\" (at most 3 decimals, and none for ms)"));
  CHECK_THROWS_WITH(parse_duration("1.2345s"), Equals("expected a duration like 2s or 1500ms, got \"1.2345s\" (at most 3 decimals, and none for ms)"));
  CHECK_THROWS_WITH(parse_duration("1.s"), Equals("expected a duration like 2s or 1500ms, got \"1.s\" (at most 3 decimals, and none for ms)"));
  CHECK_THROWS_WITH(parse_duration("1..5s"), Equals("expected a duration like 2s or 1500ms, got \"1..5s\" (at most 3 decimals, and none for ms)"));
  CHECK_THROWS_WITH(parse_duration("-1s"), Equals("expected a duration like 2s or 1500ms, got \"-1s\" (it must start with a number)"));
  CHECK_THROWS_WITH(parse_duration("99999999999999999h"), Equals("expected a duration like 2s or 1500ms, got \"99999999999999999h\" (too large)"));
  CHECK_THROWS_WITH(parse_duration(""), Equals("expected a duration like 2s or 1500ms, got \"\" (empty)"));
}
