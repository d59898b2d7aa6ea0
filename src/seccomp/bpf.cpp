#include "seccomp/bpf.hpp"

#include <array>
#include <cstring>

#include <fmt/format.h>

#include "util/error.hpp"

namespace hutch::seccomp {
namespace {

std::uint32_t load_word(const seccomp_data& data, std::uint32_t offset) {
  if (offset % 4 != 0 || offset + 4 > sizeof data) throw Error(fmt::format("bpf: load outside seccomp_data at {}", offset));
  std::uint32_t word = 0;
  std::memcpy(&word, reinterpret_cast<const char*>(&data) + offset, 4);
  return word;
}

std::uint32_t alu(std::uint16_t op, std::uint32_t a, std::uint32_t operand) {
  switch (op) {
    case BPF_ADD: return a + operand;
    case BPF_SUB: return a - operand;
    case BPF_MUL: return a * operand;
    case BPF_DIV: return a / operand;  // run_bpf() handles a zero operand
    case BPF_MOD: return a % operand;
    case BPF_AND: return a & operand;
    case BPF_OR: return a | operand;
    case BPF_XOR: return a ^ operand;
    case BPF_LSH: return operand >= 32 ? 0 : a << operand;
    case BPF_RSH: return operand >= 32 ? 0 : a >> operand;
    case BPF_NEG: return 0u - a;
  }
  throw Error(fmt::format("bpf: unknown alu operation {:#x}", op));
}

bool jump_taken(std::uint16_t op, std::uint32_t a, std::uint32_t operand) {
  switch (op) {
    case BPF_JEQ: return a == operand;
    case BPF_JGT: return a > operand;
    case BPF_JGE: return a >= operand;
    case BPF_JSET: return (a & operand) != 0;
  }
  throw Error(fmt::format("bpf: unknown jump {:#x}", op));
}

}  // namespace

std::uint32_t run_bpf(const Program& program, const seccomp_data& data) {
  std::uint32_t a = 0;
  std::uint32_t x = 0;
  std::array<std::uint32_t, BPF_MEMWORDS> mem{};
  for (std::size_t pc = 0; pc < program.size(); ++pc) {
    const sock_filter& in = program[pc];
    const std::uint32_t operand = BPF_SRC(in.code) == BPF_X ? x : in.k;
    switch (BPF_CLASS(in.code)) {
      case BPF_LD:
        if (in.code == (BPF_LD | BPF_W | BPF_ABS)) a = load_word(data, in.k);
        else if (in.code == (BPF_LD | BPF_IMM)) a = in.k;
        else if (in.code == (BPF_LD | BPF_MEM) && in.k < BPF_MEMWORDS) a = mem[in.k];
        else if (in.code == (BPF_LD | BPF_W | BPF_LEN)) a = sizeof data;
        else throw Error(fmt::format("bpf: unsupported load {:#x} at {}", in.code, pc));
        break;
      case BPF_LDX:
        if (in.code == (BPF_LDX | BPF_IMM)) x = in.k;
        else if (in.code == (BPF_LDX | BPF_MEM) && in.k < BPF_MEMWORDS) x = mem[in.k];
        else if (in.code == (BPF_LDX | BPF_W | BPF_LEN)) x = sizeof data;
        else throw Error(fmt::format("bpf: unsupported load {:#x} at {}", in.code, pc));
        break;
      case BPF_ST:
      case BPF_STX:
        if (in.k >= BPF_MEMWORDS) throw Error(fmt::format("bpf: store outside scratch memory at {}", pc));
        mem[in.k] = BPF_CLASS(in.code) == BPF_ST ? a : x;
        break;
      case BPF_ALU:
        if ((BPF_OP(in.code) == BPF_DIV || BPF_OP(in.code) == BPF_MOD) && operand == 0) {
          // The kernel refuses a program dividing by the constant 0, and ends one dividing
          // by X = 0 with the return value 0 (KILL_THREAD).
          if (BPF_SRC(in.code) == BPF_K) throw Error(fmt::format("bpf: division by the constant 0 at {}", pc));
          return 0;
        }
        a = alu(BPF_OP(in.code), a, operand);
        break;
      case BPF_JMP:
        if (BPF_OP(in.code) == BPF_JA) pc += in.k;
        else pc += jump_taken(BPF_OP(in.code), a, operand) ? in.jt : in.jf;
        break;
      case BPF_RET:
        return BPF_RVAL(in.code) == BPF_A ? a : in.k;
      case BPF_MISC:
        if (BPF_MISCOP(in.code) == BPF_TAX) x = a;
        else a = x;
        break;
    }
  }
  throw Error("bpf: the program ran off its end");
}

std::string describe_return(std::uint32_t ret) {
  const std::uint32_t data = ret & SECCOMP_RET_DATA;
  switch (ret & SECCOMP_RET_ACTION_FULL) {
    case SECCOMP_RET_KILL_PROCESS: return "KILL_PROCESS";
    case SECCOMP_RET_KILL_THREAD: return "KILL_THREAD";
    case SECCOMP_RET_TRAP: return "TRAP";
    case SECCOMP_RET_ERRNO: return fmt::format("ERRNO({})", data);
    case SECCOMP_RET_USER_NOTIF: return "USER_NOTIF";
    case SECCOMP_RET_TRACE: return fmt::format("TRACE({})", data);
    case SECCOMP_RET_LOG: return "LOG";
    case SECCOMP_RET_ALLOW: return "ALLOW";
  }
  return fmt::format("{:#x}", ret);
}

std::string disassemble(const Program& program) {
  std::string out;
  for (std::size_t pc = 0; pc < program.size(); ++pc) {
    const sock_filter& in = program[pc];
    std::string text;
    const std::size_t next = pc + 1;
    switch (BPF_CLASS(in.code)) {
      case BPF_LD:
        text = in.code == (BPF_LD | BPF_W | BPF_ABS) ? fmt::format("ld [{}]", in.k) : fmt::format("ld #{:#x}", in.k);
        break;
      case BPF_ALU:
        text = fmt::format("alu {:#x} #{:#x}", BPF_OP(in.code), in.k);
        break;
      case BPF_JMP: {
        static constexpr std::array<const char*, 5> kNames{"ja", "jeq", "jgt", "jge", "jset"};
        const unsigned op = BPF_OP(in.code) >> 4;
        const char* name = op < kNames.size() ? kNames[op] : "j?";
        text = BPF_OP(in.code) == BPF_JA ? fmt::format("ja {:04}", next + in.k)
                                         : fmt::format("{} #{:#x}, {:04}, {:04}", name, in.k, next + in.jt, next + in.jf);
        break;
      }
      case BPF_RET:
        text = fmt::format("ret {}", describe_return(in.k));
        break;
      default:
        text = fmt::format("op {:#x} k {:#x}", in.code, in.k);
    }
    out += fmt::format("{:04}: {}\n", pc, text);
  }
  return out;
}

}  // namespace hutch::seccomp
