/* Each thread's thread pointer (on x86-64 the fs base), where its ELF TLS
 * block lies, read from the kernel with a BPF task iterator: the target is
 * neither stopped nor signalled nor ptraced. The iterator stays loaded for
 * the session; each read is one pass over the kernel's task list. */
#ifndef CATTOP_THREAD_POINTERS_H
#define CATTOP_THREAD_POINTERS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct thread_pointer {
	uint32_t tid;
	uint64_t fsbase;
};

struct thread_pointers;

/* Returns 0, or -errno with a one-line reason in err (not x86-64, no BTF,
 * a kernel without task iterators). */
int thread_pointers_open(pid_t pid, struct thread_pointers **out, char *err, size_t errlen);
/* The threads of the target now; *out is malloc'd. Returns 0 or -errno. */
int thread_pointers_read(struct thread_pointers *tp, struct thread_pointer **out, size_t *count);
void thread_pointers_close(struct thread_pointers *tp);

#endif
