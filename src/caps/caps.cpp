#include "caps/caps.hpp"

#include <cap-ng.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>

#include "util/error.hpp"
#include "util/log.hpp"

namespace hutch::caps {

void drop_all() {
  // libcap-ng keeps the pid its last capget/capset targeted; after a CLONE_VM child
  // (the payload is started that way) it may hold another process's pid, and capset on
  // another process fails with EPERM. Always aim at ourselves.
  capng_setpid(static_cast<int>(::getpid()));
  capng_clear(CAPNG_SELECT_ALL);
  // capng_apply drops the bounding set first (which still needs CAP_SETPCAP), then the
  // permitted/effective/inheritable sets, then the ambient set.
  const int rc = capng_apply(CAPNG_SELECT_ALL);
  if (rc != 0) {
    throw Error("drop capabilities: libcap-ng capng_apply failed (code " + std::to_string(rc) + ")",
                errno != 0 ? errno : EPERM);
  }
  // Trust, but verify: re-read the kernel's view; a partial drop must never go unnoticed.
  if (capng_get_caps_process() != 0) throw Error("drop capabilities: cannot read them back", EIO);
  for (capng_select_t set : {CAPNG_SELECT_CAPS, CAPNG_SELECT_BOUNDS, CAPNG_SELECT_AMBIENT}) {
    if (capng_have_capabilities(set) != CAPNG_NONE) throw Error("drop capabilities: some remain", EPERM);
  }
  log::debug("caps: all sets cleared");
}

void set_no_new_privs() {
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) throw_sys("prctl", "PR_SET_NO_NEW_PRIVS");
}

}  // namespace hutch::caps
