// Pseudo-terminals for -t. The pty is allocated *inside* the sandbox, from its private
// devpts instance, so the payload's controlling terminal is not one of the host's.
// The supervisor receives the master end and relays it to the caller's terminal.
#pragma once

#include <optional>

#include "runtime/plan.hpp"
#include "util/fd.hpp"

namespace hutch::runtime {

struct PtyPair {
  UniqueFd master;
  UniqueFd slave;
};

// runs in: child, after pivot_root (opens /dev/ptmx of the sandbox's devpts)
PtyPair open_pty(const std::optional<TerminalSize>& size);

}  // namespace hutch::runtime
