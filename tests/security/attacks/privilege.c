/* Attacks on privilege: the caller's terminal, setuid, device nodes, mounts, new user
 * namespaces, the host's name and clock, the caller's environment. */
#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/timex.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "attack.h"

/* tiocsti: push input into the terminal the command shares with its caller (the
 * bubblewrap CVE-2017-5226 class), also with the command's high bits set, which an
 * ioctl filter comparing 64 bits would miss (CVE-2019-10063). */
int attack_tiocsti(int argc, char** argv) {
  (void)argc;
  (void)argv;
  int terminals = 0;
  int fds[4] = {0, 1, 2, open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY)};
  if (fds[3] < 0) refused("open /dev/tty");
  for (int i = 0; i < 4; ++i) {
    if (fds[i] < 0 || !isatty(fds[i])) continue;
    ++terminals;
    char what[64];
    const char c = '#';
    snprintf(what, sizeof what, "ioctl(%s, TIOCSTI)", i < 3 ? (const char*[]){"0", "1", "2"}[i] : "/dev/tty");
    outcome(what, ioctl(fds[i], TIOCSTI, &c));
    snprintf(what, sizeof what, "ioctl(%s, TIOCSTI | 1 << 32)", i < 3 ? (const char*[]){"0", "1", "2"}[i] : "/dev/tty");
    outcome(what, syscall(SYS_ioctl, fds[i], (unsigned long)TIOCSTI | (1UL << 32), &c));
  }
  if (!terminals) return cannot_attack("no terminal among fds 0-2 or /dev/tty");
  return verdict();
}

/* The process's effective capabilities, from /proc/self/status (0 when unreadable). */
static unsigned long long effective_caps(void) {
  FILE* f = fopen("/proc/self/status", "re");
  unsigned long long caps = 0;
  char line[256];
  while (f && fgets(line, sizeof line, f))
    if (!strncmp(line, "CapEff:", 7)) caps = strtoull(line + 7, NULL, 16);
  if (f) fclose(f);
  return caps;
}

/* setuid-report: what a setuid copy of this program runs with. */
int attack_setuid_report(int argc, char** argv) {
  (void)argc;
  (void)argv;
  printf("euid=%u egid=%u ruid=%u rgid=%u caps=%llx\n", geteuid(), getegid(), getuid(), getgid(), effective_caps());
  return 0;
}

/* setuid SETUID-COPY [DIR]: run a setuid, setgid copy of this program, and a fresh one
 * the command makes setuid itself in DIR (default /tmp); neither may gain an id or a
 * capability. */
int attack_setuid(int argc, char** argv) {
  if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1)
    note("no_new_privs is set");
  else
    note("no_new_privs is not set");
  char fresh[4096];
  snprintf(fresh, sizeof fresh, "%s/hutch-attack-setuid", argc > 2 ? argv[2] : "/tmp");
  const char* copies[2] = {argv[1], fresh};
  /* A fresh copy where the command may write, made setuid by the command itself. */
  int in = open(argv[1], O_RDONLY | O_CLOEXEC);
  int out = open(fresh, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
  if (in >= 0 && out >= 0) {
    char buf[65536];
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0)
      if (write(out, buf, (size_t)n) != n) break;
  }
  if (in >= 0) close(in);
  if (out >= 0) close(out);
  char what[4200];
  snprintf(what, sizeof what, "chmod 06755 %s", fresh);
  if (chmod(fresh, 06755) != 0) refused(what);
  for (int i = 0; i < 2; ++i) {
    struct stat st;
    if (stat(copies[i], &st) != 0 || !(st.st_mode & S_ISUID)) continue;
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) != 0) return cannot_attack("pipe2: %s", strerror(errno));
    const pid_t child = fork();
    if (child == 0) {
      dup2(pipefd[1], 1);
      execl(copies[i], copies[i], "setuid-report", (char*)NULL);
      _exit(127);
    }
    close(pipefd[1]);
    char report[256] = "";
    ssize_t n = read(pipefd[0], report, sizeof report - 1);
    report[n > 0 ? n : 0] = '\0';
    report[strcspn(report, "\n")] = '\0';
    close(pipefd[0]);
    int status = 0;
    waitpid(child, &status, 0);
    unsigned euid, egid, ruid, rgid;
    unsigned long long caps;
    snprintf(what, sizeof what, "exec %s (setuid, owner %u): %s", copies[i], st.st_uid, report);
    /* With one uid mapped (hutch's user namespace), the owner is the command's own uid:
     * the exec changes no id, and what it must not bring is capabilities, which it
     * would as root (uid 0) without no_new_privs and an empty bounding set. */
    if (st.st_uid == getuid() && getuid() != 0)
      note("%s is owned by the command's own uid %u: no id to gain, only capabilities", copies[i], st.st_uid);
    if (sscanf(report, "euid=%u egid=%u ruid=%u rgid=%u caps=%llx", &euid, &egid, &ruid, &rgid, &caps) != 5) {
      note("%s: did not run", what);
    } else if (euid != ruid || egid != rgid || caps != 0) {
      succeeded("%s", what);
    } else {
      note("%s: gained nothing", what);
    }
  }
  return verdict();
}

/* mknod DIR: device nodes give the hardware behind them. */
int attack_mknod(int argc, char** argv) {
  (void)argc;
  char path[256], what[320];
  static const struct {
    mode_t mode;
    unsigned major, minor;
    const char* name;
  } nodes[] = {{S_IFCHR, 1, 1, "mem"}, {S_IFBLK, 8, 0, "sda"}, {S_IFCHR, 1, 3, "null"}};
  for (size_t i = 0; i < sizeof nodes / sizeof nodes[0]; ++i) {
    snprintf(path, sizeof path, "%s/hutch-attack-%s", argv[1], nodes[i].name);
    snprintf(what, sizeof what, "mknod %s (%u:%u)", path, nodes[i].major, nodes[i].minor);
    const int rc = mknod(path, nodes[i].mode | 0666, makedev(nodes[i].major, nodes[i].minor));
    outcome(what, rc);
    if (rc == 0) unlink(path);
  }
  return verdict();
}

/* mount DIR: any mount (a new filesystem, a bind, a remount, the new mount API, a
 * cgroup v1 hierarchy with its release_agent: CVE-2022-0492) and any unmount that
 * would uncover what is below. */
int attack_mount(int argc, char** argv) {
  (void)argc;
  const char* dir = argv[1];
  char what[320];
  /* First the call no mount rule of a policy names; the mount family after it. */
  outcome("unshare(CLONE_NEWNS)", unshare(CLONE_NEWNS));
  snprintf(what, sizeof what, "mount tmpfs on %s", dir);
  outcome(what, mount("hutch", dir, "tmpfs", 0, NULL));
  snprintf(what, sizeof what, "bind / on %s", dir);
  outcome(what, mount("/", dir, NULL, MS_BIND | MS_REC, NULL));
  snprintf(what, sizeof what, "mount cgroup (v1, rdma) on %s", dir);
  outcome(what, mount("cgroup", dir, "cgroup", 0, "rdma"));
  snprintf(what, sizeof what, "mount proc on %s", dir);
  outcome(what, mount("proc", dir, "proc", 0, NULL));
  outcome("remount / read-write", mount(NULL, "/", NULL, MS_REMOUNT, NULL));
  outcome("umount /proc/sys (read-only over a writable one)", umount2("/proc/sys", MNT_DETACH));
  outcome("umount /proc", umount2("/proc", MNT_DETACH));
  long fd = syscall(SYS_fsopen, "tmpfs", 1 /* FSOPEN_CLOEXEC */);
  outcome("fsopen(\"tmpfs\")", fd);
  if (fd >= 0) close((int)fd);
  fd = syscall(SYS_open_tree, AT_FDCWD, "/", 1 /* OPEN_TREE_CLONE */ | O_CLOEXEC);
  outcome("open_tree(\"/\", OPEN_TREE_CLONE)", fd);
  if (fd >= 0) close((int)fd);
  return verdict();
}

/* nested-userns: a user namespace of its own gives every capability over what it
 * creates, and the kernel code that only privilege reaches. */
static int child_fn(void* arg) {
  (void)arg;
  return 0;
}

int attack_nested_userns(int argc, char** argv) {
  (void)argc;
  (void)argv;
  const pid_t pid = fork();
  if (pid == 0) _exit(unshare(CLONE_NEWUSER) == 0 ? 0 : errno);
  int status = 0;
  waitpid(pid, &status, 0);
  errno = WIFEXITED(status) ? WEXITSTATUS(status) : EINTR;
  outcome("unshare(CLONE_NEWUSER)", WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1);
  static char stack[65536] __attribute__((aligned(16)));
  const int child = clone(child_fn, stack + sizeof stack, CLONE_NEWUSER | SIGCHLD, NULL);
  outcome("clone(CLONE_NEWUSER)", child);
  if (child > 0) waitpid(child, &status, 0);
  return verdict();
}

/* hostname: sethostname and setdomainname. The sandbox's UTS namespace is its own, but
 * a command without capabilities may not change even that. */
int attack_hostname(int argc, char** argv) {
  (void)argc;
  (void)argv;
  outcome("sethostname", sethostname("hutch-attack", 12));
  outcome("setdomainname", setdomainname("hutch-attack", 12));
  const int fd = open("/proc/sys/kernel/hostname", O_WRONLY | O_CLOEXEC);
  outcome("open /proc/sys/kernel/hostname for writing", fd);
  if (fd >= 0) close(fd);
  return verdict();
}

/* clock: the real-time clock is the host's (time namespaces do not cover it). The
 * attempts set it to the time it already is. */
int attack_clock(int argc, char** argv) {
  (void)argc;
  (void)argv;
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  outcome("clock_settime(CLOCK_REALTIME)", clock_settime(CLOCK_REALTIME, &now));
  struct timeval tv;
  gettimeofday(&tv, NULL);
  outcome("settimeofday", settimeofday(&tv, NULL));
  struct timex tx = {.modes = ADJ_OFFSET | ADJ_STATUS, .offset = 0, .status = 0};
  /* A read (modes 0) is allowed to everyone; any mode needs CAP_SYS_TIME. */
  struct timex current = {0};
  if (adjtimex(&current) >= 0) tx.status = current.status;
  outcome("adjtimex(ADJ_OFFSET | ADJ_STATUS)", adjtimex(&tx));
  outcome("unshare(CLONE_NEWTIME)", unshare(CLONE_NEWTIME));
  return verdict();
}

/* caller-env NAME: a variable only hutch's caller had, in the command's environment or
 * readable from init's (a copy of hutch's). */
int attack_caller_env(int argc, char** argv) {
  (void)argc;
  const char* name = argv[1];
  const size_t len = strlen(name);
  for (char** e = environ; *e; ++e)
    if (!strncmp(*e, name, len) && (*e)[len] == '=') succeeded("%s is in the environment", name);
  static const char* const files[] = {"/proc/1/environ", "/proc/self/environ"};
  for (size_t i = 0; i < sizeof files / sizeof files[0]; ++i) {
    char what[128];
    snprintf(what, sizeof what, "read %s", files[i]);
    const int fd = open(files[i], O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      refused(what);
      continue;
    }
    static char buf[1 << 20];
    const ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n < 0) {
      refused(what);
      continue;
    }
    buf[n] = '\0';
    int found = 0;
    for (ssize_t at = 0; at < n; at += (ssize_t)strlen(buf + at) + 1)
      if (!strncmp(buf + at, name, len) && buf[at + (ssize_t)len] == '=') found = 1;
    if (found)
      succeeded("%s holds %s", files[i], name);
    else
      note("%s has no %s", files[i], name);
  }
  return verdict();
}
