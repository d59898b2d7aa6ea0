#include "ns/uts.hpp"

#include <unistd.h>

#include "util/error.hpp"
#include "util/log.hpp"

namespace hutch::ns {

void set_hostname(std::string_view name) {
  if (::sethostname(name.data(), name.size()) != 0) throw_sys("sethostname", name);
  // The NIS domain name is namespaced too and would otherwise still be the host's.
  if (::setdomainname("(none)", 6) != 0) throw_sys("setdomainname", "(none)");
  log::debug("uts: hostname {}", name);
}

}  // namespace hutch::ns
