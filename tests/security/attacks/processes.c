/* Attacks on other processes: the host's, hutch's init, hutch's own binary. */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "attack.h"

/* The first line of /proc/PID/comm, or "" when it cannot be read. */
static void comm_of(const char* pid, char* out, size_t size) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%s/comm", pid);
  out[0] = '\0';
  FILE* f = fopen(path, "re");
  if (!f) return;
  if (fgets(out, (int)size, f)) out[strcspn(out, "\n")] = '\0';
  fclose(f);
}

/* host-processes PID COMM: the host process PID (named COMM) must be neither visible
 * nor reachable by a signal. */
int attack_host_processes(int argc, char** argv) {
  (void)argc;
  const char* pid_text = argv[1];
  const char* comm = argv[2];
  const pid_t pid = (pid_t)atol(pid_text);
  DIR* proc = opendir("/proc");
  if (!proc) return cannot_attack("cannot list /proc: %s", strerror(errno));
  int seen = 0;
  struct dirent* e;
  while ((e = readdir(proc))) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    char name[64];
    comm_of(e->d_name, name, sizeof name);
    if (!strcmp(name, comm)) {
      succeeded("saw the host process %s as /proc/%s", comm, e->d_name);
      seen = 1;
    }
  }
  closedir(proc);
  if (!seen) note("no process named %s in /proc", comm);
  /* The same number may belong to a process of the sandbox: signal it only when it is
   * not one of ours, so that a held sandbox is never hurt by its own test. */
  char here[64];
  comm_of(pid_text, here, sizeof here);
  if (here[0] && strcmp(here, comm) != 0) {
    note("pid %s is %s here, a process of the sandbox", pid_text, here);
    return verdict();
  }
  outcome("kill(host pid, SIGUSR1)", kill(pid, SIGUSR1));
  outcome("pidfd_open(host pid)", syscall(SYS_pidfd_open, pid, 0));
  return verdict();
}

/* ptrace-init PID: hutch's init (pid 1 inside) must not be traced or read. The /proc
 * files come first, ptrace last: a policy's seccomp filter may end the run at the
 * calls. */
int attack_ptrace_init(int argc, char** argv) {
  (void)argc;
  const pid_t pid = (pid_t)atol(argv[1]);
  char what[128], path[64];
  /* mem, environ and auxv check ptrace access when opened: an open is already a read.
   * syscall and stack check it when read. */
  static const struct {
    const char* name;
    int open_is_access;
  } files[] = {{"mem", 1}, {"environ", 1}, {"auxv", 1}, {"syscall", 0}, {"stack", 0}};
  for (size_t i = 0; i < sizeof files / sizeof files[0]; ++i) {
    snprintf(path, sizeof path, "/proc/%d/%s", pid, files[i].name);
    snprintf(what, sizeof what, "read %s", path);
    const int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      refused(what);
      continue;
    }
    char buf[64];
    const ssize_t n = read(fd, buf, sizeof buf);
    close(fd);
    if (files[i].open_is_access || n > 0 || (n < 0 && errno == EIO)) { /* mem: EIO at address 0 */
      succeeded("%s (opened%s)", what, n > 0 ? ", and read" : "");
    } else {
      refused(what);
    }
  }
  static const char* const dirs[] = {"fd", "map_files", "root", "cwd"};
  for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; ++i) {
    snprintf(path, sizeof path, "/proc/%d/%s/", pid, dirs[i]);
    snprintf(what, sizeof what, "open %s", path);
    DIR* d = opendir(path);
    if (!d) {
      refused(what);
      continue;
    }
    closedir(d);
    succeeded("%s", what);
  }

  char byte;
  struct iovec local = {&byte, 1};
  struct iovec remote = {(void*)&attack_ptrace_init, 1};
  snprintf(what, sizeof what, "process_vm_readv(%d)", pid);
  long rc = process_vm_readv(pid, &local, 1, &remote, 1, 0);
  /* EFAULT means the permission check passed and only the address was wrong. */
  if (rc < 0 && errno == EFAULT) rc = 0;
  outcome(what, rc);

  snprintf(what, sizeof what, "ptrace(PTRACE_SEIZE, %d)", pid);
  rc = ptrace(PTRACE_SEIZE, pid, NULL, NULL);
  outcome(what, rc);
  if (rc == 0) ptrace(PTRACE_DETACH, pid, NULL, NULL);
  return verdict();
}

/* hutch-binary PID: hutch's init is a copy of hutch; its /proc/PID/exe is the host's
 * hutch binary. Holding it at all (even O_PATH) lets a process reopen it for writing
 * once hutch exits: the runc CVE-2019-5736 class. */
int attack_hutch_binary(int argc, char** argv) {
  (void)argc;
  char path[64], what[128], target[256];
  snprintf(path, sizeof path, "/proc/%s/exe", argv[1]);
  snprintf(what, sizeof what, "readlink %s", path);
  const ssize_t n = readlink(path, target, sizeof target - 1);
  if (n < 0) {
    refused(what);
  } else {
    target[n] = '\0';
    note("%s is %s", path, target);
  }
  static const struct {
    int flags;
    const char* name;
  } modes[] = {{O_PATH, "O_PATH"}, {O_RDONLY, "O_RDONLY"}, {O_WRONLY, "O_WRONLY"}, {O_RDWR, "O_RDWR"}};
  for (size_t i = 0; i < sizeof modes / sizeof modes[0]; ++i) {
    snprintf(what, sizeof what, "open %s %s", path, modes[i].name);
    const int fd = open(path, modes[i].flags | O_CLOEXEC);
    if (fd < 0 && errno == ETXTBSY) {
      /* The kernel refused only because the binary runs: an O_PATH fd would do later. */
      refused(what);
      continue;
    }
    outcome(what, fd);
    if (fd >= 0) close(fd);
  }
  return verdict();
}
