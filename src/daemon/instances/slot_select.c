/* slot_select.c - the eBPF programs that choose a connection's slot
 * (slot_select.h). */
#include "daemon/instances/slot_select.h"
#include "base/log.h"
#include "base/macros.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

static int bpf(int cmd, union bpf_attr *attr)
{
    long r = syscall(SYS_bpf, cmd, attr, sizeof(*attr)); /* fds are O_CLOEXEC */
    return r < 0 ? neg_errno() : (int)r;
}

int slot_select_map_create(int *fd, struct lc_counts **counts)
{
    union bpf_attr a;
    memset(&a, 0, sizeof(a));
    a.map_type = BPF_MAP_TYPE_ARRAY;
    a.key_size = sizeof(uint32_t);
    a.value_size = sizeof(struct lc_counts);
    a.max_entries = 1;
    a.map_flags = BPF_F_MMAPABLE;
    int f = bpf(BPF_MAP_CREATE, &a);
    if (f < 0)
        return f;
    int r = lc_counts_map(f, counts);
    if (r < 0) {
        close(f);
        return r;
    }
    *fd = f;
    return 0;
}

/* --- the program, instruction by instruction --------------------------- */

struct prog {
    struct bpf_insn insn[LC_MAX_SLOTS * 32 + 96];
    size_t n;
};

static void emit(struct prog *p, uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
    if (p->n < ARRAY_SIZE(p->insn))
        p->insn[p->n] =
            (struct bpf_insn){.code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm};
    p->n++;
}

#define MOV64_REG(p, d, s) emit(p, BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define MOV64_IMM(p, d, k) emit(p, BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, k)
#define MOV32_REG(p, d, s) emit(p, BPF_ALU | BPF_MOV | BPF_X, d, s, 0, 0)
#define ALU64_IMM(p, op, d, k) emit(p, BPF_ALU64 | (op) | BPF_K, d, 0, 0, k)
#define ALU64_REG(p, op, d, s) emit(p, BPF_ALU64 | (op) | BPF_X, d, s, 0, 0)
#define ALU32_IMM(p, op, d, k) emit(p, BPF_ALU | (op) | BPF_K, d, 0, 0, k)
#define ALU32_REG(p, op, d, s) emit(p, BPF_ALU | (op) | BPF_X, d, s, 0, 0)
#define LDX(p, size, d, s, o) emit(p, BPF_LDX | BPF_MEM | (size), d, s, o, 0)
#define STX(p, size, d, s, o) emit(p, BPF_STX | BPF_MEM | (size), d, s, o, 0)
#define ST_IMM(p, size, d, o, k) emit(p, BPF_ST | BPF_MEM | (size), d, 0, o, k)
#define JMP_IMM(p, op, d, k, o) emit(p, BPF_JMP | (op) | BPF_K, d, 0, o, k)
#define JMP_REG(p, op, d, s, o) emit(p, BPF_JMP | (op) | BPF_X, d, s, o, 0)
#define CALL(p, fn) emit(p, BPF_JMP | BPF_CALL, 0, 0, 0, fn)
#define EXIT(p) emit(p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0)
#define LD_MAP(p, d, fd)                                                                           \
    do {                                                                                           \
        emit(p, BPF_LD | BPF_DW | BPF_IMM, d, BPF_PSEUDO_MAP_FD, 0, fd);                           \
        emit(p, 0, 0, 0, 0, 0);                                                                    \
    } while (0)

#define CELL_OFF(i) ((int16_t)(offsetof(struct lc_counts, cells) + (size_t)(i) * sizeof(int64_t)))
#define PRESENT_OFF(k)                                                                             \
    ((int16_t)(offsetof(struct lc_counts, present) + (size_t)(k) * sizeof(uint64_t)))

/* w2 = a 32-bit mix of w8 and slot k (murmur3's finalizer); r3 scratch */
static void mix_with_slot(struct prog *p, int k)
{
    MOV32_REG(p, BPF_REG_2, BPF_REG_8);
    ALU32_IMM(p, BPF_XOR, BPF_REG_2, (int32_t)(0x9e3779b9u * (uint32_t)(k + 1)));
    static const int32_t mul[2] = {(int32_t)0x85ebca6bu, (int32_t)0xc2b2ae35u};
    static const int32_t shift[3] = {16, 13, 16};
    for (int i = 0; i < 3; i++) {
        MOV32_REG(p, BPF_REG_3, BPF_REG_2);
        ALU32_IMM(p, BPF_RSH, BPF_REG_3, shift[i]);
        ALU32_REG(p, BPF_XOR, BPF_REG_2, BPF_REG_3);
        if (i < 2)
            ALU32_IMM(p, BPF_MUL, BPF_REG_2, mul[i]);
    }
}

/* r8 = the client's address folded to 32 bits (IPv4: the address; IPv6:
 * the xor of its four words), read from the packet's network header at
 * fp-32; jumps to the end (patched by the caller, into *fails) when the
 * packet cannot be read (a request migrating off a closing socket has
 * none). */
static void client_address(struct prog *p, size_t *fails, size_t *n_fails)
{
    LDX(p, BPF_W, BPF_REG_2, BPF_REG_6, (int16_t)offsetof(struct sk_reuseport_md, eth_protocol));
    size_t is_v6 = p->n;
    JMP_IMM(p, BPF_JEQ, BPF_REG_2, htons(ETH_P_IPV6), 0); /* patched */
    for (int v6 = 0; v6 < 2; v6++) {
        if (v6)
            p->insn[is_v6].off = (int16_t)(p->n - is_v6 - 1);
        MOV64_REG(p, BPF_REG_1, BPF_REG_6);
        MOV64_IMM(p, BPF_REG_2, v6 ? 8 : 12); /* saddr in struct ipv6hdr / iphdr */
        MOV64_REG(p, BPF_REG_3, BPF_REG_10);
        ALU64_IMM(p, BPF_ADD, BPF_REG_3, -32);
        MOV64_IMM(p, BPF_REG_4, v6 ? 16 : 4);
        MOV64_IMM(p, BPF_REG_5, BPF_HDR_START_NET);
        CALL(p, BPF_FUNC_skb_load_bytes_relative);
        fails[(*n_fails)++] = p->n;
        JMP_IMM(p, BPF_JNE, BPF_REG_0, 0, 0); /* patched: unreadable */
        LDX(p, BPF_W, BPF_REG_8, BPF_REG_10, -32);
        for (int w = 1; v6 && w < 4; w++) {
            LDX(p, BPF_W, BPF_REG_2, BPF_REG_10, (int16_t)(-32 + 4 * w));
            ALU32_REG(p, BPF_XOR, BPF_REG_8, BPF_REG_2);
        }
        if (!v6) {
            fails[(*n_fails)++] = p->n; /* not a failure: past the IPv6 part */
            emit(p, BPF_JMP | BPF_JA, 0, 0, 0, 0);
        }
    }
}

/* Registers: r6 the context, r7 the counts, r8 what is hashed (the
 * connection's hash, or the client's address), r9 the best key so far
 * (all ones: none), r5 the best slot. */
static void build(struct prog *p, enum slot_select mode, int counts_fd, int sockmap_fd)
{
    size_t to_pass[4], n_to_pass = 0, after_address = SIZE_MAX;
    MOV64_REG(p, BPF_REG_6, BPF_REG_1);
    ST_IMM(p, BPF_W, BPF_REG_10, -4, 0);
    LD_MAP(p, BPF_REG_1, counts_fd);
    MOV64_REG(p, BPF_REG_2, BPF_REG_10);
    ALU64_IMM(p, BPF_ADD, BPF_REG_2, -4);
    CALL(p, BPF_FUNC_map_lookup_elem);
    to_pass[n_to_pass++] = p->n;
    JMP_IMM(p, BPF_JEQ, BPF_REG_0, 0, 0); /* patched: no counts */
    MOV64_REG(p, BPF_REG_7, BPF_REG_0);
    if (mode == SELECT_STICKY) {
        size_t jumps[3], n_jumps = 0;
        client_address(p, jumps, &n_jumps);
        /* jumps: [IPv4 unreadable, IPv4 done, IPv6 unreadable] */
        to_pass[n_to_pass++] = jumps[0];
        to_pass[n_to_pass++] = jumps[2];
        after_address = jumps[1];
        p->insn[after_address].off = (int16_t)(p->n - after_address - 1);
    } else {
        LDX(p, BPF_W, BPF_REG_8, BPF_REG_6, (int16_t)offsetof(struct sk_reuseport_md, hash));
    }
    MOV64_IMM(p, BPF_REG_9, -1);
    MOV64_IMM(p, BPF_REG_5, 0);
    for (int k = 0; k < LC_MAX_SLOTS; k++) {
        LDX(p, BPF_DW, BPF_REG_1, BPF_REG_7, PRESENT_OFF(k));
        size_t skip = p->n;
        JMP_IMM(p, BPF_JEQ, BPF_REG_1, 0, 0); /* patched: not present */
        mix_with_slot(p, k);
        if (mode == SELECT_LEAST_CONN) {
            LDX(p, BPF_DW, BPF_REG_1, BPF_REG_7, CELL_OFF(k * LC_CELLS_PER_SLOT));
            for (int c = 1; c < LC_CELLS_PER_SLOT; c++) {
                LDX(p, BPF_DW, BPF_REG_4, BPF_REG_7, CELL_OFF(k * LC_CELLS_PER_SLOT + c));
                ALU64_REG(p, BPF_ADD, BPF_REG_1, BPF_REG_4);
            }
            JMP_IMM(p, BPF_JSGT, BPF_REG_1, 0, 1); /* a negative count is 0 */
            MOV64_IMM(p, BPF_REG_1, 0);
            ALU64_IMM(p, BPF_LSH, BPF_REG_1, 32);
            ALU64_REG(p, BPF_OR, BPF_REG_1, BPF_REG_2);
        } else {
            MOV64_REG(p, BPF_REG_1, BPF_REG_2);
        }
        JMP_REG(p, BPF_JGE, BPF_REG_1, BPF_REG_9, 2);
        MOV64_REG(p, BPF_REG_9, BPF_REG_1);
        MOV64_IMM(p, BPF_REG_5, k);
        p->insn[skip].off = (int16_t)(p->n - skip - 1);
    }
    to_pass[n_to_pass++] = p->n;
    JMP_IMM(p, BPF_JEQ, BPF_REG_9, -1, 0); /* patched: nothing present */
    STX(p, BPF_W, BPF_REG_10, BPF_REG_5, -8);
    MOV64_REG(p, BPF_REG_1, BPF_REG_6);
    LD_MAP(p, BPF_REG_2, sockmap_fd);
    MOV64_REG(p, BPF_REG_3, BPF_REG_10);
    ALU64_IMM(p, BPF_ADD, BPF_REG_3, -8);
    MOV64_IMM(p, BPF_REG_4, 0);
    CALL(p, BPF_FUNC_sk_select_reuseport); /* failing, the kernel's hash picks */
    size_t pass = p->n;
    MOV64_IMM(p, BPF_REG_0, SK_PASS);
    EXIT(p);
    for (size_t i = 0; i < n_to_pass; i++)
        p->insn[to_pass[i]].off = (int16_t)(pass - to_pass[i] - 1);
}

static int prog_load(const struct prog *p, char *log_buf, uint32_t log_size)
{
    static const char license[] = "GPL";
    union bpf_attr a;
    memset(&a, 0, sizeof(a));
    a.prog_type = BPF_PROG_TYPE_SK_REUSEPORT;
    a.expected_attach_type = BPF_SK_REUSEPORT_SELECT_OR_MIGRATE;
    a.insns = (uint64_t)(uintptr_t)p->insn;
    a.insn_cnt = (uint32_t)p->n;
    a.license = (uint64_t)(uintptr_t)license;
    if (log_buf) {
        a.log_buf = (uint64_t)(uintptr_t)log_buf;
        a.log_size = log_size;
        a.log_level = 1;
    }
    return bpf(BPF_PROG_LOAD, &a);
}

static int load(enum slot_select mode, int counts_fd, int sockmap_fd)
{
    static struct prog p;
    p.n = 0;
    build(&p, mode, counts_fd, sockmap_fd);
    if (p.n > ARRAY_SIZE(p.insn))
        return -E2BIG;
    int prog = prog_load(&p, NULL, 0);
    if (prog < 0 && prog != -EPERM) {
        /* again, for the verifier's words: the end of its log says why */
        static char verifier_log[1 << 20];
        verifier_log[0] = '\0';
        prog_load(&p, verifier_log, sizeof(verifier_log));
        size_t len = strlen(verifier_log);
        log_debug("%s program refused (%s): %s", mode == SELECT_STICKY ? "sticky" : "least_conn",
                  strerror(-prog), verifier_log + (len > 400 ? len - 400 : 0));
    }
    return prog;
}

static int array_op(int cmd, int array_fd, uint32_t key, const uint64_t *value)
{
    union bpf_attr a;
    memset(&a, 0, sizeof(a));
    a.map_fd = (uint32_t)array_fd;
    a.key = (uint64_t)(uintptr_t)&key;
    a.value = (uint64_t)(uintptr_t)value;
    a.flags = BPF_ANY;
    return bpf(cmd, &a);
}

int slot_group_open(struct slot_group *g, enum slot_select mode, int counts_fd)
{
    union bpf_attr a;
    memset(&a, 0, sizeof(a));
    /* a SOCKMAP, not a REUSEPORT_SOCKARRAY: a socket may be in several
     * (a new daemon's beside the one its predecessor's program holds) */
    a.map_type = BPF_MAP_TYPE_SOCKMAP;
    a.key_size = sizeof(uint32_t);
    a.value_size = sizeof(uint64_t);
    a.max_entries = LC_MAX_SLOTS;
    int array = bpf(BPF_MAP_CREATE, &a);
    if (array < 0)
        return array;
    int prog = load(mode, counts_fd, array);
    if (prog < 0) {
        close(array);
        return prog;
    }
    g->sockmap_fd = array;
    g->prog_fd = prog;
    for (int k = 0; k < LC_MAX_SLOTS; k++)
        g->fds[k] = -1;
    return 0;
}

int slot_group_set(struct slot_group *g, int slot, int fd)
{
    if (slot < 0 || slot >= LC_MAX_SLOTS || g->fds[slot] == fd)
        return 0;
    if (g->fds[slot] >= 0) {
        /* a closed socket left the array by itself: ENOENT is fine */
        int r = array_op(BPF_MAP_DELETE_ELEM, g->sockmap_fd, (uint32_t)slot, NULL);
        if (r < 0 && r != -ENOENT)
            return r;
        g->fds[slot] = -1;
    }
    if (fd < 0)
        return 0;
    uint64_t value = (uint64_t)fd;
    int r = array_op(BPF_MAP_UPDATE_ELEM, g->sockmap_fd, (uint32_t)slot, &value);
    if (r < 0)
        return r;
    g->fds[slot] = fd;
    return 0;
}

int slot_group_attach(const struct slot_group *g, int fd)
{
    int prog = g->prog_fd;
    if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_EBPF, &prog, sizeof(prog)) < 0)
        return neg_errno();
    return 0;
}

void slot_group_close(struct slot_group *g)
{
    if (g->sockmap_fd >= 0)
        close(g->sockmap_fd);
    if (g->prog_fd >= 0)
        close(g->prog_fd);
    g->sockmap_fd = g->prog_fd = -1;
}
