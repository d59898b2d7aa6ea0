#include "ns/userns.hpp"

#include <fcntl.h>

#include <fmt/format.h>

#include "util/error.hpp"
#include "util/log.hpp"
#include "util/sys.hpp"

namespace hutch::ns {

std::string format_id_map(const IdMap& map) {
  return fmt::format("{} {} {}\n", map.inside, map.outside, map.count);
}

void write_own_id_maps(const IdMap& uid_map, const IdMap& gid_map) {
  UniqueFd proc = sys::open("/proc/self", O_PATH | O_DIRECTORY);
  try {
    // ORDER: user_namespaces(7): an unprivileged writer of gid_map must first deny
    // setgroups(2), which also keeps the sandbox from dropping supplementary groups
    // that may be guarding files against this user.
    sys::write_file(proc.get(), "setgroups", "deny");
    sys::write_file(proc.get(), "gid_map", format_id_map(gid_map));
    sys::write_file(proc.get(), "uid_map", format_id_map(uid_map));
  } catch (Error& e) {
    e.prepend(fmt::format("mapping uid {} and gid {} into the sandbox's user namespace", uid_map.outside,
                          gid_map.outside));
    throw;
  }
  log::debug("userns: uid {} -> {}, gid {} -> {}, setgroups deny", uid_map.outside, uid_map.inside,
             gid_map.outside, gid_map.inside);
}

}  // namespace hutch::ns
