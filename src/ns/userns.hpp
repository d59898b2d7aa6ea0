// User namespace setup, done by the supervisor for its child (user_namespaces(7)):
// setgroups is denied, then one gid and one uid are mapped. An unprivileged process may
// map exactly its own ids, and only after writing "deny" to setgroups.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace hutch::ns {

struct IdMap {
  std::uint32_t inside = 0;
  std::uint32_t outside = 0;
  std::uint32_t count = 1;
};

// "0 1000 1\n": the line written to uid_map or gid_map. Pure.
std::string format_id_map(const IdMap& map);

// runs in: supervisor, after clone3 and before sync #1
void write_id_maps(pid_t child, const IdMap& uid_map, const IdMap& gid_map);

}  // namespace hutch::ns
