// Where hutch may create cgroups for its runs, as an administrator declared it
// (docs/limits.md). cgroup v1 subtrees are delegated by hand (`hutch doctor` prints
// the commands), so hutch reads where from a small file:
//
//   # /etc/hutch/cgroups.conf
//   v1 = hutch/${USER}
//   v2 = auto
//
// `v1` is a directory below each v1 controller's hierarchy (memory, pids, cpu,
// cpuacct, cpuset), owned by the user; ${USER} and ${UID} are the caller's. `v2` says
// whether hutch uses the caller's own cgroup v2 when it is delegated (`auto`, the
// default) or never (`off`). Lines are `KEY = VALUE`, `#` starts a comment.
// $XDG_CONFIG_HOME/hutch/cgroups.conf (or ~/.config/hutch/cgroups.conf) is read first,
// then /etc/hutch/cgroups.conf; the first that exists is the whole configuration.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace hutch::cgroup {

struct Config {
  std::string file;                    // where it was read from; "" when there is none
  std::optional<std::string> v1_path;  // expanded, relative, without ".."
  bool v2 = true;                      // `v2 = auto` (the default); false: `v2 = off`
  std::size_t v2_line = 0;             // the line that said so, 0 when none did
};

// Throws Error("FILE:LINE: KEY: expected ..., got \"...\"") naming the first problem.
Config parse_config(std::string_view text, const std::string& file, const std::string& user, uid_t uid);

// The first file that exists along the search path, parsed; an empty Config when none does.
Config load_config(const std::string& user, uid_t uid);

}  // namespace hutch::cgroup
