/* The JSON snapshot of several processes: each process's own snapshot (the
 * one-process schema, so readers of it need nothing new per process) and
 * the task types across them. */
#include <errno.h>
#include <string.h>

#include "model/process_views.h"
#include "session/session_set.h"
#include "snapshot/json_snapshot.h"
#include "util/safe_text.h"

static json_t *process_json(const struct traced_process *p, uint64_t now)
{
	json_t *o = snapshot_build(&p->s, session_now(&p->s) < now ? session_now(&p->s) : now);

	if (!o)
		return NULL;
	json_object_set_new(o, "process", json_string(p->label));
	json_object_set_new(o, "exited", json_boolean(p->gone));
	return o;
}

static json_t *type_json(const struct session_set *set, const struct process_group *pg)
{
	const struct task_group *t = &pg->total;
	json_t *o = json_object();
	char name[4096];

	json_object_set_new(o, "name", json_string(safe_text(t->name, name, sizeof(name))));
	json_object_set_new(o, "processes", json_integer((json_int_t)pg->procs));
	json_object_set_new(o, "processes_with_slow_polls",
			    json_integer((json_int_t)pg->slow_procs));
	json_object_set_new(o, "tasks", json_integer((json_int_t)t->tasks));
	json_object_set_new(o, "live", json_integer((json_int_t)t->live));
	if (set->opts.light)
		return o; /* no poll counts: absent, not 0 */
	json_object_set_new(o, "polls", json_integer((json_int_t)t->polls));
	json_object_set_new(o, "busy_ns", json_integer((json_int_t)t->busy_ns));
	json_object_set_new(o, "max_poll_ns", json_integer((json_int_t)t->longest));
	json_object_set_new(o, "slow_polls", json_integer((json_int_t)t->slow));
	if (t->longest) {
		const struct traced_process *p = set->procs[pg->longest_proc];

		json_object_set_new(o, "max_poll_pid", json_integer(p->s.target.pid));
		json_object_set_new(o, "max_poll_process", json_string(p->label));
	}
	return o;
}

static json_t *types_json(const struct session_set *set, uint64_t now)
{
	struct model_ref refs[SESSION_SET_MAX];
	struct await_source srcs[SESSION_SET_MAX];
	struct process_groups g;
	json_t *list = json_array();
	size_t i, n = session_set_model_refs(set, refs, srcs);

	if (process_groups_build(refs, n, NULL, NULL, SORT_MAX_POLL, false, now, &g))
		return list;
	for (i = 0; i < g.count; i++)
		json_array_append_new(list, type_json(set, &g.groups[i]));
	process_groups_free(&g);
	return list;
}

json_t *snapshot_build_set(const struct session_set *set, uint64_t now)
{
	json_t *root = json_object(), *procs = json_array();
	size_t i;

	for (i = 0; i < set->count; i++) {
		json_t *p = process_json(set->procs[i], now);

		if (p)
			json_array_append_new(procs, p);
	}
	if (set->pidof) {
		char name[1024];

		json_object_set_new(root, "pidof",
				    json_string(safe_text(set->pidof, name, sizeof(name))));
	}
	json_object_set_new(root, "threshold_ns", json_integer((json_int_t)set->cfg->threshold_ns));
	json_object_set_new(root, "processes", procs);
	json_object_set_new(root, "task_types", types_json(set, now));
	return root;
}

int snapshot_write_set(const struct session_set *set, uint64_t now, const char *path, char *err,
		       size_t errlen)
{
	json_t *doc = snapshot_build_set(set, now);
	int ret;

	if (!doc)
		return -ENOMEM;
	ret = snapshot_write_doc(doc, path, err, errlen);
	json_decref(doc);
	return ret;
}
