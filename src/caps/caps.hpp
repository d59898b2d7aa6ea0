// Capabilities and no_new_privs: the last privilege-related steps before execve.
//
// SECURITY: a process that created a user namespace holds every capability inside it.
// Before the payload runs, all five sets go (bounding, ambient, inheritable, permitted,
// effective), so nothing it executes can regain them; no_new_privs then makes setuid
// binaries and file capabilities inert. Both are fatal when they fail (STYLE.md 3).
#pragma once

namespace hutch::caps {

// runs in: init, after the mounts; drops every set with libcap-ng, then checks
void drop_all();
// runs in: init; prctl(PR_SET_NO_NEW_PRIVS)
void set_no_new_privs();
// runs in: payload, just before execve. Checks, with raw syscalls only (no allocation
// on success: the payload shares init's memory until execve), that every capability
// set is empty and no_new_privs is set; throws otherwise.
void verify_unprivileged();

}  // namespace hutch::caps
