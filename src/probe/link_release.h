/* Destroying BPF links at once rather than one after the other. Closing a
 * uprobe_multi link returns only after the kernel has taken its probes out
 * and waited for a grace period (RCU tasks trace, SRCU), which a busy
 * machine stretches to hundreds of milliseconds: one after the other,
 * quitting waited for each. Destroyed from threads of their own, the
 * waits overlap (the kernel batches waiters into one grace period). */
#ifndef CATTOP_LINK_RELEASE_H
#define CATTOP_LINK_RELEASE_H

#include <stddef.h>

struct bpf_link;

/* Destroys links[0..count) and returns once all are gone. */
void links_destroy_all(struct bpf_link **links, size_t count);

#endif
