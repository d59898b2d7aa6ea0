// The sandbox's UTS namespace: its own hostname, so the host's name does not leak in
// and the payload's sethostname (were it able to) changes nothing outside.
#pragma once

#include <string_view>

namespace hutch::ns {

// runs in: child, in its own UTS namespace
void set_hostname(std::string_view name);

}  // namespace hutch::ns
