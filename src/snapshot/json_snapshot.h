/* JSON snapshots of the live model (the schema of --snapshot and the UI's
 * `s` key): pid, exe, runtime, threshold_ns, elapsed_ns, events_lost, and
 * tasks with their nested futures. */
#ifndef CATTOP_JSON_SNAPSHOT_H
#define CATTOP_JSON_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

struct session;

json_t *snapshot_build(const struct session *s, uint64_t now);

/* Writes to path ("-" for stdout) through a temporary file and rename, so a
 * reader never sees half a snapshot and a planted symlink is replaced, not
 * followed. Returns 0, or -errno with a one-line reason in err. */
int snapshot_write(const struct session *s, uint64_t now, const char *path, char *err,
		   size_t errlen);
/* Writes doc as snapshot_write does (doc stays the caller's). */
int snapshot_write_doc(json_t *doc, const char *path, char *err, size_t errlen);

struct session_set;

/* Several processes (processes_json.c): {"processes": [a snapshot of each,
 * with "process" (its label) and "exited"], "task_types": [each type over
 * the processes]}. */
json_t *snapshot_build_set(const struct session_set *set, uint64_t now);
int snapshot_write_set(const struct session_set *set, uint64_t now, const char *path, char *err,
		       size_t errlen);

#endif
