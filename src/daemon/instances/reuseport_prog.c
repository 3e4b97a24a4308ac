/* reuseport_prog.c - the programs of SO_REUSEPORT groups (reuseport_prog.h). */
#include "daemon/instances/reuseport_prog.h"
#include "base/macros.h"

#include <errno.h>
#include <linux/bpf.h>
#include <linux/filter.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#define NET(off) ((unsigned)(SKF_NET_OFF + (off)))

int reuseport_attach_sticky(int fd, unsigned n)
{
    if (n == 0)
        return -EINVAL;
    /* A = IP version; IPv4: A = source address; IPv6: A = xor of its four
     * words; then a multiplicative hash, and A % n */
    struct sock_filter code[] = {
        BPF_STMT(BPF_LD | BPF_B | BPF_ABS, NET(0)),
        BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, 4),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 6, 2, 0),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NET(12)),
        BPF_JUMP(BPF_JMP | BPF_JA, 10, 0, 0), /* to the hash */
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NET(8)),
        BPF_STMT(BPF_MISC | BPF_TAX, 0),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NET(12)),
        BPF_STMT(BPF_ALU | BPF_XOR | BPF_X, 0),
        BPF_STMT(BPF_MISC | BPF_TAX, 0),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NET(16)),
        BPF_STMT(BPF_ALU | BPF_XOR | BPF_X, 0),
        BPF_STMT(BPF_MISC | BPF_TAX, 0),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NET(20)),
        BPF_STMT(BPF_ALU | BPF_XOR | BPF_X, 0),
        /* the hash */
        BPF_STMT(BPF_ALU | BPF_MUL | BPF_K, 0x9e3779b1u),
        BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, 16),
        BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, n),
        BPF_STMT(BPF_RET | BPF_A, 0),
    };
    struct sock_fprog prog = {(unsigned short)(sizeof(code) / sizeof(code[0])), code};
    if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &prog, sizeof(prog)) < 0)
        return neg_errno();
    return 0;
}

int reuseport_attach_migrate(int fd)
{
    /* r0 = SK_PASS; exit: no selection, the kernel's hash picks */
    struct bpf_insn code[] = {
        {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = SK_PASS},
        {.code = BPF_JMP | BPF_EXIT},
    };
    static const char license[] = "GPL";
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.prog_type = BPF_PROG_TYPE_SK_REUSEPORT;
    attr.expected_attach_type = BPF_SK_REUSEPORT_SELECT_OR_MIGRATE;
    attr.insns = (uint64_t)(uintptr_t)code;
    attr.insn_cnt = sizeof(code) / sizeof(code[0]);
    attr.license = (uint64_t)(uintptr_t)license;
    int prog = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof(attr)); /* O_CLOEXEC */
    if (prog < 0)
        return neg_errno();
    int r = setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_EBPF, &prog, sizeof(prog)) < 0
                ? neg_errno()
                : 0;
    close(prog); /* the group keeps the program */
    return r;
}
