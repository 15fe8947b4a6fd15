/* The JSON of light mode (--light): no poll is seen, so a task's poll
 * counts and times are null, not 0, and what the samples say is in its
 * "sampled" object; the document says "mode": "light" and how sampling ran. */
#ifndef CATTOP_LIGHT_JSON_H
#define CATTOP_LIGHT_JSON_H

#include <stdint.h>
#include <jansson.h>

struct session;
struct task;

/* The poll statistics' keys, each null. */
void light_json_null_stats(json_t *obj);
/* A task's "sampled" object: samples, cpu_ns, cpu_pct, recent_cpu_pct,
 * running_tid, running_for_ns (a lower bound), wedged; null when nothing
 * is sampled (the reason is in the document's "light" object). */
json_t *light_json_task(const struct session *s, const struct task *t, uint64_t now);
/* The document's "light" object: status, hz, period_ns, samples, ... */
json_t *light_json_summary(const struct session *s, uint64_t now);

#endif
