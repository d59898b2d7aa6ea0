// Pure parsers for the values of run's options (--bind, --tmpfs, --env, --uid, --net).
// They turn user-written text into policy pieces or throw hutch::Error saying what was
// expected; fuzz/fuzz_cli_specs.cpp exercises them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "policy/schema.hpp"

namespace hutch::cli {

// "SRC:DST" or "SRC" (same path inside). A relative SRC is taken relative to cwd.
policy::Mount parse_bind_spec(std::string_view text, bool readonly, std::string_view cwd);
// "DST" or "DST:SIZE" (SIZE like 64M).
policy::Mount parse_tmpfs_spec(std::string_view text);
// "KEY=VALUE"
std::pair<std::string, std::string> parse_env_spec(std::string_view text);
// a uid or gid: 0 to 4294967294
std::uint32_t parse_id(std::string_view text, std::string_view what);
// none | loopback | host
policy::Network parse_network(std::string_view text);

}  // namespace hutch::cli
