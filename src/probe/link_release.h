/* Destroying BPF links at once rather than one after the other. Closing a
 * uprobe_multi link returns only after the kernel has taken its probes out
 * and waited for a grace period (RCU tasks trace, SRCU), which a busy
 * machine stretches to hundreds of milliseconds: one after the other,
 * quitting waited for each. Destroyed from threads of their own, the
 * waits overlap (the kernel batches waiters into one grace period). */
#ifndef CATTOP_LINK_RELEASE_H
#define CATTOP_LINK_RELEASE_H

#include <stdbool.h>
#include <stddef.h>

struct bpf_link;

/* Destroys links[0..count) and returns once all are gone: first those
 * whose returns[i] is set (they probe returns), then the others. */
void links_destroy_all(struct bpf_link **links, const bool *returns, size_t count);

/* The same on a thread of its own, so the caller goes on meanwhile (the
 * target's breakpoints go first; the wait is for the grace period). Takes
 * links and returns (malloc'd, freed when done). Never fails: without a thread, the
 * links are destroyed before it returns. */
struct link_release;
struct link_release *links_release_start(struct bpf_link **links, bool *returns, size_t count);
/* Whether every link is gone. */
bool links_release_done(struct link_release *r);
/* Waits until every link is gone and frees r (NULL: nothing). */
void links_release_finish(struct link_release *r);

#endif
