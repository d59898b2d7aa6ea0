#include "caps/caps.hpp"

#include <cap-ng.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "util/error.hpp"
#include "util/log.hpp"

namespace hutch::caps {
namespace {

// Every capability number the kernel knows is in the bounding set or not; past the
// last one PR_CAPBSET_READ fails with EINVAL.
bool any_bounding_or_ambient() {
  for (int cap = 0;; ++cap) {
    const int in_bounding = ::prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
    if (in_bounding < 0) return false;
    if (in_bounding == 1) return true;
    if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, cap, 0, 0) == 1) return true;
  }
}

bool any_in_process_sets() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  if (::syscall(SYS_capget, &header, data) != 0) return true;  // cannot tell: assume the worst
  for (const auto& d : data) {
    if (d.effective != 0 || d.permitted != 0 || d.inheritable != 0) return true;
  }
  return false;
}

}  // namespace

void drop_all() {
  // libcap-ng keeps the pid its last capget/capset targeted; aim at ourselves whatever
  // ran before in this memory.
  capng_setpid(static_cast<int>(::getpid()));
  capng_clear(CAPNG_SELECT_ALL);
  // capng_apply drops the bounding set first (which still needs CAP_SETPCAP), then the
  // permitted/effective/inheritable sets, then the ambient set.
  const int rc = capng_apply(CAPNG_SELECT_ALL);
  if (rc != 0) {
    throw Error("drop capabilities: libcap-ng capng_apply failed (code " + std::to_string(rc) + ")",
                errno != 0 ? errno : EPERM);
  }
  // Trust, but verify against the kernel's view: a partial drop must never go unnoticed.
  if (any_in_process_sets() || any_bounding_or_ambient()) throw Error("drop capabilities: some remain", EPERM);
  log::debug("caps: all sets cleared");
}

void set_no_new_privs() {
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) throw_sys("prctl", "PR_SET_NO_NEW_PRIVS");
}

void verify_unprivileged() {
  if (any_in_process_sets() || any_bounding_or_ambient()) {
    throw Error("the command would start with capabilities; refusing", EPERM);
  }
  if (::prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1) throw Error("no_new_privs is not set; refusing", EPERM);
}

}  // namespace hutch::caps
