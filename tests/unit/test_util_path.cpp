#include <catch2/catch.hpp>

#include "util/error.hpp"
#include "util/path.hpp"

using namespace hutch::path;
using Catch::Matchers::Equals;

TEST_CASE("path: normalize_absolute collapses slashes and dots", "[unit][path]") {
  CHECK(normalize_absolute("/") == "/");
  CHECK(normalize_absolute("//") == "/");
  CHECK(normalize_absolute("/a//b/./c/") == "/a/b/c");
  CHECK(normalize_absolute("/./x") == "/x");
}

TEST_CASE("path: relative paths and '..' are refused", "[unit][path]") {
  CHECK_THROWS_WITH(normalize_absolute("a/b"), Equals("\"a/b\" is not an absolute path"));
  CHECK_THROWS_WITH(normalize_absolute(""), Equals("\"\" is not an absolute path"));
  CHECK_THROWS_WITH(normalize_absolute("/a/../b"), Equals("\"/a/../b\" contains \"..\""));
  CHECK_THROWS_WITH(normalize_absolute(std::string("/a\0b", 4)), Equals("path contains a NUL byte"));
}

TEST_CASE("path: components and is_under", "[unit][path]") {
  CHECK(components("/").empty());
  CHECK(components("/a/bc/d") == std::vector<std::string_view>{"a", "bc", "d"});
  CHECK(is_under("/a/b", "/a"));
  CHECK(is_under("/a", "/a"));
  CHECK(is_under("/anything", "/"));
  CHECK_FALSE(is_under("/ab", "/a"));
  CHECK_FALSE(is_under("/a", "/a/b"));
}

TEST_CASE("path: control characters are refused", "[unit][path]") {
  CHECK_THROWS_WITH(normalize_absolute("/a\rb"), Equals("\"/a\\rb\" contains a control character"));
  CHECK_THROWS_WITH(normalize_absolute("/a\nb"), Equals("\"/a\\nb\" contains a control character"));
  CHECK(normalize_absolute("/é/ü") == "/é/ü");  // UTF-8 is fine
}
