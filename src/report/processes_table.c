#include "report/processes_table.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "model/process_views.h"
#include "report/batch_table.h"
#include "session/session_set.h"
#include "util/duration.h"
#include "util/safe_text.h"

#define PROCESS_WIDTH 20

static void print_process_line(FILE *out, const struct traced_process *p, uint64_t now)
{
	const struct session *s = &p->s;
	struct task_counts c = task_view_count(&s->model);
	char runtime[160];

	fprintf(out, "  %-*s runtime %s  ", PROCESS_WIDTH, p->label,
		safe_text(s->sites.runtime->name, runtime, sizeof(runtime)));
	if (s->light)
		fputs("light mode", out);
	else
		fprintf(out, "probes %zu  events %llu lost %llu", s->probes.attached_sites,
			(unsigned long long)s->tracker.counters.events,
			(unsigned long long)s->events_lost);
	if (s->duty.pct)
		fprintf(out, "  duty %u%%", s->duty.pct);
	fprintf(out, "  cost ~%.1f%% CPU  tasks %zu (%zu running, %zu idle, %zu done)%s\n",
		session_probe_cost_pct(s, now), c.total, c.running, c.idle, c.done,
		p->gone ? "  [exited]" : "");
}

static void print_header(FILE *out, const struct session_set *set, uint64_t now)
{
	struct task_counts all = {0};
	size_t i, gone = 0;
	char thr[16], up[16];
	uint64_t started = now;

	for (i = 0; i < set->count; i++) {
		struct task_counts c = task_view_count(&set->procs[i]->s.model);

		gone += set->procs[i]->gone;
		all.total += c.total;
		all.running += c.running;
		all.idle += c.idle;
		all.done += c.done;
		if (set->procs[i]->s.started_ns < started)
			started = set->procs[i]->s.started_ns;
	}
	fprintf(out, "cattop - %zu processes", set->count);
	if (gone)
		fprintf(out, " (%zu exited)", gone);
	if (set->pidof) {
		fputs(", every '", out);
		safe_text_write(out, set->pidof);
		fputc('\'', out);
	}
	fprintf(out, "  threshold %s on cpu+blocked  up %s\n",
		duration_format(set->cfg->threshold_ns, thr, sizeof(thr)),
		duration_format(now - started, up, sizeof(up)));
	for (i = 0; i < set->count; i++)
		print_process_line(out, set->procs[i], now);
	fprintf(out, "Tasks: %zu total, %zu running, %zu idle, %zu done\n\n", all.total,
		all.running, all.idle, all.done);
}

static void print_tasks(FILE *out, const struct session_set *set, const struct model_ref *refs,
			size_t nrefs, uint64_t now, size_t max_rows, enum task_sort sort)
{
	struct process_task *rows;
	size_t i, n = process_tasks_sorted(refs, nrefs, sort, false, now, &rows);
	size_t shown = max_rows && max_rows < n ? max_rows : n;

	fprintf(out, "%-*s ", PROCESS_WIDTH, "PROCESS");
	batch_table_titles(out, set->opts.light);
	for (i = 0; i < shown; i++) {
		const struct traced_process *p = set->procs[rows[i].proc];

		fprintf(out, "%-*s ", PROCESS_WIDTH, p->label);
		batch_table_row(out, &p->s, rows[i].t, now);
	}
	if (shown < n)
		fprintf(out, "%-*s ... %zu more tasks (-r 0 shows all)\n", PROCESS_WIDTH, "",
			n - shown);
	fputc('\n', out);
	free(rows);
}

/* One type's numbers: "-" where light mode has none. */
static void print_type(FILE *out, const struct session_set *set, const struct process_group *pg)
{
	const struct task_group *t = &pg->total;
	char polls[24] = "-", slow[24] = "-", busy[16] = "-", longest[24] = "-", d[16];
	const char *where = "-";

	if (!set->opts.light) {
		snprintf(polls, sizeof(polls), "%llu", (unsigned long long)t->polls);
		snprintf(slow, sizeof(slow), "%llu", (unsigned long long)t->slow);
		if (t->busy_ns)
			duration_format(t->busy_ns, busy, sizeof(busy));
		if (t->longest) {
			snprintf(longest, sizeof(longest), "%s%s",
				 duration_format(t->longest, d, sizeof(d)),
				 t->longest > set->cfg->threshold_ns ? "!" : "");
			where = set->procs[pg->longest_proc]->label;
		}
	}
	fprintf(out, "%5zu %7zu %6zu %9s %9s %9s %6s  %-*s  ", pg->procs, t->tasks, t->live, polls,
		busy, longest, slow, PROCESS_WIDTH, where);
	safe_text_write(out, t->name);
	fputc('\n', out);
}

/* "handle_conn in 8 processes, 12k tasks, longest poll 3.2ms in wl:4711". */
static void print_types(FILE *out, const struct session_set *set, const struct model_ref *refs,
			size_t nrefs, uint64_t now, enum task_sort sort)
{
	struct process_groups g;
	size_t i;

	if (process_groups_build(refs, nrefs, NULL, NULL, sort, false, now, &g))
		return;
	fprintf(out, "Task types across processes:\n%5s %7s %6s %9s %9s %9s %6s  %-*s  %s\n",
		"PROCS", "TASKS", "LIVE", "POLLS", "BUSY", "LONGEST", "SLOW", PROCESS_WIDTH,
		"LONGEST IN", "NAME");
	for (i = 0; i < g.count; i++)
		print_type(out, set, &g.groups[i]);
	fputc('\n', out);
	process_groups_free(&g);
}

int processes_table_print(FILE *out, const struct session_set *set, uint64_t now, size_t max_rows,
			  enum task_sort sort)
{
	struct model_ref refs[SESSION_SET_MAX];
	struct await_source srcs[SESSION_SET_MAX];
	size_t n = session_set_model_refs(set, refs, srcs);

	print_header(out, set, now);
	print_tasks(out, set, refs, n, now, max_rows, sort);
	print_types(out, set, refs, n, now, sort);
	errno = 0;
	if (fflush(out) || ferror(out))
		return errno ? -errno : -EIO;
	return 0;
}
