/*
 * probe: a static program the integration tests run inside real sandboxes.
 *
 * Each subcommand tries one thing and prints one exact token on stdout ("OK", an errno
 * name such as "ENOENT", or a short fact), so that a test compares strings, never
 * parses prose. Written in C and linked statically so that it runs in any fixture root
 * filesystem, including a busybox one without a C library.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <sys/prctl.h>
#include <stddef.h>
#include <linux/seccomp.h>
#include <linux/filter.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

static int print_errno(int err) {
  const char *name = strerrorname_np(err);
  printf("%s\n", name ? name : "E?");
  return 0;
}

static int result(int rc) {
  if (rc == 0) {
    printf("OK\n");
    return 0;
  }
  return print_errno(errno);
}

static int is_number(const char *s) {
  if (*s == '\0') return 0;
  for (; *s; ++s)
    if (*s < '0' || *s > '9') return 0;
  return 1;
}

static int cmp_int(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }

/* Numeric entries of a /proc-like directory, sorted, excluding `skip`. */
static int list_numbers(const char *dir, int skip, int *out, int max) {
  DIR *d = opendir(dir);
  if (!d) return -1;
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL && n < max) {
    if (!is_number(e->d_name)) continue;
    int v = atoi(e->d_name);
    if (v != skip) out[n++] = v;
  }
  closedir(d);
  qsort(out, (size_t)n, sizeof *out, cmp_int);
  return n;
}

static void print_numbers(const int *v, int n) {
  for (int i = 0; i < n; ++i) printf(i ? " %d" : "%d", v[i]);
  printf("\n");
}

static int cmd_status(const char *pid) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%s/status", pid);
  FILE *f = fopen(path, "re");
  if (!f) return print_errno(errno);
  char line[256];
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, "Cap", 3) == 0 || strncmp(line, "NoNewPrivs:", 11) == 0) fputs(line, stdout);
  }
  fclose(f);
  return 0;
}

static int cmd_fds(void) {
  DIR *d = opendir("/proc/self/fd");
  if (!d) return print_errno(errno);
  int v[256];
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL && n < 256) {
    if (is_number(e->d_name) && atoi(e->d_name) != dirfd(d)) v[n++] = atoi(e->d_name);
  }
  closedir(d);
  qsort(v, (size_t)n, sizeof *v, cmp_int);
  print_numbers(v, n);
  return 0;
}

static int cmd_pids(void) {
  int v[4096];
  int n = list_numbers("/proc", -1, v, 4096);
  if (n < 0) return print_errno(errno);
  print_numbers(v, n);
  return 0;
}

static int cmd_netifs(void) {
  struct if_nameindex *ifs = if_nameindex();
  if (!ifs) return print_errno(errno);
  int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  for (struct if_nameindex *i = ifs; i->if_index != 0; ++i) {
    struct ifreq req;
    memset(&req, 0, sizeof req);
    strncpy(req.ifr_name, i->if_name, IFNAMSIZ - 1);
    int up = sock >= 0 && ioctl(sock, SIOCGIFFLAGS, &req) == 0 && (req.ifr_flags & IFF_UP);
    printf("%s%s:%s", i == ifs ? "" : " ", i->if_name, up ? "up" : "down");
  }
  printf("\n");
  if_freenameindex(ifs);
  return 0;
}

static int cmd_write(const char *path) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return print_errno(errno);
  int rc = write(fd, "probe\n", 6) == 6 ? 0 : -1;
  close(fd);
  return result(rc);
}

/* Opens PATH anew with MODE: r, w, rw, or wt (write, truncating). For /proc/self/fd/N
 * this is a reopen of fd N, checked against the file as if by path (proc(5)). */
static int cmd_reopen(const char *path, const char *mode) {
  int flags;
  if (!strcmp(mode, "r")) flags = O_RDONLY;
  else if (!strcmp(mode, "w")) flags = O_WRONLY;
  else if (!strcmp(mode, "rw")) flags = O_RDWR;
  else if (!strcmp(mode, "wt")) flags = O_WRONLY | O_TRUNC;
  else return printf("bad mode %s\n", mode), 2;
  int fd = open(path, flags | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return print_errno(errno);
  close(fd);
  return result(0);
}

static int cmd_read(const char *path) {
  FILE *f = fopen(path, "re");
  if (!f) return print_errno(errno);
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) fwrite(buf, 1, n, stdout);
  fclose(f);
  return 0;
}

/* Orphans a grandchild that exits at once: the zombie is reparented to pid 1, which
 * must reap it. Prints "reaped" when no zombie is left, else "zombie PID". */
static int cmd_orphans(int count) {
  for (int k = 0; k < count; ++k) {
    pid_t child = fork();
    if (child == 0) {
      if (fork() == 0) {
        usleep(20000);
        _exit(0);
      }
      _exit(0);
    }
    waitpid(child, NULL, 0);
  }
  for (int attempt = 0; attempt < 1000; ++attempt) {
    int pids[4096];
    int n = list_numbers("/proc", getpid(), pids, 4096);
    int zombie = 0;
    for (int i = 0; i < n && !zombie; ++i) {
      char path[64], buf[512];
      snprintf(path, sizeof path, "/proc/%d/stat", pids[i]);
      FILE *f = fopen(path, "re");
      if (!f) continue;
      if (fgets(buf, sizeof buf, f)) {
        char *close_paren = strrchr(buf, ')');
        if (close_paren && close_paren[1] == ' ' && close_paren[2] == 'Z') zombie = pids[i];
      }
      fclose(f);
    }
    if (!zombie && attempt > 5) {
      printf("reaped\n");
      return 0;
    }
    if (zombie && attempt == 999) {
      printf("zombie %d\n", zombie);
      return 0;
    }
    usleep(10000);
  }
  return 0;
}

/* Forks `count` detached children that sleep forever, prints "ready", sleeps. */
static int cmd_sleepers(int count) {
  for (int k = 0; k < count; ++k) {
    if (fork() == 0) {
      setsid();
      for (;;) pause();
    }
  }
  printf("ready\n");
  fflush(stdout);
  for (;;) pause();
  return 0;
}

/* Spins until this process has used `ms` milliseconds of CPU time: a known amount of
   work, whatever else the machine is doing. */
static int cmd_spin(long ms) {
  struct timespec t;
  do {
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  } while (t.tv_sec * 1000L + t.tv_nsec / 1000000L < ms);
  return 0;
}

/* Allocates and touches `mb` MiB, then exits 0: a known amount of memory. */
static int cmd_alloc(long mb) {
  const size_t size = (size_t)mb << 20;
  char* p = malloc(size);
  if (p == NULL) return print_errno(errno);
  for (size_t i = 0; i < size; i += 4096) p[i] = 1;
  printf("allocated %ld MiB\n", mb);
  return 0;
}

/* A memory hog as a judge meets one: allocates `mb` MiB in `chunk`-KiB pieces, touching
   each, and aborts (as C++'s new would) when an allocation fails. Pieces below glibc's
   mmap threshold (128 KiB) come from brk, larger ones from mmap; "sbrk" grows the
   break itself, 1 MiB at a time (touched), and exits 3 when refused. */
static int cmd_hog(long mb, long chunk_kib) {
  const size_t chunk = (size_t)chunk_kib << 10;
  for (size_t done = 0; done < ((size_t)mb << 20); done += chunk) {
    char *p = malloc(chunk);
    if (p == NULL) {
      fprintf(stderr, "hog: out of memory after %zu MiB\n", done >> 20);
      abort();
    }
    for (size_t i = 0; i < chunk; i += 4096) p[i] = 1;
  }
  printf("allocated %ld MiB\n", mb);
  return 0;
}

static int cmd_sbrk(long mb) {
  for (long i = 0; i < mb; ++i) {
    char *p = sbrk(1 << 20);
    if (p == (void *)-1) {
      printf("sbrk: refused after %ld MiB\n", i);
      return 3;
    }
    for (size_t j = 0; j < (1 << 20); j += 4096) p[j] = 1;
  }
  printf("grew the break by %ld MiB\n", mb);
  return 0;
}

static void *sleeper_thread(void *arg) {
  (void)arg;
  for (;;) pause();
  return NULL;
}

/* Starts threads that sleep until it fails or has `count`; prints how many it got. */
static int cmd_threads(long count) {
  long n = 0;
  int err = 0;
  for (; n < count; ++n) {
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 65536);
    err = pthread_create(&t, &attr, sleeper_thread, NULL);
    pthread_attr_destroy(&attr);
    if (err != 0) break;
  }
  printf("started %ld threads%s%s\n", n, err ? ", then " : "", err ? strerror(err) : "");
  return 0;
}

/* Opens /dev/null until it fails; prints how many it got and why it stopped. */
static int cmd_openmax(void) {
  int n = 0;
  while (open("/dev/null", O_RDONLY | O_CLOEXEC) >= 0) ++n;
  printf("opened %d, then %s\n", n, strerror(errno));
  return 0;
}

static int cmd_tiocsti(int fd) {
  char c = '#';
  return result(ioctl(fd, TIOCSTI, &c));
}

static int cmd_ptrace(pid_t pid) {
  if (ptrace(PTRACE_ATTACH, pid, NULL, NULL) != 0) return print_errno(errno);
  printf("OK\n");
  return 0;
}

/* Lines of a file minus its header line: SysV IPC objects in /proc/sysvipc/ *. */
static int cmd_count_entries(const char *path) {
  FILE *f = fopen(path, "re");
  if (!f) return print_errno(errno);
  char line[1024];
  int lines = 0;
  while (fgets(line, sizeof line, f)) ++lines;
  fclose(f);
  printf("%d\n", lines > 0 ? lines - 1 : 0);
  return 0;
}

/* Mount points of this mount namespace, sorted, one per line. */
static int cmd_mounts(void) {
  FILE *f = fopen("/proc/self/mountinfo", "re");
  if (!f) return print_errno(errno);
  char line[4096];
  char points[256][256];
  int n = 0;
  while (fgets(line, sizeof line, f) && n < 256) {
    if (sscanf(line, "%*s %*s %*s %*s %255s", points[n]) == 1) ++n;
  }
  fclose(f);
  qsort(points, (size_t)n, sizeof points[0], (int (*)(const void *, const void *))strcmp);
  for (int i = 0; i < n; ++i) printf("%s\n", points[i]);
  return 0;
}

static int cmd_env(void) {
  for (char **e = environ; *e; ++e) printf("%s\n", *e);
  return 0;
}

static int cmd_unshare_user(void) { return result(unshare(CLONE_NEWUSER)); }

/* What a nested sandbox (bubblewrap, podman) does first: a user and mount namespace of
 * its own, then a mount in it. Prints OK, or the errno of the step that failed. */
static int cmd_nested_mount(void) {
  if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) return print_errno(errno);
  return result(mount("none", "/tmp", "tmpfs", 0, NULL));
}

static volatile sig_atomic_t g_signals;
static void count_signal(int sig) {
  (void)sig;
  ++g_signals;
}

/* Counts SIGUSR1s: prints "ready", then the count one second after the first. */
static int cmd_count_usr1(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = count_signal;
  sigaction(SIGUSR1, &sa, NULL);
  printf("ready\n");
  while (g_signals == 0) pause();
  struct timespec second = {1, 0};
  while (nanosleep(&second, &second) != 0) {
  }
  printf("%d\n", (int)g_signals);
  return 0;
}

// `raw NR [ARG...]`: syscall(2) by number, arguments as numbers (0x... allowed).
// `int80 NR [ARG...]`: the same through the i386 entry (int $0x80).
// `x32 NR`: the same number with the x32 bit (__X32_SYSCALL_BIT).
static long number_arg(const char *s) { return (long)strtoull(s, NULL, 0); }

static int cmd_raw(int argc, char **argv, int how) {
  long a[6] = {0};
  for (int i = 0; i < 6 && 3 + i < argc; ++i) a[i] = number_arg(argv[3 + i]);
  long nr = number_arg(argv[2]);
  long rc;
  if (how == 1) {
#if defined(__x86_64__)
    // i386 convention: eax = nr, ebx, ecx, edx, esi, edi, ebp; the result comes back in eax.
    __asm__ volatile("int $0x80"
                     : "=a"(rc)
                     : "a"(nr), "b"(a[0]), "c"(a[1]), "d"(a[2]), "S"(a[3]), "D"(a[4])
                     : "memory", "r8", "r9", "r10", "r11");
    if (rc < 0 && rc > -4096) return print_errno((int)-rc);
    printf("OK %ld\n", rc);
    return 0;
#else
    printf("UNSUPPORTED\n");
    return 0;
#endif
  }
  if (how == 2) nr |= 0x40000000L;
  rc = syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
  if (rc < 0) return print_errno(errno);
  printf("OK %ld\n", rc);
  return 0;
}

// `with-listener CMD ARG...`: install a seccomp filter that allows everything and has a
// notification listener (kept open across exec), then run CMD: a process under it
// cannot get a listener of its own (EBUSY), as inside a sandbox that uses one.
static int cmd_with_listener(char **argv) {
  struct sock_filter code[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1023, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = {sizeof code / sizeof code[0], code};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return print_errno(errno);
  long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
  if (fd < 0) return print_errno(errno);
  fcntl((int)fd, F_SETFD, 0);  // the listener must outlive exec, or the filter loses it
  execvp(argv[0], argv);
  return print_errno(errno);
}

static int usage(void) {
  fprintf(stderr,
          "usage: probe status [PID] | fds | pids | netifs | hostname | id | env | mounts |\n"
          "             unshare-user | nested-mount | count-usr1 | stat PATH |\n"
          "             write PATH | read PATH | reopen PATH r|w|rw|wt | count-entries PATH |\n"
          "             exit N | kill-self SIG |\n"
          "             orphans N | sleepers N | spin MS | alloc MB | hog MB [KIB] | sbrk MB |\n"
          "             threads N | openmax | tiocsti FD | ptrace PID | echo ARG... |\n"
          "             raw NR [ARG...] | int80 NR [ARG...] | x32 NR [ARG...] |\n"
          "             with-listener CMD [ARG...]\n");
  return 2;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc < 2) return usage();
  const char *cmd = argv[1];
  const char *arg = argc > 2 ? argv[2] : NULL;
  struct stat st;
  struct utsname uts;
  if (!strcmp(cmd, "status")) return cmd_status(arg ? arg : "self");
  if (!strcmp(cmd, "fds")) return cmd_fds();
  if (!strcmp(cmd, "pids")) return cmd_pids();
  if (!strcmp(cmd, "netifs")) return cmd_netifs();
  if (!strcmp(cmd, "env")) return cmd_env();
  if (!strcmp(cmd, "mounts")) return cmd_mounts();
  if (!strcmp(cmd, "unshare-user")) return cmd_unshare_user();
  if (!strcmp(cmd, "nested-mount")) return cmd_nested_mount();
  if (!strcmp(cmd, "count-usr1")) return cmd_count_usr1();
  if (!strcmp(cmd, "hostname")) return uname(&uts) == 0 ? (printf("%s\n", uts.nodename), 0) : print_errno(errno);
  if (!strcmp(cmd, "id")) return printf("uid=%u gid=%u\n", getuid(), getgid()), 0;
  if (!strcmp(cmd, "echo")) {
    for (int i = 2; i < argc; ++i) printf(i > 2 ? " %s" : "%s", argv[i]);
    printf("\n");
    return 0;
  }
  if (!strcmp(cmd, "openmax")) return cmd_openmax();
  if (!arg) return usage();
  if (!strcmp(cmd, "with-listener")) return cmd_with_listener(argv + 2);
  if (!strcmp(cmd, "raw")) return cmd_raw(argc, argv, 0);
  if (!strcmp(cmd, "int80")) return cmd_raw(argc, argv, 1);
  if (!strcmp(cmd, "x32")) return cmd_raw(argc, argv, 2);
  if (!strcmp(cmd, "stat")) return result(stat(arg, &st));
  if (!strcmp(cmd, "write")) return cmd_write(arg);
  if (!strcmp(cmd, "read")) return cmd_read(arg);
  if (!strcmp(cmd, "reopen")) return argc > 3 ? cmd_reopen(arg, argv[3]) : usage();
  if (!strcmp(cmd, "count-entries")) return cmd_count_entries(arg);
  if (!strcmp(cmd, "exit")) return atoi(arg);
  if (!strcmp(cmd, "kill-self")) return raise(atoi(arg)), 0;
  if (!strcmp(cmd, "orphans")) return cmd_orphans(atoi(arg));
  if (!strcmp(cmd, "sleepers")) return cmd_sleepers(atoi(arg));
  if (!strcmp(cmd, "tiocsti")) return cmd_tiocsti(atoi(arg));
  if (!strcmp(cmd, "spin")) return cmd_spin(atol(arg));
  if (!strcmp(cmd, "alloc")) return cmd_alloc(atol(arg));
  if (!strcmp(cmd, "hog")) return cmd_hog(atol(arg), argc > 3 ? atol(argv[3]) : 64);
  if (!strcmp(cmd, "sbrk")) return cmd_sbrk(atol(arg));
  if (!strcmp(cmd, "threads")) return cmd_threads(atol(arg));
  if (!strcmp(cmd, "ptrace")) return cmd_ptrace(atoi(arg));
  return usage();
}
