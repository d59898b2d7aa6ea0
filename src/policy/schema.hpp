// The one model of what a run may do (DESIGN.md "Policy", docs/policy.md).
//
// Plain structs, no behaviour. Policy files fill them (policy/load.cpp, merged along
// `extends` by policy/merge.cpp); command-line flags are applied onto the result as
// overrides (cli/run.cpp). Every field has the safe default, so an empty Policy is the
// strictest sensible run.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "seccomp/model.hpp"

namespace hutch::policy {

enum class Network {
  None,      // a private network namespace, loopback left down
  Loopback,  // a private network namespace with only `lo`, up (the default)
  Host,      // the caller's network namespace: the one explicit way to share it
};

enum class MountType { Bind, Tmpfs };

struct Mount {
  MountType type = MountType::Bind;
  std::string source;  // bind: host path (absolute once resolved); tmpfs: unused
  std::string target;  // absolute path inside the sandbox
  bool readonly = true;
  bool optional = false;              // bind only: skipped when the source is missing
  std::optional<std::uint64_t> size;  // tmpfs only, bytes
  std::optional<std::uint32_t> mode;  // tmpfs only, permission bits of its root
};

struct User {
  std::uint32_t uid = 0;  // inside the sandbox; the caller's own uid outside
  std::uint32_t gid = 0;
};

// The `limits` section (docs/policy.md). Parsed and validated now; enforcement arrives
// with the resource-limit backends, and until then a run that names any limit is
// refused rather than run without it (runtime/plan.cpp).
struct Limits {
  std::optional<std::uint64_t> memory;      // bytes, the sandbox as a whole
  std::optional<std::uint64_t> swap;        // bytes of swap on top of memory; 0 when unset
  std::optional<std::uint64_t> processes;   // processes and threads together
  std::optional<std::chrono::milliseconds> cpu_time;   // all processes together
  std::optional<std::chrono::milliseconds> wall_time;
  std::optional<std::chrono::milliseconds> extra_time;  // grace past cpu_time and wall_time before the kill
  std::optional<std::uint32_t> cpus_millis; // CPU quota in thousandths of a CPU (cpus: 1.5 -> 1500)
  std::optional<std::string> cpuset;        // "0-1,3", as the kernel writes it
  std::optional<std::uint64_t> output;      // bytes on stdout and stderr together
  std::optional<std::uint64_t> file_size;   // bytes, the largest file the payload may write
  std::optional<std::uint64_t> open_files;  // descriptors per process
  std::optional<std::uint64_t> stack;       // bytes per process

  bool any() const {
    return memory || swap || processes || cpu_time || wall_time || extra_time || cpus_millis || cpuset || output ||
           file_size || open_files || stack;
  }
};

struct Policy {
  std::string description;
  std::optional<std::string> rootfs;  // host directory; unset means the default root
  User user;
  std::string hostname = "hutch";
  Network network = Network::Loopback;
  bool mount_sys = false;             // a read-only /sys; absent unless asked for
  bool nested_user_namespaces = false;  // may the payload create user namespaces?
  std::vector<Mount> mounts;          // in addition to /proc, /dev and /tmp
  std::map<std::string, std::string> env;  // set in the payload's environment
  std::vector<std::string> env_pass;       // copied from the caller's environment
  std::optional<std::string> workdir;      // default "/"
  bool init = true;  // hutch's init as pid 1 (reaps, relays); false: the command is pid 1
  Limits limits;
  // Limits (and, later, protections) the run may go without where this machine cannot
  // provide them: it warns and the result lists them (`missing`). Every other limit a
  // policy names is required: the run fails closed without it.
  std::vector<std::string> preferred;
  // Every name libseccomp knows allowed, the baseline on top, the rest ENOSYS:
  // ordinary software never notices (docs/seccomp.md).
  seccomp::Filter seccomp{.rules = {seccomp::Rule{"@known", {}, {}}}};
};

}  // namespace hutch::policy
