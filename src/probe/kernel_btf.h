/* Where the running kernel keeps a field of its own structures, read from
 * its BTF (/sys/kernel/btf/vmlinux) with one linear pass over the type
 * section. The poll probes read the thread's run-queue delay at a fixed
 * offset this gives them instead of through CO-RE relocations: libbpf
 * parses and indexes the whole kernel BTF for those (~150-350 ms at every
 * start), this needs ~10 ms. */
#ifndef CATTOP_KERNEL_BTF_H
#define CATTOP_KERNEL_BTF_H

#include <stddef.h>
#include <stdint.h>

/* Where the probes find what they read of a thread's task_struct. */
struct kernel_task_offsets {
	/* sched_info.run_delay: the nanoseconds the thread has spent runnable
	 * but waiting for a CPU, as the scheduler counts them (the 2nd field
	 * of /proc/PID/task/TID/schedstat); 0 if the kernel has no such field
	 * (e.g. without CONFIG_SCHED_INFO). */
	uint64_t run_delay;
	/* pid and tgid: who a thread switched onto a CPU is, read by the
	 * scheduler-switch program; 0 if unknown. */
	uint64_t pid, tgid;
};

/* The offsets of the kernel whose BTF is at btf_path, each 0 where not
 * found. Returns 0 or -errno (-ENOENT: not one was found). */
int kernel_task_offsets(const char *btf_path, struct kernel_task_offsets *out);

/* The same for any path of nested struct members, e.g. {"sched_info",
 * "run_delay"} inside "task_struct"; data is a whole raw BTF file. */
int btf_member_path_offset(const uint8_t *data, size_t size, const char *type,
			   const char *const *members, size_t count, uint64_t *offset);

#endif
