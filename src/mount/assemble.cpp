#include "mount/assemble.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include <fmt/format.h>

#include "mount/api.hpp"
#include "mount/hostpath.hpp"
#include "mount/resolve.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/sys.hpp"

namespace hutch::mount {
namespace {

constexpr std::string_view kStagingSize = "1M";  // holds only the overlay's mount points

std::string dirname_of(std::string_view path) {
  const std::size_t slash = path.rfind('/');
  return slash == 0 ? "/" : std::string(path.substr(0, slash));
}

std::string basename_of(std::string_view path) { return std::string(path.substr(path.rfind('/') + 1)); }

Attrs step_attrs(const MountStep& s) { return Attrs{s.readonly, true, s.nodev, s.noexec}; }

std::string fd_path(int fd, std::string_view sub = "") {
  return sub.empty() ? fmt::format("/proc/self/fd/{}", fd) : fmt::format("/proc/self/fd/{}/{}", fd, sub);
}

Root bind_root(const RootPlan& plan, int rootfs) {
  const std::string what = fmt::format("rootfs {}", plan.rootfs.path);
  UniqueFd tree = clone_tree(rootfs, "", true, what);
  // SECURITY: read-only, nosuid and nodev for the whole tree before it is attached, so
  // there is no moment at which the payload's root is writable.
  set_attrs(tree.get(), Attrs{true, true, true, false}, true, what);
  attach(tree.get(), rootfs, plan.rootfs.path);
  return Root{std::move(tree), false};
}

// The root needs mount points that --rootfs lacks: an overlay with --rootfs as its only
// lower layer and a small tmpfs as upper layer takes them, and the caller's directory is
// never written. The overlay is made read-only in finish_root().
Root overlay_root(const RootPlan& plan, int rootfs) {
  UniqueFd staging = new_filesystem("tmpfs", {{"mode", "0700"}, {"size", std::string(kStagingSize)}},
                                    Attrs{false, true, true, true}, "overlay staging area");
  // ORDER: the staging tmpfs covers the rootfs path only in this mount namespace; the
  // overlay finds its lower layer through the fd taken before.
  attach(staging.get(), rootfs, plan.rootfs.path);
  for (const char* dir : {"upper", "work", "root"}) {
    if (::mkdirat(staging.get(), dir, 0755) != 0) throw_sys("mkdir in overlay staging area", dir);
  }
  UniqueFd ovl = new_filesystem("overlay",
                                {{"lowerdir", fd_path(rootfs)},
                                 {"upperdir", fd_path(staging.get(), "upper")},
                                 {"workdir", fd_path(staging.get(), "work")}},
                                Attrs{false, true, true, false}, fmt::format("rootfs {}", plan.rootfs.path));
  UniqueFd at = sys::openat(staging.get(), "root", O_PATH | O_DIRECTORY);
  attach(ovl.get(), at.get(), "overlay staging area");
  return Root{std::move(ovl), true};
}

void bind_step(int root_fd, const MountStep& s, int host_fd) {
  UniqueFd tree;
  if (s.source_in_root) {
    const int fd = try_open_in_root(root_fd, s.source, s.no_symlinks);
    if (fd == -ENOENT && s.optional) return;
    if (fd < 0) throw_errno(-fd, "open", s.source);
    UniqueFd src(fd);
    tree = clone_tree(src.get(), "", s.recursive, s.source);
  } else {
    tree = clone_tree(host_fd, "", s.recursive, s.source);
  }
  set_attrs(tree.get(), step_attrs(s), true, s.source);
  UniqueFd target = ensure_mount_point(root_fd, s.target, s.directory, s.no_symlinks);
  attach(tree.get(), target.get(), s.target);
}

void fs_step(int root_fd, const MountStep& s, std::string_view type,
             const std::vector<std::pair<std::string, std::string>>& options) {
  UniqueFd fs = new_filesystem(type, options, step_attrs(s), s.target);
  UniqueFd target = ensure_mount_point(root_fd, s.target, true, s.no_symlinks);
  attach(fs.get(), target.get(), s.target);
}

void symlink_step(int root_fd, const MountStep& s) {
  UniqueFd parent = ensure_mount_point(root_fd, dirname_of(s.target), true, s.no_symlinks);
  const std::string name = basename_of(s.target);
  if (::symlinkat(s.source.c_str(), parent.get(), name.c_str()) != 0) {
    throw_sys("symlink", fmt::format("{} -> {}", s.target, s.source));
  }
}

void seal_step(int root_fd, const MountStep& s) {
  const int fd = try_open_in_root(root_fd, s.target, s.no_symlinks);
  if (fd < 0) throw_errno(-fd, "open", s.target);
  UniqueFd target(fd);
  set_attrs(target.get(), Attrs{true, true, true, false}, false, s.target);
}

void apply_step(int root_fd, const MountStep& s, int host_fd) {
  switch (s.kind) {
    case StepKind::Bind:
      return bind_step(root_fd, s, host_fd);
    case StepKind::Tmpfs: {
      std::vector<std::pair<std::string, std::string>> opts{{"mode", fmt::format("{:o}", s.mode)}};
      if (s.size != 0) opts.emplace_back("size", std::to_string(s.size));
      return fs_step(root_fd, s, "tmpfs", opts);
    }
    case StepKind::Proc:
      return fs_step(root_fd, s, "proc", {});
    case StepKind::Sysfs:
      return fs_step(root_fd, s, "sysfs", {});
    case StepKind::Devpts:
      // devpts(5): a private instance; ptmx usable by all, new ptys 0620. No gid= option:
      // the tty group is not mapped into the sandbox.
      return fs_step(root_fd, s, "devpts", {{"newinstance", ""}, {"ptmxmode", "0666"}, {"mode", "0620"}});
    case StepKind::Symlink:
      return symlink_step(root_fd, s);
    case StepKind::Seal:
      return seal_step(root_fd, s);
  }
}

}  // namespace

void make_private_recursive() {
  // mount_namespaces(7): stop propagation both ways before anything is mounted, so no
  // mount of the sandbox can ever appear on the host (and none of the host's in here).
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) throw_sys("make private", "/");
}

Sources open_sources(const RootPlan& root, std::span<const MountStep> steps) {
  Sources sources;
  sources.rootfs = open_host_path(root.rootfs, "rootfs");
  sources.binds.resize(steps.size());
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const MountStep& s = steps[i];
    if (s.kind != StepKind::Bind || s.source_in_root) continue;
    sources.binds[i] = open_host_path(s.host_source, "bind source");
  }
  return sources;
}

Root prepare_root(const RootPlan& plan, const Sources& sources) {
  try {
    Root root = plan.overlay ? overlay_root(plan, sources.rootfs.get()) : bind_root(plan, sources.rootfs.get());
    if (plan.overlay) {
      log::info("root: {} lacks mount points this run needs; they go to a throw-away overlay", plan.rootfs.path);
    }
    log::debug("mount: root {} ({})", plan.rootfs.path, plan.overlay ? "overlay, tmpfs upper" : "read-only bind");
    return root;
  } catch (Error& e) {
    e.prepend("preparing the root filesystem");
    throw;
  }
}

void apply_steps(int root_fd, std::span<const MountStep> steps, const Sources& sources) {
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const MountStep& s = steps[i];
    log::debug("mount: {}", describe_step(s));
    try {
      apply_step(root_fd, s, sources.binds[i].get());
    } catch (Error& e) {
      e.prepend(fmt::format("mounting {}", s.target));
      throw;
    }
  }
}

void finish_root(const Root& root) {
  if (root.overlay) set_attrs(root.fd.get(), Attrs{true, true, true, false}, false, "root");
}

void pivot_into(int root_fd) {
  // pivot_root(2): with new_root and put_old both ".", the old root ends up mounted on
  // top of the new one, where umount2(MNT_DETACH) removes it; nothing of the host's
  // tree stays reachable.
  if (::fchdir(root_fd) != 0) throw_sys("chdir", "new root");
  sys::pivot_root(".", ".");
  if (::umount2(".", MNT_DETACH) != 0) throw_sys("detach", "old root");
  if (::chdir("/") != 0) throw_sys("chdir", "/");
  log::debug("mount: pivot_root done, old root detached");
}

}  // namespace hutch::mount
