// User namespace setup (user_namespaces(7)): setgroups is denied, then one gid and one
// uid are mapped. An unprivileged process may map exactly its own ids, and only after
// writing "deny" to setgroups. The child writes its own maps, as bubblewrap does: no
// round trip to the supervisor on the way to a running sandbox.
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

// runs in: child, first thing after clone3 (it writes /proc/self/{setgroups,gid_map,uid_map})
void write_own_id_maps(const IdMap& uid_map, const IdMap& gid_map);

}  // namespace hutch::ns
