/* The x86-64 user registers as the kernel saves them (its struct pt_regs),
 * a layout fixed by the ptrace and signal-frame ABI. The BPF programs read
 * them through this instead of vmlinux.h: without CO-RE relocations libbpf
 * does not parse the kernel's BTF, which costs ~150 ms at every start. */
#ifndef CATTOP_SAVED_REGS_H
#define CATTOP_SAVED_REGS_H

struct saved_regs {
	__u64 r15, r14, r13, r12, bp, bx, r11, r10, r9, r8, ax, cx, dx, si, di, orig_ax;
	__u64 ip, cs, flags, sp, ss;
};

#endif
