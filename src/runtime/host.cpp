#include "runtime/host.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>

#include <fmt/format.h>

#include "runtime/terminal.hpp"
#include "util/error.hpp"
#include "util/sys.hpp"

extern char** environ;

namespace hutch::runtime {
namespace {

std::map<std::string, std::string> caller_environment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string_view kv(*e);
    const std::size_t eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    env.emplace(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
  }
  return env;
}

std::shared_ptr<UniqueFd> open_rootfs(const std::string& rootfs) {
  const int fd = ::open(rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw_sys("rootfs", rootfs);
  return std::make_shared<UniqueFd>(fd);
}

}  // namespace

std::string default_rootfs_path() {
  if (const char* data = ::getenv("XDG_DATA_HOME"); data != nullptr && data[0] == '/') {
    return fmt::format("{}/hutch/rootfs/default", data);
  }
  const char* home = ::getenv("HOME");
  std::string home_dir = home != nullptr && home[0] == '/' ? home : "";
  if (home_dir.empty()) {
    if (const passwd* pw = ::getpwuid(::getuid()); pw != nullptr && pw->pw_dir != nullptr) home_dir = pw->pw_dir;
  }
  if (home_dir.empty()) throw Error("no default root filesystem: neither XDG_DATA_HOME nor HOME is set; pass --rootfs");
  return fmt::format("{}/.local/share/hutch/rootfs/default", home_dir);
}

HostFacts gather_host_facts(const std::string& rootfs) {
  HostFacts facts;
  facts.uid = ::getuid();
  facts.gid = ::getgid();
  facts.env = caller_environment();
  facts.terminal_size = caller_terminal_size();
  std::shared_ptr<UniqueFd> root = open_rootfs(rootfs);
  facts.exists_in_rootfs = [root](const std::string& path) {
    const std::string rel = path == "/" ? "." : path.substr(1);
    const int fd = sys::try_openat2(root->get(), rel, O_PATH, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
    const UniqueFd found(fd);
    return found.valid();
  };
  facts.source_is_directory = [](const std::string& source) {
    struct stat st{};
    if (::stat(source.c_str(), &st) != 0) throw_sys("bind source", source);
    return S_ISDIR(st.st_mode);
  };
  return facts;
}

}  // namespace hutch::runtime
