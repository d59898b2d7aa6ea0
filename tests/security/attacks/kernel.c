/* Attacks on the kernel surface a user namespace opens, on the network, on kernel
 * knobs, and through another architecture's system calls. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/keyctl.h>
#include <linux/perf_event.h>
#include <linux/userfaultfd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "attack.h"

static void close_if(long fd) {
  if (fd >= 0) close((int)fd);
}

/* keyctl: keyrings are not namespaced: the user's keys are the host user's. */
int attack_keyctl(int argc, char** argv) {
  (void)argc;
  (void)argv;
  outcome("add_key(\"user\", session keyring)",
          syscall(SYS_add_key, "user", "hutch-attack", "x", 1, KEY_SPEC_SESSION_KEYRING));
  outcome("keyctl(KEYCTL_GET_KEYRING_ID, user keyring)",
          syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_USER_KEYRING, 0));
  outcome("keyctl(KEYCTL_JOIN_SESSION_KEYRING)", syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL));
  outcome("request_key(\"user\")", syscall(SYS_request_key, "user", "hutch-attack", NULL, KEY_SPEC_SESSION_KEYRING));
  return verdict();
}

/* bpf: loading eBPF, the kernel's most attacked verifier. */
int attack_bpf(int argc, char** argv) {
  (void)argc;
  (void)argv;
  struct bpf_insn code[] = {{.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 0},
                            {.code = BPF_JMP | BPF_EXIT}};
  union bpf_attr prog = {0};
  prog.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
  prog.insns = (unsigned long)code;
  prog.insn_cnt = 2;
  prog.license = (unsigned long)"GPL";
  long fd = syscall(SYS_bpf, BPF_PROG_LOAD, &prog, sizeof prog);
  outcome("bpf(BPF_PROG_LOAD, socket filter)", fd);
  close_if(fd);
  union bpf_attr map = {0};
  map.map_type = BPF_MAP_TYPE_ARRAY;
  map.key_size = 4;
  map.value_size = 4;
  map.max_entries = 1;
  fd = syscall(SYS_bpf, BPF_MAP_CREATE, &map, sizeof map);
  outcome("bpf(BPF_MAP_CREATE)", fd);
  close_if(fd);
  return verdict();
}

/* perf-event-open: performance counters, a side channel and a long list of CVEs. */
int attack_perf_event_open(int argc, char** argv) {
  (void)argc;
  (void)argv;
  struct perf_event_attr attr = {0};
  attr.size = sizeof attr;
  attr.type = PERF_TYPE_SOFTWARE;
  attr.config = PERF_COUNT_SW_CPU_CLOCK;
  attr.exclude_kernel = 1;
  attr.exclude_hv = 1;
  long fd = syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0);
  outcome("perf_event_open(this process, software clock)", fd);
  close_if(fd);
  attr.type = PERF_TYPE_HARDWARE;
  attr.config = PERF_COUNT_HW_CPU_CYCLES;
  fd = syscall(SYS_perf_event_open, &attr, -1, 0, -1, 0);
  outcome("perf_event_open(every process on cpu 0, cycles)", fd);
  close_if(fd);
  return verdict();
}

/* userfaultfd: stalls the kernel at a chosen page fault, the usual way to win a race. */
int attack_userfaultfd(int argc, char** argv) {
  (void)argc;
  (void)argv;
  /* The device first: a seccomp filter may end the run at the system call. */
  long fd = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);
  outcome("open /dev/userfaultfd", fd);
  close_if(fd);
  fd = syscall(SYS_userfaultfd, O_CLOEXEC | UFFD_USER_MODE_ONLY);
  outcome("userfaultfd(UFFD_USER_MODE_ONLY)", fd);
  close_if(fd);
  fd = syscall(SYS_userfaultfd, O_CLOEXEC);
  outcome("userfaultfd(0)", fd);
  close_if(fd);
  return verdict();
}

/* open-by-handle: a file handle names an inode on a filesystem, not a path: the
 * "shocker" escape reads host files through guessed handles. */
int attack_open_by_handle(int argc, char** argv) {
  (void)argc;
  (void)argv;
  struct {
    struct file_handle h;
    unsigned char bytes[MAX_HANDLE_SZ];
  } handle;
  handle.h.handle_bytes = MAX_HANDLE_SZ;
  int mount_id = 0;
  if (name_to_handle_at(AT_FDCWD, "/", &handle.h, &mount_id, 0) != 0) {
    refused("name_to_handle_at(\"/\")");
    /* A guessed handle: inode 2 of an ext4 filesystem, the root of most hosts. */
    handle.h.handle_bytes = 8;
    handle.h.handle_type = 1; /* FILEID_INO32_GEN */
    const unsigned ino_gen[2] = {2, 0};
    memcpy(handle.h.f_handle, ino_gen, sizeof ino_gen);
  }
  const int root = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  const long fd = open_by_handle_at(root, &handle.h, O_RDONLY | O_CLOEXEC);
  outcome("open_by_handle_at", fd);
  close_if(fd);
  close_if(root);
  return verdict();
}

/* raw-sockets: raw IP and packet sockets craft any packet, and see every one. */
int attack_raw_sockets(int argc, char** argv) {
  (void)argc;
  (void)argv;
  static const struct {
    int domain, type, protocol;
    const char* name;
  } kinds[] = {{AF_INET, SOCK_RAW, IPPROTO_ICMP, "socket(AF_INET, SOCK_RAW)"},
               {AF_INET6, SOCK_RAW, IPPROTO_ICMPV6, "socket(AF_INET6, SOCK_RAW)"},
               {AF_PACKET, SOCK_RAW, 0x0300 /* htons(ETH_P_ALL) */, "socket(AF_PACKET, SOCK_RAW)"},
               {AF_PACKET, SOCK_DGRAM, 0x0300, "socket(AF_PACKET, SOCK_DGRAM)"}};
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; ++i) {
    const int fd = socket(kinds[i].domain, kinds[i].type | SOCK_CLOEXEC, kinds[i].protocol);
    outcome(kinds[i].name, fd);
    close_if(fd);
  }
  return verdict();
}

/* host-loopback PORT: the host's 127.0.0.1:PORT, where the selftest listens. */
int attack_host_loopback(int argc, char** argv) {
  (void)argc;
  const int port = atoi(argv[1]);
  char what[96];
  static const char* const addresses[] = {"127.0.0.1", "127.0.0.2"};
  for (size_t i = 0; i < sizeof addresses / sizeof addresses[0]; ++i) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      snprintf(what, sizeof what, "socket(AF_INET)");
      refused(what);
      continue;
    }
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
    inet_pton(AF_INET, addresses[i], &sa.sin_addr);
    snprintf(what, sizeof what, "connect %s:%d", addresses[i], port);
    outcome(what, connect(fd, (struct sockaddr*)&sa, sizeof sa));
    close(fd);
  }
  return verdict();
}

/* host-abstract-socket NAME: an abstract unix socket the host listens on; they belong
 * to the network namespace, not to the filesystem. */
int attack_host_abstract_socket(int argc, char** argv) {
  (void)argc;
  const char* name = argv[1];
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    refused("socket(AF_UNIX)");
    return verdict();
  }
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  const size_t len = strlen(name) < sizeof sa.sun_path - 1 ? strlen(name) : sizeof sa.sun_path - 1;
  memcpy(sa.sun_path + 1, name, len);
  char what[160];
  snprintf(what, sizeof what, "connect @%s", name);
  outcome(what, connect(fd, (struct sockaddr*)&sa, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + len)));
  close(fd);
  return verdict();
}

/* kernel-knobs: files that change the host's kernel. Each is opened for writing and
 * closed without a byte written, so that a breach changes nothing. */
int attack_kernel_knobs(int argc, char** argv) {
  (void)argc;
  (void)argv;
  static const char* const files[] = {"/proc/sysrq-trigger",           "/proc/sys/kernel/core_pattern",
                                      "/proc/sys/vm/drop_caches",      "/proc/sys/kernel/modprobe",
                                      "/proc/sys/net/ipv4/ip_forward", "/sys/kernel/uevent_helper",
                                      "/sys/fs/cgroup/cgroup.procs",   "/sys/power/state",
                                      "/proc/self/oom_score_adj"};
  for (size_t i = 0; i < sizeof files / sizeof files[0]; ++i) {
    char what[128];
    snprintf(what, sizeof what, "open %s for writing", files[i]);
    const int fd = open(files[i], O_WRONLY | O_CLOEXEC);
    if (fd >= 0 && !strcmp(files[i], "/proc/self/oom_score_adj")) {
      /* The command's own OOM score: raising it is allowed, lowering it is not. */
      const int rc = (int)write(fd, "-1000", 5);
      close(fd);
      outcome("lower /proc/self/oom_score_adj to -1000", rc);
      continue;
    }
    outcome(what, fd);
    close_if(fd);
  }
  return verdict();
}

/* Runs `call` in a child: the result, or how the child died. */
static void in_child(const char* what, long (*call)(void)) {
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) != 0) {
    refused("pipe2");
    return;
  }
  const pid_t pid = fork();
  if (pid == 0) {
    const long rc = call();
    if (write(pipefd[1], &rc, sizeof rc) != sizeof rc) _exit(2);
    _exit(0);
  }
  close(pipefd[1]);
  long rc = 0;
  const ssize_t n = read(pipefd[0], &rc, sizeof rc);
  close(pipefd[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (n != sizeof rc) {
    if (WIFSIGNALED(status)) note("%s: the process died of signal %d", what, WTERMSIG(status));
    errno = EFAULT;
    refused(what);
    return;
  }
  if (rc < 0 && rc > -4096) {
    errno = (int)-rc;
    refused(what);
    return;
  }
  succeeded("%s returned %ld", what, rc);
}

static long i386_getpid(void) {
#if defined(__x86_64__)
  long rc;
  /* i386 getpid is 20; the result comes back in eax. */
  __asm__ volatile("int $0x80" : "=a"(rc) : "a"(20L) : "memory", "r8", "r9", "r10", "r11");
  return (int)rc;
#else
  return -ENOSYS;
#endif
}

static long x32_getpid(void) {
#if defined(__x86_64__)
  const long rc = syscall(0x40000000L | SYS_getpid);
  return rc < 0 ? -errno : rc;
#else
  return -ENOSYS;
#endif
}

/* i386 and x32: another architecture's numbers, which a filter written for x86-64
 * alone would let through. */
int attack_i386(int argc, char** argv) {
  (void)argc;
  (void)argv;
  in_child("int 0x80 (i386 getpid)", i386_getpid);
  return verdict();
}

int attack_x32(int argc, char** argv) {
  (void)argc;
  (void)argv;
  in_child("x32 getpid", x32_getpid);
  return verdict();
}
