// Integration tests: the real hutch binary, as an unprivileged user, on the real kernel.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <exception>
#include <iostream>

#include "fixture.hpp"
#include "harness.hpp"

#include <string_view>

int main(int argc, char** argv) {
  // CTest's cleanup fixture, as root once every test process is gone (fixture.hpp).
  if (argc == 2 && std::string_view(argv[1]) == "--cleanup-host") return hutch::testing::cleanup_host();
  // CTest discovers the test names at build time: no user, no fixture for that.
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]).starts_with("--list")) return Catch::Session().run(argc, argv);
  }
  try {
    hutch::testing::setup(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "integration test setup failed: " << e.what() << "\n";
    return 1;
  }
  return Catch::Session().run(argc, argv);
}
