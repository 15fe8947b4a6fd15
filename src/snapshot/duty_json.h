/* The JSON of duty-cycled tracing (--duty): "mode": "duty", "duty_pct" and
 * a "duty" object saying which share of the time the probes were in and
 * what each window cost, so that the counts (raw, of the traced windows
 * only) are never read as exact totals. */
#ifndef CATTOP_DUTY_JSON_H
#define CATTOP_DUTY_JSON_H

#include <stdint.h>
#include <jansson.h>

struct session;

/* The document's "duty" object: pct, window_ns, period_ns, windows,
 * traced_ns, traced_pct, counts, attach and detach times, recent windows. */
json_t *duty_json(const struct session *s, uint64_t now);

#endif
