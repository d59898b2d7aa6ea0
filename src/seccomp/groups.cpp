#include "seccomp/groups.hpp"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "seccomp/syscalls.hpp"
#include "util/error.hpp"
#include "util/suggest.hpp"

namespace hutch::seccomp {
namespace {

// Members may name system calls of any architecture hutch filters (i386's socketcall,
// the *32 ids); those of other CPUs (s390, powerpc) are left out, as hutch runs on x86 only;
// a name that is not a system call at all fails the unit test that checks this table.
const std::vector<Group> kGroups{
    {"@default", "what every program needs: exit, memory, time, ids, futexes, signals' return",
     "arch_prctl brk clock_getres clock_getres_time64 clock_gettime clock_gettime64 clock_nanosleep "
     "clock_nanosleep_time64 execve exit exit_group futex futex_time64 futex_waitv get_robust_list "
     "get_thread_area getegid getegid32 geteuid geteuid32 getgid getgid32 getgroups getgroups32 getpgid getpgrp "
     "getpid getppid getrandom getresgid getresgid32 getresuid getresuid32 getrlimit getsid gettid gettimeofday "
     "getuid getuid32 membarrier mmap mmap2 mprotect munmap nanosleep pause prlimit64 restart_syscall rseq "
     "rt_sigreturn sched_getaffinity sched_yield set_robust_list set_thread_area set_tid_address sigreturn time "
     "ugetrlimit uname"},
    {"@basic-io", "reading, writing and closing file descriptors",
     "close close_range dup dup2 dup3 lseek _llseek pread64 preadv preadv2 pwrite64 pwritev pwritev2 read readv "
     "write writev"},
    {"@file-system", "files and directories: open, stat, create, rename, remove, attributes, inotify",
     "access chdir chmod close creat faccessat faccessat2 fallocate fchdir fchmod fchmodat fcntl fcntl64 fgetxattr "
     "flistxattr fremovexattr fsetxattr fstat fstat64 fstatat64 fstatfs fstatfs64 ftruncate ftruncate64 futimesat "
     "getcwd getdents getdents64 getxattr inotify_add_watch inotify_init inotify_init1 inotify_rm_watch lgetxattr "
     "link linkat listxattr llistxattr lremovexattr lsetxattr lstat lstat64 mkdir mkdirat mknod mknodat newfstatat "
     "oldfstat oldlstat oldstat open openat openat2 readlink readlinkat removexattr rename renameat renameat2 rmdir "
     "setxattr stat stat64 statfs statfs64 statx symlink symlinkat truncate truncate64 unlink unlinkat utime "
     "utimensat utimensat_time64 utimes"},
    {"@io-event", "waiting for file descriptors: poll, select, epoll, eventfd",
     "_newselect epoll_create epoll_create1 epoll_ctl epoll_ctl_old epoll_pwait epoll_pwait2 epoll_wait "
     "epoll_wait_old eventfd eventfd2 poll ppoll ppoll_time64 pselect6 pselect6_time64 select"},
    {"@ipc", "pipes, SysV and POSIX message queues, semaphores, shared memory",
     "ipc memfd_create mq_getsetattr mq_notify mq_open mq_timedreceive mq_timedreceive_time64 mq_timedsend "
     "mq_timedsend_time64 mq_unlink msgctl msgget msgrcv msgsnd pipe pipe2 process_madvise process_vm_readv "
     "process_vm_writev semctl semget semop semtimedop semtimedop_time64 shmat shmctl shmdt shmget"},
    {"@network-io", "sockets: create, connect, send and receive",
     "accept accept4 bind connect getpeername getsockname getsockopt listen recvfrom recvmmsg "
     "recvmmsg_time64 recvmsg sendmmsg sendmsg sendto setsockopt shutdown socket socketcall socketpair"},
    {"@process", "creating, signalling and waiting for processes and threads",
     "capget clone clone3 execveat fork getrusage kill pidfd_open pidfd_send_signal prctl rt_sigqueueinfo "
     "rt_tgsigqueueinfo setns tgkill times tkill unshare vfork wait4 waitid waitpid"},
    {"@signal", "signal handlers, masks and signal fds",
     "rt_sigaction rt_sigpending rt_sigprocmask rt_sigsuspend rt_sigtimedwait rt_sigtimedwait_time64 sigaction "
     "sigaltstack signal signalfd signalfd4 sigpending sigprocmask sigsuspend"},
    {"@timer", "interval timers, POSIX timers and timer fds",
     "alarm getitimer setitimer timer_create timer_delete timer_getoverrun timer_gettime timer_gettime64 "
     "timer_settime timer_settime64 timerfd_create timerfd_gettime timerfd_gettime64 timerfd_settime "
     "timerfd_settime64 times"},
    {"@sync", "flushing files to storage", "fdatasync fsync msync sync sync_file_range syncfs"},
    {"@memlock", "locking memory into RAM", "mlock mlock2 mlockall munlock munlockall"},
    {"@resources", "changing scheduling, priorities, memory policy and resource limits",
     "ioprio_set mbind migrate_pages move_pages nice sched_setaffinity sched_setattr sched_setparam "
     "sched_setscheduler set_mempolicy set_mempolicy_home_node setpriority setrlimit"},
    {"@chown", "changing file owners", "chown chown32 fchown fchown32 fchownat lchown lchown32"},
    {"@setuid", "changing user and group ids",
     "setgid setgid32 setgroups setgroups32 setregid setregid32 setresgid setresgid32 setresuid setresuid32 "
     "setreuid setreuid32 setuid setuid32"},
    {"@aio", "asynchronous I/O, io_uring included", "io_cancel io_destroy io_getevents io_pgetevents "
     "io_pgetevents_time64 io_setup io_submit io_uring_enter io_uring_register io_uring_setup"},
    {"@keyring", "the kernel's key retention service", "add_key keyctl request_key"},
    {"@mount", "mounting, unmounting and changing the root", "chroot fsconfig fsmount fsopen fspick mount "
     "mount_setattr move_mount open_tree pivot_root umount umount2"},
    {"@module", "loading and unloading kernel modules", "delete_module finit_module init_module"},
    {"@raw-io", "port and PCI I/O", "ioperm iopl"},
    {"@reboot", "rebooting and loading a new kernel", "kexec_file_load kexec_load reboot"},
    {"@swap", "enabling and disabling swap", "swapoff swapon"},
    {"@clock", "setting the system clock", "adjtimex clock_adjtime clock_adjtime64 clock_settime "
     "clock_settime64 settimeofday stime"},
    {"@cpu-emulation", "emulating other CPUs and segment tricks", "modify_ldt vm86 vm86old"},
    {"@debug", "tracing and inspecting other processes",
     "kcmp lookup_dcookie perf_event_open pidfd_getfd process_vm_readv process_vm_writev ptrace"},
    {"@obsolete", "system calls no current program needs",
     "_sysctl afs_syscall bdflush break create_module ftime get_kernel_syms getpmsg gtty idle lock mpx prof "
     "profil putpmsg query_module security sgetmask ssetmask stty sysfs tuxcall ulimit uselib ustat vserver"},
    {"@privileged", "what needs a capability outside a user namespace",
     "@chown @clock @module @raw-io @reboot @swap _sysctl acct bpf capset chroot fanotify_init fanotify_mark "
     "nfsservctl open_by_handle_at pivot_root quotactl quotactl_fd setdomainname setfsuid setfsuid32 setgroups "
     "setgroups32 sethostname setresuid setresuid32 setreuid setreuid32 setuid setuid32 vhangup"},
    {"@sandbox", "a program sandboxing itself further", "landlock_add_rule landlock_create_ruleset "
     "landlock_restrict_self seccomp"},
    {"@system-service", "what a usual service or program uses (systemd's set of the same name)",
     "@aio @basic-io @chown @default @file-system @io-event @ipc @keyring @memlock @network-io @process "
     "@resources @setuid @signal @sync @timer brk capget capset copy_file_range fadvise64 fadvise64_64 flock "
     "get_mempolicy getcpu getpriority ioctl ioprio_get kcmp madvise mremap name_to_handle_at oldolduname "
     "olduname personality readahead readdir remap_file_pages sched_get_priority_max sched_get_priority_min "
     "sched_getattr sched_getparam sched_getscheduler sched_rr_get_interval sched_rr_get_interval_time64 "
     "sendfile sendfile64 setfsgid setfsgid32 setfsuid setfsuid32 setpgid setsid splice sysinfo tee umask "
     "userfaultfd vmsplice"},
};

void expand_into(std::string_view name, std::set<std::string>& out, int depth) {
  const Group* g = find_group(name);
  if (!g) {
    const std::optional<std::string> near = nearest_group(name);
    throw Error(fmt::format("unknown group {}{}", name, near ? fmt::format(" (did you mean {}?)", *near) : ""));
  }
  if (depth > 4) throw Error(fmt::format("group {} nests too deeply", name));
  std::string_view rest = g->members;
  while (!rest.empty()) {
    const std::size_t space = std::min(rest.find(' '), rest.size());
    const std::string_view member = rest.substr(0, space);
    rest.remove_prefix(std::min(space + 1, rest.size()));
    if (member.empty()) continue;
    if (member.front() == '@') expand_into(member, out, depth + 1);
    else if (is_known_syscall(member)) out.emplace(member);
  }
}

}  // namespace

const std::vector<Group>& groups() { return kGroups; }

const Group* find_group(std::string_view name) {
  auto it = std::find_if(kGroups.begin(), kGroups.end(), [&](const Group& g) { return g.name == name; });
  return it == kGroups.end() ? nullptr : &*it;
}

std::vector<std::string> expand_group(std::string_view name) {
  if (name == "@known") return known_syscalls();
  std::set<std::string> out;
  expand_into(name, out, 0);
  return {out.begin(), out.end()};
}

std::optional<std::string> nearest_group(std::string_view name) {
  std::vector<std::string_view> names{"@known"};
  for (const Group& g : kGroups) names.push_back(g.name);
  return suggest::nearest(name, names);
}

}  // namespace hutch::seccomp
