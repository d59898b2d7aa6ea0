// The sandbox's network namespace: created empty by clone3(CLONE_NEWNET); hutch only
// brings `lo` up (network: loopback). Nothing else is configured.
#pragma once

namespace hutch::ns {

// runs in: child, in its own network namespace
void bring_loopback_up();

}  // namespace hutch::ns
