// Named groups of system calls (`@file-system`, `@network-io`, ...), after systemd's
// SystemCallFilter= sets, written down for hutch: docs/seccomp.md lists every member,
// and `hutch policy seccomp --groups` prints them from this table.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hutch::seccomp {

struct Group {
  std::string_view name;         // with the '@'
  std::string_view description;
  std::string_view members;      // names and @groups, separated by spaces
};

// Every group, in the order the docs list them. `@known` (every name libseccomp
// knows, seccomp/syscalls.hpp) is not in this table: its members come from libseccomp.
const std::vector<Group>& groups();

const Group* find_group(std::string_view name);

// "@network-io" -> its system calls, groups expanded, sorted, without duplicates.
// Names a group lists that this libseccomp does not know are left out.
// Throws hutch::Error for an unknown group.
std::vector<std::string> expand_group(std::string_view name);

std::optional<std::string> nearest_group(std::string_view name);

}  // namespace hutch::seccomp
