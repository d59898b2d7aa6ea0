/*
 * hutch-attack: the escape suite `hutch selftest` runs inside real sandboxes
 * (docs/selftest.md, SECURITY.md).
 *
 * Each attack tries every way it knows to do one thing the sandbox must prevent, and
 * prints one line per attempt on stdout:
 *   refused: WHAT: ERRNO-NAME        the kernel said no
 *   SUCCEEDED: WHAT                  the attempt worked: the sandbox is breached
 *   note: TEXT                       a fact that explains the outcome
 * It exits 0 when every attempt failed (the sandbox held), 1 when one succeeded, and 2
 * when it could not attack at all (bad arguments, nothing to attack): a selftest
 * counts that as an error, never as held. Static C, so that it runs in any root
 * filesystem and has no library to lean on.
 */
#pragma once
#include <errno.h>
#include <stdarg.h>

enum { kHeld = 0, kBreached = 1, kCannotAttack = 2 };

/* Prints "refused: WHAT: <errno name>" for the current errno. */
void refused(const char* what);
/* Prints "SUCCEEDED: ..." and marks the attack breached. */
void succeeded(const char* format, ...) __attribute__((format(printf, 1, 2)));
void note(const char* format, ...) __attribute__((format(printf, 1, 2)));
/* Exit status for an attack that ran: kBreached once succeeded() was called. */
int verdict(void);
/* Prints "error: ..." on stderr and returns kCannotAttack. */
int cannot_attack(const char* format, ...) __attribute__((format(printf, 1, 2)));

/* refused() when rc < 0 (errno set), else succeeded(what). */
void outcome(const char* what, long rc);

/* Every attack: argv[0] is its name, the rest its arguments. */
typedef int (*attack_fn)(int argc, char** argv);

int attack_host_processes(int argc, char** argv);
int attack_ptrace_init(int argc, char** argv);
int attack_hutch_binary(int argc, char** argv);
int attack_read_host_file(int argc, char** argv);
int attack_write_tree(int argc, char** argv);
int attack_escape_root(int argc, char** argv);
int attack_leaked_fds(int argc, char** argv);
int attack_reopen_stdin(int argc, char** argv);
int attack_tiocsti(int argc, char** argv);
int attack_setuid(int argc, char** argv);
int attack_setuid_report(int argc, char** argv);
int attack_mknod(int argc, char** argv);
int attack_mount(int argc, char** argv);
int attack_keyctl(int argc, char** argv);
int attack_bpf(int argc, char** argv);
int attack_perf_event_open(int argc, char** argv);
int attack_userfaultfd(int argc, char** argv);
int attack_open_by_handle(int argc, char** argv);
int attack_raw_sockets(int argc, char** argv);
int attack_host_loopback(int argc, char** argv);
int attack_host_abstract_socket(int argc, char** argv);
int attack_kernel_knobs(int argc, char** argv);
int attack_i386(int argc, char** argv);
int attack_x32(int argc, char** argv);
int attack_nested_userns(int argc, char** argv);
int attack_hostname(int argc, char** argv);
int attack_clock(int argc, char** argv);
int attack_caller_env(int argc, char** argv);
int attack_mount_targets(int argc, char** argv);
int attack_noop(int argc, char** argv);
