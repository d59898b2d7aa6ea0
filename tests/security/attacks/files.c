/* Attacks on files: host files outside the binds, the root filesystem, read-only binds,
 * the way out of the root, descriptors from outside. */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "attack.h"

/* Opens `path` for reading; reports the attempt. */
static void try_read(const char* what, int dirfd, const char* path) {
  const int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    refused(what);
    return;
  }
  char buf[64];
  const ssize_t n = read(fd, buf, sizeof buf);
  close(fd);
  if (n < 0) {
    refused(what);
  } else {
    succeeded("%s (read %zd bytes)", what, n);
  }
}

/* read-host-file PATH: a host file nothing binds. */
int attack_read_host_file(int argc, char** argv) {
  (void)argc;
  const char* path = argv[1];
  char what[PATH_MAX + 64], via[PATH_MAX + 32];
  snprintf(what, sizeof what, "open %s", path);
  try_read(what, AT_FDCWD, path);
  static const char* const roots[] = {"/proc/1/root", "/proc/self/root", "/proc/1/cwd", "/proc/self/cwd"};
  for (size_t i = 0; i < sizeof roots / sizeof roots[0]; ++i) {
    snprintf(via, sizeof via, "%s%s", roots[i], path);
    snprintf(what, sizeof what, "open %s", via);
    try_read(what, AT_FDCWD, via);
  }
  return verdict();
}

/* The attempts on FILE in DIR of write-rootfs and write-ro-bind. */
static void write_file_attempts(const char* dir, const char* file) {
  char path[PATH_MAX], other[PATH_MAX], what[PATH_MAX + 64];
  snprintf(path, sizeof path, "%s/%s", dir, file);
  snprintf(what, sizeof what, "open %s for writing", path);
  const int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
  outcome(what, fd);
  if (fd >= 0) close(fd);
  snprintf(what, sizeof what, "truncate %s", path);
  outcome(what, truncate(path, 0));
  snprintf(what, sizeof what, "chmod %s", path);
  outcome(what, chmod(path, 0777));
  snprintf(what, sizeof what, "setxattr user.hutch on %s", path);
  outcome(what, setxattr(path, "user.hutch", "x", 1, 0));
  snprintf(what, sizeof what, "hard link %s", path);
  snprintf(other, sizeof other, "%s/hutch-attack-hardlink", dir);
  outcome(what, link(path, other));
  snprintf(what, sizeof what, "rename %s", path);
  snprintf(other, sizeof other, "%s/hutch-attack-renamed", dir);
  outcome(what, rename(path, other));
  snprintf(what, sizeof what, "unlink %s", path);
  outcome(what, unlink(path));
}

/* write-rootfs / write-ro-bind DIR FILE: nothing below DIR may change; FILE is a file
 * in it. */
int attack_write_tree(int argc, char** argv) {
  (void)argc;
  const char* dir = argv[1];
  const char* file = argc > 2 ? argv[2] : NULL;
  char path[PATH_MAX], what[PATH_MAX + 64];
  snprintf(path, sizeof path, "%s/hutch-attack-new", dir);
  snprintf(what, sizeof what, "create %s", path);
  const int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  outcome(what, fd);
  if (fd >= 0) close(fd);
  snprintf(path, sizeof path, "%s/hutch-attack-dir", dir);
  snprintf(what, sizeof what, "mkdir %s", path);
  outcome(what, mkdir(path, 0755));
  snprintf(what, sizeof what, "symlink in %s", dir);
  snprintf(path, sizeof path, "%s/hutch-attack-link", dir);
  outcome(what, symlink("/", path));
  snprintf(what, sizeof what, "chmod %s", dir);
  outcome(what, chmod(dir, 0777));
  snprintf(what, sizeof what, "utimensat %s", dir);
  outcome(what, utimensat(AT_FDCWD, dir, NULL, 0));
  if (file) write_file_attempts(dir, file);
  /* Last: a policy whose seccomp filter kills mount would end the run here. */
  snprintf(what, sizeof what, "remount %s read-write", dir);
  outcome(what, mount(NULL, dir, NULL, MS_REMOUNT | MS_BIND, NULL));
  return verdict();
}

/* escape-root PATH: PATH is a host file outside the sandbox; reaching it by any road
 * out of the root is an escape. */
int attack_escape_root(int argc, char** argv) {
  (void)argc;
  const char* path = argv[1];
  const char* relative = path + strspn(path, "/");
  char what[PATH_MAX + 96];

  /* 1. ".." from the root, as far as it goes. */
  if (chdir("/") == 0) {
    for (int i = 0; i < 64; ++i)
      if (chdir("..") != 0) break;
    snprintf(what, sizeof what, "open %s after chdir(\"..\") 64 times from /", relative);
    try_read(what, AT_FDCWD, relative);
  }
  /* 2. Every directory descriptor the process holds, and ".." from it. */
  for (int fd = 3; fd < 1024; ++fd) {
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISDIR(st.st_mode)) continue;
    snprintf(what, sizeof what, "openat(inherited fd %d, %s)", fd, relative);
    try_read(what, fd, relative);
    int up = dup(fd);
    for (int i = 0; i < 64 && up >= 0; ++i) {
      const int next = openat(up, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      close(up);
      up = next;
    }
    if (up >= 0) {
      snprintf(what, sizeof what, "openat(\"..\" x64 from inherited fd %d, %s)", fd, relative);
      try_read(what, up, relative);
      close(up);
    }
  }
  /* 3. The roots /proc offers. */
  static const char* const roots[] = {"/proc/1/root/../../../..", "/proc/self/root/../../.."};
  for (size_t i = 0; i < sizeof roots / sizeof roots[0]; ++i) {
    char via[PATH_MAX];
    snprintf(via, sizeof via, "%s/%s", roots[i], relative);
    snprintf(what, sizeof what, "open %s", via);
    try_read(what, AT_FDCWD, via);
  }
  /* Last the calls a policy's seccomp filter may kill the run at (chroot, pivot_root,
   * umount): the attempts above must have been made by then.
   * 4. The classic chroot escape: chroot into a subdirectory, keep the cwd outside. */
  if (chdir("/") == 0) {
    snprintf(what, sizeof what, "chroot(\"/tmp\") with the working directory outside it");
    const int rc = chroot("/tmp");
    outcome(what, rc);
    if (rc == 0) {
      for (int i = 0; i < 64; ++i)
        if (chdir("..") != 0) break;
      snprintf(what, sizeof what, "open %s after the chroot and chdir(\"..\")", relative);
      try_read(what, AT_FDCWD, relative);
    }
  }
  /* 5. pivot_root and unmounting the root to uncover what is below. */
  if (chdir("/") == 0) outcome("pivot_root(\".\", \".\")", syscall(SYS_pivot_root, ".", "."));
  outcome("umount2(\"/\", MNT_DETACH)", umount2("/", MNT_DETACH));
  return verdict();
}

/* leaked-fds: nothing but 0-2 may reach the command, and its working directory must be
 * inside the root (the runc CVE-2024-21626 class: a working directory or fd left on
 * the host). */
int attack_leaked_fds(int argc, char** argv) {
  (void)argc;
  (void)argv;
  DIR* d = opendir("/proc/self/fd");
  if (!d) return cannot_attack("cannot list /proc/self/fd: %s", strerror(errno));
  const int own = dirfd(d);
  struct dirent* e;
  int extra = 0;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    const int fd = atoi(e->d_name);
    if (fd <= 2 || fd == own) continue;
    char link[64], target[PATH_MAX];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    const ssize_t n = readlink(link, target, sizeof target - 1);
    target[n < 0 ? 0 : n] = '\0';
    succeeded("fd %d reached the command: %s", fd, target);
    ++extra;
  }
  closedir(d);
  if (!extra) note("only fds 0-2 are open");
  char cwd[PATH_MAX];
  if (!getcwd(cwd, sizeof cwd)) {
    /* ENOENT: the working directory is not below the root. */
    if (errno == ENOENT)
      succeeded("the working directory is outside the root");
    else
      refused("getcwd");
  } else {
    note("working directory %s", cwd);
  }
  return verdict();
}

/* reopen-stdin: stdin is a host file hutch opened read-only (--stdin); reopening it
 * through /proc/self/fd for writing would let the command change it. */
int attack_reopen_stdin(int argc, char** argv) {
  (void)argc;
  (void)argv;
  struct stat st;
  if (fstat(0, &st) != 0 || !S_ISREG(st.st_mode)) return cannot_attack("stdin is not a regular file");
  static const struct {
    int flags;
    const char* name;
  } modes[] = {{O_WRONLY | O_APPEND, "O_WRONLY"}, {O_RDWR, "O_RDWR"}};
  for (size_t i = 0; i < sizeof modes / sizeof modes[0]; ++i) {
    char what[64];
    snprintf(what, sizeof what, "open /proc/self/fd/0 %s", modes[i].name);
    const int fd = open("/proc/self/fd/0", modes[i].flags | O_CLOEXEC);
    outcome(what, fd);
    if (fd >= 0) close(fd);
  }
  return verdict();
}

/* mount-targets PATH:KIND...: run by the hostile-* attacks in a root whose mount targets
 * are symlinks out of it. When hutch starts such a root at all, each mount must be
 * where the sandbox sees PATH (links resolved inside the root): KIND is proc, tmpfs
 * (the filesystem at PATH), chardev (PATH is a character device) or file (PATH is a
 * readable regular file, from a bind). Anything else means the mount went elsewhere. */
int attack_mount_targets(int argc, char** argv) {
  if (argc == 1) note("no mount to check under this policy");
  for (int i = 1; i < argc; ++i) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s", argv[i]);
    char* colon = strrchr(path, ':');
    if (!colon) return cannot_attack("mount-targets: %s is not PATH:KIND", argv[i]);
    *colon = '\0';
    const char* kind = colon + 1;
    struct statfs fs;
    struct stat st;
    int ok;
    if (!strcmp(kind, "proc")) {
      ok = statfs(path, &fs) == 0 && fs.f_type == PROC_SUPER_MAGIC;
    } else if (!strcmp(kind, "tmpfs")) {
      ok = statfs(path, &fs) == 0 && fs.f_type == TMPFS_MAGIC;
    } else if (!strcmp(kind, "chardev")) {
      ok = stat(path, &st) == 0 && S_ISCHR(st.st_mode);
    } else if (!strcmp(kind, "file")) {
      const int fd = open(path, O_RDONLY | O_CLOEXEC);
      char byte;
      ok = fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && read(fd, &byte, 1) == 1;
      if (fd >= 0) close(fd);
    } else {
      return cannot_attack("mount-targets: unknown kind %s (proc, tmpfs, chardev, file)", kind);
    }
    if (ok)
      note("%s is the %s hutch mounted, inside the root", path, kind);
    else
      succeeded("%s is not the %s hutch mounted: the mount went elsewhere", path, kind);
  }
  return verdict();
}
