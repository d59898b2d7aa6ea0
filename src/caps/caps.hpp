// Capabilities and no_new_privs: the last privilege-related steps before execve.
//
// SECURITY: a process that created a user namespace holds every capability inside it.
// Before the payload runs, all five sets go (bounding, ambient, inheritable, permitted,
// effective), so nothing it executes can regain them; no_new_privs then makes setuid
// binaries and file capabilities inert. Both are fatal when they fail (STYLE.md 3).
#pragma once

namespace hutch::caps {

// runs in: child or payload, after the mounts; the process has no capability afterwards
void drop_all();
// runs in: child or payload; prctl(PR_SET_NO_NEW_PRIVS)
void set_no_new_privs();

}  // namespace hutch::caps
