/* hutch-attack NAME [ARG...]: runs one attack (attack.h); --list names them all. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attack.h"

static int breached;

void refused(const char* what) {
  const char* name = strerrorname_np(errno);
  printf("refused: %s: %s\n", what, name ? name : "unknown errno");
  fflush(stdout);
}

static void vline(const char* prefix, const char* format, va_list ap) {
  fputs(prefix, stdout);
  vprintf(format, ap);
  putchar('\n');
  fflush(stdout);
}

void succeeded(const char* format, ...) {
  va_list ap;
  va_start(ap, format);
  vline("SUCCEEDED: ", format, ap);
  va_end(ap);
  breached = 1;
}

void note(const char* format, ...) {
  va_list ap;
  va_start(ap, format);
  vline("note: ", format, ap);
  va_end(ap);
}

int cannot_attack(const char* format, ...) {
  va_list ap;
  va_start(ap, format);
  fputs("error: ", stderr);
  vfprintf(stderr, format, ap);
  fputc('\n', stderr);
  va_end(ap);
  return kCannotAttack;
}

int verdict(void) { return breached ? kBreached : kHeld; }

static const struct {
  const char* name;
  int min_args;
  const char* usage;
  attack_fn run;
} attacks[] = {
    {"host-processes", 2, "PID COMM", attack_host_processes},
    {"ptrace-init", 1, "PID", attack_ptrace_init},
    {"hutch-binary", 1, "PID", attack_hutch_binary},
    {"read-host-file", 1, "PATH", attack_read_host_file},
    {"write-rootfs", 1, "DIR FILE", attack_write_tree},
    {"write-ro-bind", 1, "DIR FILE", attack_write_tree},
    {"escape-root", 1, "PATH", attack_escape_root},
    {"leaked-fds", 0, "", attack_leaked_fds},
    {"reopen-stdin", 0, "", attack_reopen_stdin},
    {"tiocsti", 0, "", attack_tiocsti},
    {"setuid", 1, "SETUID-COPY [DIR]", attack_setuid},
    {"setuid-report", 0, "", attack_setuid_report},
    {"mknod", 1, "DIR", attack_mknod},
    {"mount", 1, "DIR", attack_mount},
    {"keyctl", 0, "", attack_keyctl},
    {"bpf", 0, "", attack_bpf},
    {"perf-event-open", 0, "", attack_perf_event_open},
    {"userfaultfd", 0, "", attack_userfaultfd},
    {"open-by-handle", 0, "", attack_open_by_handle},
    {"raw-sockets", 0, "", attack_raw_sockets},
    {"host-loopback", 1, "PORT", attack_host_loopback},
    {"host-abstract-socket", 1, "NAME", attack_host_abstract_socket},
    {"kernel-knobs", 0, "", attack_kernel_knobs},
    {"i386", 0, "", attack_i386},
    {"x32", 0, "", attack_x32},
    {"nested-userns", 0, "", attack_nested_userns},
    {"hostname", 0, "", attack_hostname},
    {"clock", 0, "", attack_clock},
    {"caller-env", 1, "NAME", attack_caller_env},
    {"mount-targets", 0, "PATH:KIND...", attack_mount_targets},
    {"noop", 0, "", attack_noop},
};

int main(int argc, char** argv) {
  if (argc == 2 && !strcmp(argv[1], "--list")) {
    for (size_t i = 0; i < sizeof attacks / sizeof attacks[0]; ++i) printf("%s\n", attacks[i].name);
    return 0;
  }
  for (size_t i = 0; argc >= 2 && i < sizeof attacks / sizeof attacks[0]; ++i) {
    if (strcmp(argv[1], attacks[i].name) != 0) continue;
    if (argc - 2 < attacks[i].min_args)
      return cannot_attack("usage: hutch-attack %s %s", attacks[i].name, attacks[i].usage);
    return attacks[i].run(argc - 1, argv + 1);
  }
  return cannot_attack("usage: hutch-attack NAME [ARG...] (--list names them)");
}

void outcome(const char* what, long rc) {
  if (rc < 0) {
    refused(what);
    return;
  }
  succeeded("%s", what);
}

int attack_noop(int argc, char** argv) {
  (void)argc;
  (void)argv;
  return kHeld;
}
