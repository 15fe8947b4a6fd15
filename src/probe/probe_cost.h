/* What a probe hit costs the target, by the probed function's first
 * instruction. The kernel emulates push, jmp, call and nop at a uprobe
 * (~0.8 us a hit on the machines measured); anything else, such as the
 * `sub $N,%rsp` that starts most functions of a plain debug build, is
 * single-stepped out of line (~12.5 us). A return probe adds ~0.6 us; a
 * probe on a ret instruction, which times a poll where a return probe
 * would not be safe (exit_sites.h), is single-stepped.
 * Frame pointers (-C force-frame-pointers=yes) make functions start with
 * `push %rbp`. A future probed in its callers instead (caller_sites.h)
 * costs two emulated hits a poll: its call and the jump after it. */
#ifndef CATTOP_PROBE_COST_H
#define CATTOP_PROBE_COST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROBE_EMULATED_NS    800
#define PROBE_SINGLE_STEP_NS 12500
#define PROBE_RETURN_NS	     600

struct site_table;

/* Whether the kernel must single-step the instruction at code (n bytes). */
bool probe_single_steps(const uint8_t *code, size_t n);
/* Sets each site's single_step from the binary's code. */
void probe_cost_mark_sites(struct site_table *t, const char *binary);
/* Estimated time the probes cost the target for hits[site] hits. */
uint64_t probe_cost_ns(const struct site_table *t, const uint64_t *hits);

#endif
