// A Policy written back as a version 1 policy file: what `hutch policy show --resolved`
// prints. The output passes `hutch policy check` and loads to the same Policy.
#pragma once

#include <string>

#include "policy/schema.hpp"

namespace hutch::policy {

std::string emit_policy(const Policy& policy, const std::string& header_comment);

}  // namespace hutch::policy
