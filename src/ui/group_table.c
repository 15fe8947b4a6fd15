#include "ui/group_table.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session/session.h"
#include "ui/draw.h"
#include "ui/function_bar.h"
#include "ui/list_view.h"
#include "ui/task_table.h"
#include "ui/tui.h"
#include "util/duration.h"

struct group {
	const char *name;
	size_t tasks, live;
	uint64_t polls, busy_ns, longest, inflight, slow;
	bool slow_approx;
};

static void add_task(struct group *g, const struct task *t, uint64_t now)
{
	uint64_t longest = poll_stats_longest(&t->stats, now);
	uint64_t inflight = poll_stats_inflight(&t->stats, now);

	g->tasks++;
	g->live += task_state(t) != TASK_DONE;
	g->polls += t->stats.polls;
	g->busy_ns += t->stats.busy_ns + inflight;
	g->slow += t->stats.slow_polls;
	g->slow_approx |= t->stats.slow_approx;
	if (longest > g->longest)
		g->longest = longest;
	if (inflight > g->inflight)
		g->inflight = inflight;
}

static uint64_t group_key(const struct group *g, enum task_sort sort)
{
	switch (sort) {
	case SORT_BUSY:
	case SORT_BUSY_PCT:
		return g->busy_ns;
	case SORT_STATE:
		return g->live;
	case SORT_POLLS:
		return g->polls;
	case SORT_SLOW:
		return g->slow;
	case SORT_INFLIGHT:
		return g->inflight;
	case SORT_ID:
		return g->tasks;
	default:
		return g->longest;
	}
}

static enum task_sort current_sort;
static bool current_ascending;

static int compare_groups(const void *a, const void *b)
{
	const struct group *x = a, *y = b;
	int r;

	if (current_sort == SORT_NAME) {
		r = strcmp(x->name, y->name);
	} else {
		uint64_t kx = group_key(x, current_sort), ky = group_key(y, current_sort);

		r = kx == ky ? strcmp(x->name, y->name) : kx > ky ? -1 : 1;
	}
	return current_ascending ? -r : r;
}

/* The name tasks of a pruned group had. */
static const char *pruned_name(const struct tui *ui, const struct pruned_group *p)
{
	struct future_node root = {.site = p->root_site};
	struct task t = {.has_poll_site = p->has_poll_site,
			 .poll_site = p->poll_site,
			 .roots = p->has_root ? &root : NULL};

	return task_name(&t, &ui->s->sites); /* a site's name: outlives t */
}

/* Pruned tasks count in their group's totals (not in LIVE), so a handler's
 * totals do not drop as its done tasks age out. */
static size_t add_pruned(struct tui *ui, struct group *groups, size_t count)
{
	const struct task_model *m = &ui->s->model;
	size_t i, j;

	for (i = 0; i < m->pruned_count; i++) {
		const struct pruned_group *p = &m->pruned[i];
		const char *name = pruned_name(ui, p);
		struct group *g = NULL;

		if (!task_table_name_matches(ui->filter, name))
			continue;
		for (j = 0; j < count && !g; j++)
			g = strcmp(groups[j].name, name) == 0 ? &groups[j] : NULL;
		if (!g) {
			g = &groups[count++];
			g->name = name;
		}
		g->tasks += p->tasks;
		g->polls += p->stats.polls;
		g->busy_ns += p->stats.busy_ns;
		g->slow += p->stats.slow_polls;
		g->slow_approx |= p->stats.slow_approx;
		if (p->stats.max_poll_ns > g->longest)
			g->longest = p->stats.max_poll_ns;
	}
	return count;
}

/* Tasks come sorted by name, so each group is one run of equal names. */
static size_t build_groups(struct tui *ui, struct group **out)
{
	struct task **tasks;
	uint64_t now = tui_now(ui);
	size_t i, n = task_view_sorted(&ui->s->model, &ui->s->sites, SORT_NAME, false, now, &tasks);
	struct group *groups = calloc(n + ui->s->model.pruned_count + 1, sizeof(*groups));
	size_t count = 0;

	for (i = 0; groups && i < n; i++) {
		const char *name = task_name(tasks[i], &ui->s->sites);

		if (!task_table_name_matches(ui->filter, name))
			continue;
		if (!count || strcmp(groups[count - 1].name, name) != 0)
			groups[count++].name = name;
		add_task(&groups[count - 1], tasks[i], now);
	}
	free(tasks);
	if (groups)
		count = add_pruned(ui, groups, count);
	current_sort = ui->sort;
	current_ascending = ui->ascending;
	if (groups)
		qsort(groups, count, sizeof(*groups), compare_groups);
	*out = groups;
	return groups ? count : 0;
}

static void draw_group(struct tui *ui, int y, const struct group *g, bool selected)
{
	uint64_t thr = ui->s->model.threshold_ns;
	int attr = color_attr(selected ? ROLE_SELECTED : g->live ? ROLE_NORMAL : ROLE_DONE);
	char text[512], d[16];
	int x = 0;

	snprintf(text, sizeof(text), "%6zu %6zu ", g->live, g->tasks);
	x = draw_text(y, x, 14, attr, text, 1);
	x = draw_number(y, x, 9, attr, g->polls);
	snprintf(text, sizeof(text), "%7s ",
		 g->busy_ns ? duration_format(g->busy_ns, d, sizeof(d)) : "-");
	x = draw_text(y, x, 8, attr, text, 1);
	x = draw_duration(y, x, 9, attr, g->longest, thr, selected ? ROLE_SELECTED : ROLE_SLOW);
	x = draw_duration(y, x, 9, attr, g->inflight, thr,
			  selected ? ROLE_SELECTED : ROLE_INFLIGHT);
	x = draw_slow_count(y, x, 7, g->slow && !selected ? color_attr(ROLE_SLOW) : attr, g->slow,
			    g->slow_approx);
	snprintf(text, sizeof(text), " %s", g->name);
	draw_text(y, x, COLS - x, attr, text, 1);
}

static const char *group_name(void *ctx, int i)
{
	return ((const struct group *)ctx)[i].name;
}

void group_table_draw(struct tui *ui, int y)
{
	struct group *groups;
	size_t n = build_groups(ui, &groups);
	char titles[256];
	int i;

	snprintf(titles, sizeof(titles), "%6s %6s %8s %7s %8s %8s %6s  %s   (sorted by %s%s)",
		 "LIVE", "TASKS", "POLLS", "BUSY", "LONGEST", "INFLIGHT", "SLOW", "ROOT FUTURE",
		 ui->sort == SORT_ID ? "tasks" : task_sort_name(ui->sort),
		 ui->ascending ? ", inverted" : "");
	draw_text(y++, 0, COLS, color_attr(ROLE_COLUMNS), titles, 1);
	i = function_bar_search(ui, (int)n, group_name, groups);
	if (i >= 0)
		ui->cursor = i;
	list_view_fit(ui, (int)n, LINES - 1 - y);
	for (i = ui->scroll; i < (int)n && i < ui->scroll + ui->page; i++)
		draw_group(ui, y++, &groups[i], i == ui->cursor);
	snprintf(ui->cursor_group, sizeof(ui->cursor_group), "%s",
		 n ? groups[ui->cursor].name : "");
	free(groups);
}
