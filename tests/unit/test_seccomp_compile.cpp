// Policy rules -> resolved decisions -> BPF, checked by running the compiled program
// (seccomp/bpf.cpp) on the system calls a sandboxed program could make.
#include <errno.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <catch2/catch.hpp>

#include "policy/lookup.hpp"
#include "policy/schema.hpp"
#include "seccomp/compile.hpp"
#include "seccomp/observe.hpp"
#include "seccomp/precompiled.hpp"
#include "util/error.hpp"

using namespace hutch::seccomp;
using Catch::Matchers::Contains;

namespace {

constexpr std::uint32_t kAllow = SECCOMP_RET_ALLOW;
constexpr std::uint32_t kNotify = SECCOMP_RET_USER_NOTIF;
std::uint32_t err(int e) { return SECCOMP_RET_ERRNO | static_cast<std::uint32_t>(e); }

struct Call {
  int nr;
  std::uint64_t a0 = 0, a1 = 0, a2 = 0;
  std::uint32_t arch = SCMP_ARCH_X86_64;
};

std::uint32_t run(const Program& p, Call c) {
  seccomp_data d{};
  d.nr = c.nr;
  d.arch = c.arch;
  d.args[0] = c.a0;
  d.args[1] = c.a1;
  d.args[2] = c.a2;
  return run_bpf(p, d);
}

Program build(const Filter& f, bool nested = false, KillMode mode = KillMode::Notify) {
  return compile(resolve(f, ResolveOptions{nested}), mode).program;
}

Filter default_filter() { return hutch::policy::Policy{}.seccomp; }

Rule rule(std::string name, Action a, std::vector<Condition> args = {}) { return Rule{std::move(name), a, std::move(args)}; }
const Action kKill{Action::Kind::Kill, 0};
const Action kAllowA{Action::Kind::Allow, 0};
Condition masked_low32(unsigned arg, std::uint64_t value) { return Condition{arg, Op::Masked, value, 0xffffffffu, "", ""}; }

}  // namespace

TEST_CASE("seccomp: the default filter allows what is known and refuses the baseline", "[unit][seccomp]") {
  const Program p = build(default_filter());
  CHECK(run(p, {SYS_read}) == kAllow);
  CHECK(run(p, {SYS_getppid}) == kAllow);
  CHECK(run(p, {SYS_mount}) == err(EPERM));
  CHECK(run(p, {SYS_keyctl}) == err(EPERM));
  CHECK(run(p, {SYS_bpf}) == err(EPERM));
  CHECK(run(p, {SYS_io_uring_setup}) == err(EPERM));
  CHECK(run(p, {SYS_open_by_handle_at}) == err(EPERM));
  CHECK(run(p, {SYS_clone3}) == err(ENOSYS));
  CHECK(run(p, {1000}) == err(ENOSYS));  // unknown to the filter
  CHECK(run(p, {SYS_ptrace}) == kAllow);  // only the judge refuses it
}

TEST_CASE("seccomp: baseline argument checks, the ioctl one on the low 32 bits only", "[unit][seccomp]") {
  const Program p = build(default_filter());
  CHECK(run(p, {SYS_ioctl, 0, TIOCSTI}) == err(EPERM));
  CHECK(run(p, {SYS_ioctl, 0, TIOCSTI | (std::uint64_t{1} << 32)}) == err(EPERM));  // CVE-2019-10063
  CHECK(run(p, {SYS_ioctl, 0, TIOCLINUX}) == err(EPERM));
  CHECK(run(p, {SYS_ioctl, 0, TCGETS}) == kAllow);
  CHECK(run(p, {SYS_socket, AF_VSOCK, SOCK_STREAM}) == err(EPERM));
  CHECK(run(p, {SYS_socket, AF_INET, SOCK_STREAM}) == kAllow);
  CHECK(run(p, {SYS_clone, CLONE_NEWUSER | SIGCHLD}) == err(EPERM));
  CHECK(run(p, {SYS_unshare, CLONE_NEWUSER | CLONE_NEWNS}) == err(EPERM));
  CHECK(run(p, {SYS_clone, CLONE_VM | CLONE_THREAD | CLONE_SIGHAND}) == kAllow);
  CHECK(run(p, {SYS_unshare, CLONE_NEWNS}) == kAllow);
  const Program nested = build(default_filter(), true);
  CHECK(run(nested, {SYS_clone, CLONE_NEWUSER | SIGCHLD}) == kAllow);
}

TEST_CASE("seccomp: other architectures are refused outright", "[unit][seccomp]") {
  const Program p = build(default_filter());
  CHECK(run(p, {0, 0, 0, 0, SCMP_ARCH_X86}) == kNotify);   // int 0x80: i386 read
  CHECK(run(p, {26, 0, 0, 0, SCMP_ARCH_X86}) == kNotify);  // i386 ptrace
  CHECK(run(p, {0x40000000 | 0, 0, 0, 0, SCMP_ARCH_X86_64}) == kNotify);  // x32 read
  CHECK(run(p, {0x40000000 | SYS_getpid, 0, 0, 0, SCMP_ARCH_X86_64}) == kNotify);
  CHECK(run(p, {0x40000000 | 521, 0, 0, 0, SCMP_ARCH_X86_64}) == kNotify);  // x32 ptrace
  CHECK(run(without_notify(p), {0, 0, 0, 0, SCMP_ARCH_X86}) == SECCOMP_RET_KILL_PROCESS);
}

TEST_CASE("seccomp: an allow list keeps the baseline's argument checks", "[unit][seccomp]") {
  Filter f;
  f.baseline = kKill;
  f.rules = {rule("@default", kAllowA), rule("@basic-io", kAllowA), rule("ioctl", kAllowA), rule("socket", kAllowA),
             rule("ptrace", kKill)};
  const Program p = build(f);
  CHECK(run(p, {SYS_write}) == kAllow);
  CHECK(run(p, {SYS_ioctl, 1, TCGETS}) == kAllow);
  CHECK(run(p, {SYS_ioctl, 1, TIOCSTI}) == kNotify);
  CHECK(run(p, {SYS_ioctl, 1, TIOCSTI | (std::uint64_t{7} << 40)}) == kNotify);
  CHECK(run(p, {SYS_socket, AF_VSOCK}) == kNotify);
  CHECK(run(p, {SYS_socket, AF_UNIX}) == kAllow);
  CHECK(run(p, {SYS_ptrace}) == kNotify);
  CHECK(run(p, {SYS_mount}) == kNotify);      // baseline, with action kill
  CHECK(run(p, {SYS_openat}) == err(ENOSYS));  // not allowed: the default
  CHECK(run(build(f, false, KillMode::KillProcess), {SYS_ptrace}) == SECCOMP_RET_KILL_PROCESS);
}

TEST_CASE("seccomp: precedence of names, groups, baseline and default", "[unit][seccomp]") {
  Filter f;
  f.rules = {rule("@known", kAllowA), rule("@debug", kKill), rule("process_vm_readv", kAllowA),
             rule("@mount", kAllowA), rule("umount2", kAllowA)};
  const Resolved r = resolve(f, {});
  const Program p = compile(r, KillMode::Notify).program;
  CHECK(run(p, {SYS_ptrace}) == kNotify);            // the stricter of @known and @debug
  CHECK(run(p, {SYS_process_vm_readv}) == kAllow);   // its name beats @debug
  CHECK(run(p, {SYS_mount}) == err(EPERM));          // a group does not lift the baseline
  CHECK(run(p, {SYS_umount2}) == kAllow);            // its name does
}

TEST_CASE("seccomp: every action and every comparison", "[unit][seccomp]") {
  Filter f;
  f.rules = {rule("@known", kAllowA),
             rule("getppid", {Action::Kind::Errno, EACCES}),
             rule("getpid", {Action::Kind::Trap, 0}),
             rule("gettid", {Action::Kind::Log, 0}),
             rule("getuid", kKill),
             rule("dup", {Action::Kind::Errno, 1}, {Condition{0, Op::Eq, 5, 0, "5", ""}}),
             rule("dup2", {Action::Kind::Errno, 2}, {Condition{0, Op::Ne, 5, 0, "5", ""}}),
             rule("dup3", {Action::Kind::Errno, 3}, {Condition{2, Op::Lt, 5, 0, "5", ""}}),
             rule("close", {Action::Kind::Errno, 4}, {Condition{0, Op::Le, 5, 0, "5", ""}}),
             rule("lseek", {Action::Kind::Errno, 5}, {Condition{2, Op::Gt, 1, 0, "1", ""}}),
             rule("fsync", {Action::Kind::Errno, 6}, {Condition{0, Op::Ge, 100, 0, "100", ""}}),
             rule("kill", {Action::Kind::Errno, 7}, {Condition{1, Op::Masked, 8, 0xc, "8", "0xc"}})};
  const Program p = build(f);
  CHECK(run(p, {SYS_getppid}) == err(EACCES));
  CHECK(run(p, {SYS_getpid}) == SECCOMP_RET_TRAP);
  CHECK(run(p, {SYS_gettid}) == SECCOMP_RET_LOG);
  CHECK(run(p, {SYS_getuid}) == kNotify);
  CHECK(run(p, {SYS_dup, 5}) == err(1));
  CHECK(run(p, {SYS_dup, 6}) == kAllow);
  CHECK(run(p, {SYS_dup2, 6}) == err(2));
  CHECK(run(p, {SYS_dup2, 5}) == kAllow);
  CHECK(run(p, {SYS_dup3, 0, 0, 4}) == err(3));
  CHECK(run(p, {SYS_dup3, 0, 0, 5}) == kAllow);
  CHECK(run(p, {SYS_close, 5}) == err(4));
  CHECK(run(p, {SYS_close, 6}) == kAllow);
  CHECK(run(p, {SYS_lseek, 0, 0, 2}) == err(5));
  CHECK(run(p, {SYS_lseek, 0, 0, 1}) == kAllow);
  CHECK(run(p, {SYS_fsync, 100}) == err(6));
  CHECK(run(p, {SYS_fsync, 99}) == kAllow);
  CHECK(run(p, {SYS_kill, 1, 9}) == err(7));   // 9 & 0xc == 8
  CHECK(run(p, {SYS_kill, 1, 13}) == kAllow);  // 13 & 0xc == 12
}

TEST_CASE("seccomp: the disassembler names what each path returns", "[unit][seccomp]") {
  const std::string text = disassemble(build(default_filter()));
  CHECK_THAT(text, Contains("ret ERRNO(1)"));
  CHECK_THAT(text, Contains("ret USER_NOTIF"));
  CHECK_THAT(text, Contains("0000: ld [4]"));
}

TEST_CASE("seccomp: a program that does not do what the rules say is caught", "[unit][seccomp]") {
  const Resolved r = resolve(default_filter(), {});
  Program p = compile(r, KillMode::Notify).program;
  CHECK_NOTHROW(check_program(p, r, KillMode::Notify));
  // Make every ERRNO(EPERM) path answer ALLOW, as a misordered tree would for TIOCSTI.
  for (sock_filter& in : p) {
    if (in.code == (BPF_RET | BPF_K) && in.k == (SECCOMP_RET_ERRNO | EPERM)) in.k = SECCOMP_RET_ALLOW;
  }
  CHECK_THROWS_WITH(check_program(p, r, KillMode::Notify),
                    "seccomp: the compiled program answers system call 155 (pivot_root) with ALLOW, the policy "
                    "means ERRNO(1)");
  // The same for an argument rule alone: only TIOCSTI's path answers wrongly.
  Program q = compile(r, KillMode::Notify).program;
  for (std::size_t i = 0; i + 1 < q.size(); ++i) {
    if (q[i].code == (BPF_JMP | BPF_JEQ | BPF_K) && q[i].k == TIOCSTI) q[i].k = TIOCSTI + 1000;  // never matches
  }
  CHECK_THROWS_WITH(check_program(q, r, KillMode::Notify),
                    Contains("seccomp: the rules for ioctl cannot be compiled as written: with argument 1 = 0x5412") &&
                        Contains("the policy means errno(EPERM)"));
}

TEST_CASE("seccomp: the check tries arguments in combination", "[unit][seccomp]") {
  // kill socket(AF_INET, SOCK_RAW): wrong only when both arguments match.
  Filter f = default_filter();
  f.rules.push_back(rule("socket", kKill,
                         {Condition{0, Op::Eq, AF_INET, 0, "", ""}, Condition{1, Op::Eq, SOCK_RAW, 0, "", ""}}));
  const Resolved r = resolve(f, {});
  Program p = compile(r, KillMode::Notify).program;
  CHECK(run(p, {SYS_socket, AF_INET, SOCK_RAW}) == kNotify);
  CHECK(run(p, {SYS_socket, AF_INET, SOCK_STREAM}) == kAllow);
  // Make the test of argument 1 (its low word is at offset 24) never match.
  int changed = 0;
  for (std::size_t i = 0; i + 1 < p.size(); ++i) {
    if (p[i].code == (BPF_LD | BPF_W | BPF_ABS) && p[i].k == 24 && p[i + 1].code == (BPF_JMP | BPF_JEQ | BPF_K) &&
        p[i + 1].k == SOCK_RAW) {
      p[i + 1].k = SOCK_RAW + 1000;
      ++changed;
    }
  }
  REQUIRE(changed > 0);
  CHECK(run(p, {SYS_socket, AF_INET, SOCK_RAW}) == kAllow);
  CHECK_THROWS_WITH(check_program(p, r, KillMode::Notify),
                    Contains("the rules for socket cannot be compiled as written: with argument 0 = 0x2, argument 1 = "
                             "0x3 the filter would return ALLOW, the policy means kill"));
}

TEST_CASE("seccomp: baseline items are lifted by allow or log, and clone3 only with nesting", "[unit][seccomp]") {
  const Action kLog{Action::Kind::Log, 0};
  Filter f = default_filter();
  f.rules.push_back(rule("keyctl", kLog));
  f.rules.push_back(rule("ioctl", kLog, {masked_low32(1, TIOCSTI)}));
  const Program p = build(f);
  CHECK(run(p, {SYS_keyctl}) == SECCOMP_RET_LOG);
  CHECK(run(p, {SYS_ioctl, 0, TIOCSTI}) == SECCOMP_RET_LOG);
  CHECK(run(p, {SYS_ioctl, 0, TIOCLINUX}) == err(EPERM));
  // clone3 cannot be inspected: allowing it would let CLONE_NEWUSER through.
  for (const Action& a : {kAllowA, kLog}) {
    Filter g = default_filter();
    g.rules.push_back(rule("clone3", a));
    CHECK_THROWS_WITH(resolve(g, {}), Contains("clone3 is allowed while nested user namespaces are not"));
    CHECK(run(build(g, true), {SYS_clone3}) == (a == kLog ? SECCOMP_RET_LOG : kAllow));
  }
  Filter g = default_filter();
  g.rules.push_back(rule("clone3", kAllowA, {Condition{1, Op::Eq, 88, 0, "", ""}}));
  CHECK_THROWS_WITH(resolve(g, {}), Contains("clone3 is allowed"));
  g = default_filter();
  g.rules.push_back(rule("clone3", kKill));  // stricter than the baseline: fine
  CHECK(run(build(g), {SYS_clone3}) == kNotify);
}

TEST_CASE("seccomp: the BPF interpreter divides as the kernel does", "[unit][seccomp]") {
  seccomp_data d{};
  // By X = 0 the kernel ends the program with 0 (KILL_THREAD); by a constant 0 it refuses it.
  const Program by_x{BPF_STMT(BPF_LD | BPF_IMM, 7), BPF_STMT(BPF_LDX | BPF_IMM, 0),
                     BPF_STMT(BPF_ALU | BPF_DIV | BPF_X, 0), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
  CHECK(run_bpf(by_x, d) == SECCOMP_RET_KILL_THREAD);
  const Program by_k{BPF_STMT(BPF_LD | BPF_IMM, 7), BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, 0),
                     BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
  CHECK_THROWS_WITH(run_bpf(by_k, d), Contains("division by the constant 0"));
}

TEST_CASE("seccomp: review findings stay fixed", "[unit][seccomp]") {
  // socket's family is an int: AF_VSOCK with upper bits set is still AF_VSOCK.
  const Program p = build(default_filter());
  CHECK(run(p, {SYS_socket, AF_VSOCK | (std::uint64_t{1} << 32)}) == err(EPERM));
  CHECK(run(p, {SYS_socket, AF_INET | (std::uint64_t{1} << 32)}) == kAllow);
  // A call the policy kills by name stays killed; the baseline does not soften it.
  Filter f = default_filter();
  f.rules.push_back(rule("mount", kKill));
  f.rules.push_back(rule("ioctl", kKill));
  const Program k = build(f);
  CHECK(run(k, {SYS_mount}) == kNotify);
  CHECK(run(k, {SYS_ioctl, 0, TIOCSTI}) == kNotify);
  // An argument rule may share the action of most calls (libseccomp's default is chosen around it).
  Filter c = default_filter();
  c.rules.push_back(rule("ptrace", {Action::Kind::Errno, EPERM}));
  c.rules.push_back(rule("ptrace", kAllowA, {Condition{0, Op::Eq, 0, 0, "PTRACE_TRACEME", ""}}));
  const Program q = build(c);
  CHECK(run(q, {SYS_ptrace, 0}) == kAllow);
  CHECK(run(q, {SYS_ptrace, 16}) == err(EPERM));
  CHECK(run(q, {SYS_read}) == kAllow);
  // The command must be able to start and to report a failure to start.
  Filter e = default_filter();
  e.rules.push_back(rule("execve", kKill));
  CHECK_THROWS_WITH(build(e), Contains("seccomp: execve must be allowed"));
  Filter w = default_filter();
  w.rules.push_back(rule("write", {Action::Kind::Errno, EPERM}));
  CHECK_NOTHROW(build(w));
  w.rules.back().action = kKill;
  CHECK_THROWS_WITH(build(w), Contains("seccomp: write must be allowed or an errno"));
}

namespace {

// The shipped policies as a run sees them (${CWD} and ${HOME} do not reach the filter).
std::vector<std::pair<std::string, Filter>> shipped_filters() {
  hutch::policy::LoadContext ctx;
  ctx.subst = {"/cwd", "/home"};
  ctx.cwd = "/";
  std::vector<std::pair<std::string, Filter>> out;
  for (const hutch::policy::BuiltinPolicy& b : hutch::policy::builtin_policies()) {
    out.emplace_back(b.name, hutch::policy::load_policy(std::string("builtin:") + b.name, ctx).policy.seccomp);
  }
  return out;
}

}  // namespace

TEST_CASE("seccomp: the shipped policies' filters come built in, equal to compiling them", "[unit][seccomp]") {
  for (const auto& [name, filter] : shipped_filters()) {
    for (const bool nested : {false, true}) {
      for (const KillMode mode : {KillMode::Notify, KillMode::KillProcess}) {
        INFO(name << (nested ? ", nested" : "") << (mode == KillMode::Notify ? ", notify" : ", kill-process"));
        bool precompiled = false;
        const Compiled got = compile_filter(filter, ResolveOptions{nested}, mode, &precompiled);
        CHECK(precompiled);
        const Compiled want = compile(resolve(filter, ResolveOptions{nested}), mode);
        CHECK(got.uses_notify == want.uses_notify);
        CHECK(disassemble(got.program) == disassemble(want.program));
      }
    }
  }
  // Anything else is compiled on the spot.
  Filter custom = shipped_filters().front().second;
  custom.rules.push_back(rule("getpid", Action{Action::Kind::Errno, EPERM}));
  bool precompiled = true;
  const Compiled c = compile_filter(custom, {}, KillMode::Notify, &precompiled);
  CHECK_FALSE(precompiled);
  CHECK(run(c.program, {SYS_getpid}) == err(EPERM));
}

// SECURITY: equal keys must mean equal programs; every input compile() reads changes it.
TEST_CASE("seccomp: the precompiled filter key covers every input of the compiler", "[unit][seccomp]") {
  Filter base = default_filter();
  base.rules.push_back(rule("ptrace", kKill));
  base.rules.push_back(rule("socket", kAllowA, {Condition{0, Op::Eq, AF_INET, 0, "AF_INET", ""}}));
  base.rules.push_back(rule("mmap", kKill, {Condition{2, Op::Masked, PROT_EXEC, PROT_EXEC | PROT_WRITE, "", ""}}));
  const std::string key = filter_key(base, {}, KillMode::Notify);
  const auto differs = [&](const Filter& f, ResolveOptions o = {}, KillMode m = KillMode::Notify) {
    return filter_key(f, o, m) != key;
  };
  CHECK(differs(base, ResolveOptions{true}));
  CHECK(differs(base, {}, KillMode::KillProcess));
  Filter f = base;
  f.default_action = Action{Action::Kind::Errno, EPERM};
  CHECK(differs(f));
  f = base;
  f.baseline = kKill;
  CHECK(differs(f));
  f = base;
  f.rules[1].syscall = "ptracf";
  CHECK(differs(f));
  f = base;
  f.rules[1].action = Action{Action::Kind::Errno, EPERM};
  CHECK(differs(f));
  f = base;
  std::swap(f.rules[1], f.rules[2]);
  CHECK(differs(f));
  f = base;
  f.rules.pop_back();
  CHECK(differs(f));
  for (int field = 0; field < 4; ++field) {
    f = base;
    Condition& c = f.rules[3].args[0];
    if (field == 0) c.arg = 3;
    if (field == 1) c.op = Op::Eq;
    if (field == 2) c.value = PROT_READ;
    if (field == 3) c.mask = PROT_EXEC;
    CHECK(differs(f));
  }
  f = base;
  f.rules[2].args.push_back(Condition{1, Op::Eq, SOCK_STREAM, 0, "", ""});
  CHECK(differs(f));
  // How a value was written does not reach the program, and does not change the key.
  f = base;
  f.rules[2].args[0].value_text = "2";
  CHECK_FALSE(differs(f));
}

TEST_CASE("seccomp: a watched program notifies where the policy allows a watched call, else answers as it", "[unit][seccomp]") {
  Filter f = default_filter();
  // mmap: errno for PROT_EXEC|PROT_WRITE together; mremap: kill. Watching must keep both.
  f.rules.push_back(rule("mmap", Action{Action::Kind::Errno, EPERM},
                         {Condition{2, Op::Masked, PROT_EXEC | PROT_WRITE, PROT_EXEC | PROT_WRITE, "", ""}}));
  f.rules.push_back(rule("mremap", kKill));
  const Program policy = build(f);
  const Program watched = watching(policy, address_space_calls());
  CHECK(watched.size() == 7 + 2 * policy.size());
  const auto is_watched = [](int nr) { return nr == SYS_mmap || nr == SYS_mremap || nr == SYS_brk; };
  std::size_t differing = 0;
  for (std::uint32_t arch : {std::uint32_t{SCMP_ARCH_X86_64}, std::uint32_t{SCMP_ARCH_X86}}) {
    for (int nr = 0; nr < 600; ++nr) {
      for (std::uint64_t prot : {0UL, 1UL * PROT_READ, 1UL * (PROT_EXEC | PROT_WRITE)}) {
        const Call c{nr, 0, 4096, prot, arch};
        const std::uint32_t want = run(policy, c);
        const std::uint32_t got = run(watched, c);
        INFO("arch " << arch << " nr " << nr << " prot " << prot);
        if (arch == SCMP_ARCH_X86_64 && is_watched(nr) && want == kAllow) {
          CHECK(got == kNotify);
          ++differing;
        } else {
          CHECK(got == want);
        }
      }
    }
    // x32 numbers of the watched calls are refused as before
    CHECK(run(watched, {0x40000000 | SYS_mmap, 0, 4096, 0, arch}) == run(policy, {0x40000000 | SYS_mmap, 0, 4096, 0, arch}));
  }
  CHECK(differing == 5);  // mmap without W|X (two), brk (three); mremap stays a kill
  CHECK(run(watched, {SYS_mmap, 0, 4096, PROT_EXEC | PROT_WRITE}) == err(EPERM));

  // The supervisor tells a watched call from the policy's kill by asking the policy's program.
  seccomp_data d{};
  d.arch = SCMP_ARCH_X86_64;
  d.nr = SYS_mmap;
  CHECK_FALSE(notified_by_policy(policy, d));
  d.nr = SYS_mremap;
  CHECK(notified_by_policy(policy, d));
  d.arch = SCMP_ARCH_X86;
  d.nr = 90;  // i386 mmap: another architecture, refused
  CHECK(notified_by_policy(policy, d));

  // A program that would not fit twice is refused, not truncated.
  const Program huge(2100, BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
  CHECK_THROWS_WITH(watching(huge, address_space_calls()), Contains("too long to be watched"));
}
