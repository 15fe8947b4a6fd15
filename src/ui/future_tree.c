#include "ui/future_tree.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/await_chain.h"
#include "session/session.h"
#include "ui/draw.h"
#include "ui/list_view.h"
#include "ui/tui.h"
#include "util/duration.h"

#define MAX_TREE_DEPTH 64

struct tree_row {
	const struct future_node *node; /* NULL: the task itself */
	char prefix[MAX_TREE_DEPTH * 4 + 8];
};

struct tree_rows {
	struct tree_row *rows;
	int count, capacity;
	struct await_frame chain[AWAIT_CHAIN_MAX]; /* an idle task: where it is parked */
	size_t chain_len;
};

struct tree_glyphs {
	const char *tee, *elbow, *pipe, *blank, *folded;
};

static const struct tree_glyphs utf8_glyphs = {"\u251c\u2500 ", "\u2514\u2500 ", "\u2502  ", "   ",
					       "+"};
static const struct tree_glyphs ascii_glyphs = {"|- ", "`- ", "|  ", "   ", "+"};

static const char *short_kind(enum future_kind k)
{
	switch (k) {
	case FUTURE_ASYNC_FN:
		return "async fn";
	case FUTURE_ASYNC_BLOCK:
		return "async {}";
	case FUTURE_CLOSURE:
		return "closure";
	case FUTURE_USER_FUTURE:
		return "Future";
	default:
		return "";
	}
}

static bool is_collapsed(const struct tui *ui, const struct future_node *n)
{
	return u64_map_get(&ui->collapsed, (uint64_t)(uintptr_t)n) != NULL;
}

static struct tree_row *add_row(struct tree_rows *t)
{
	if (t->count == t->capacity) {
		int cap = t->capacity ? t->capacity * 2 : 64;
		struct tree_row *grown = realloc(t->rows, cap * sizeof(*grown));

		if (!grown)
			return NULL;
		t->rows = grown;
		t->capacity = cap;
	}
	return &t->rows[t->count++];
}

/* Depth-first, children in first-polled order, prefix built from the
 * ancestors' "is last child" flags as in htop's tree view. */
static void flatten(const struct tui *ui, struct tree_rows *t, const struct future_node *n,
		    const char *indent, int depth, const struct tree_glyphs *g)
{
	for (; n; n = n->next_sibling) {
		struct tree_row *r = add_row(t);
		char child_indent[sizeof(r->prefix)];
		bool last = n->next_sibling == NULL;

		if (!r)
			return;
		r->node = n;
		snprintf(r->prefix, sizeof(r->prefix), "%s%s", indent, last ? g->elbow : g->tee);
		if (n->children && depth < MAX_TREE_DEPTH && !is_collapsed(ui, n)) {
			snprintf(child_indent, sizeof(child_indent), "%s%s", indent,
				 last ? g->blank : g->pipe);
			flatten(ui, t, n->children, child_indent, depth + 1, g);
		}
	}
}

/* The name column takes what the numbers leave, up to 50; the location
 * column only appears when 30 more columns are left over. */
static int name_width(void)
{
	if (COLS >= 130)
		return 50;
	return COLS - 50 > 30 ? COLS - 50 : 30;
}

static void draw_titles(int y)
{
	char t[256];

	snprintf(t, sizeof(t), "%-*s %-8s %8s %7s %8s %6s %8s  %s", name_width(), "FUTURE", "KIND",
		 "POLLS", "BUSY", "LONGEST", "SLOW", "INFLIGHT", "LOCATION / PARKED AT");
	draw_text(y, 0, COLS, color_attr(ROLE_COLUMNS), t, 1);
}

/* "file:line -> await :42": where the future is written, then where it
 * is parked (only the line when it is the same file). */
static void location_text(const struct tui *ui, const struct site *site, const char *awaiting,
			  char *buf, size_t len)
{
	const char *loc = site && site->location ? site->location : "";
	const char *colon = strrchr(loc, ':'), *arrow = ui->ascii ? "->" : "\u2192";
	size_t file_len = colon ? (size_t)(colon - loc) : 0;

	if (!awaiting)
		snprintf(buf, len, " %s", loc);
	else if (file_len && strncmp(awaiting, loc, file_len) == 0 && awaiting[file_len] == ':')
		snprintf(buf, len, " %s %s await %s", loc, arrow, awaiting + file_len);
	else
		snprintf(buf, len, " %s%s%s await %s", loc, loc[0] ? " " : "", arrow, awaiting);
}

static void draw_row(struct tui *ui, int y, const struct task *task, const struct tree_row *r,
		     const struct tree_rows *t, bool selected)
{
	const char *awaiting = NULL;
	const struct site_table *sites = &ui->s->sites;
	const struct poll_stats *st = r->node ? &r->node->stats : &task->stats;
	const struct site *site = r->node ? &sites->sites[r->node->site] : NULL;
	uint64_t now = tui_now(ui), thr = ui->s->model.threshold_ns;
	int attr = color_attr(selected ? ROLE_SELECTED : ROLE_NORMAL);
	int name_w = name_width(), x = 0;
	char text[512], d[16];

	if (r->node) {
		x = draw_text(y, x, (int)strlen(r->prefix), selected ? attr : color_attr(ROLE_DIM),
			      r->prefix, 0);
		snprintf(text, sizeof(text), "%s%s", is_collapsed(ui, r->node) ? "+" : "",
			 site->name);
	} else {
		snprintf(text, sizeof(text), "task #%llu %s", (unsigned long long)task->id,
			 task_state_name(task_state(task)));
	}
	x = draw_text(y, x, name_w - x > 4 ? name_w - x : 4, attr, text, 1);
	snprintf(text, sizeof(text), " %-8s", site ? short_kind(site->kind) : "task");
	x = draw_text(y, x, 10, attr, text, 1);
	x = draw_number(y, x, 8, attr, st->polls);
	snprintf(text, sizeof(text), "%7s ",
		 st->busy_ns ? duration_format(st->busy_ns, d, sizeof(d)) : "-");
	x = draw_text(y, x, 8, attr, text, 1);
	x = draw_duration(y, x, 9, attr, poll_stats_longest(st, now), thr,
			  selected ? ROLE_SELECTED : ROLE_SLOW);
	x = draw_number(y, x, 7, st->slow_polls && !selected ? color_attr(ROLE_SLOW) : attr,
			st->slow_polls);
	x = draw_duration(y, x, 9, attr, poll_stats_inflight(st, now), thr,
			  selected ? ROLE_SELECTED : ROLE_INFLIGHT);
	if (r->node)
		awaiting = await_chain_line(t->chain, t->chain_len, r->node);
	else if (t->chain_len)
		awaiting = t->chain[t->chain_len - 1].awaiting; /* the task: its innermost wait */
	location_text(ui, site, awaiting, text, sizeof(text));
	draw_text(y, x, COLS - x,
		  color_attr(selected	? ROLE_SELECTED
			     : awaiting ? ROLE_INFLIGHT
					: ROLE_DIM),
		  text, 1);
}

void future_tree_draw(struct tui *ui, int y)
{
	const struct task *task = tui_find_task(ui, ui->task_id);
	struct tree_rows t = {.rows = NULL};
	struct await_source src;
	struct tree_row *root;
	char title[512];
	int i;

	if (!task) {
		draw_text(y, 2, COLS - 2, color_attr(ROLE_WARNING),
			  "this task is gone (done and pruned); Esc goes back", 0);
		ui->rows = 0;
		return;
	}
	snprintf(title, sizeof(title),
		 "Task #%llu %s%s: future tree (Enter: details, +/-/space: "
		 "expand/collapse, Esc: back)",
		 (unsigned long long)task->id, task_name(task, &ui->s->sites),
		 task->block_on ? " (block_on)" : "");
	draw_text(y++, 0, COLS, color_attr(ROLE_HEADER), title, 0);
	draw_titles(y++);
	if (session_await_source(ui->s, &src))
		t.chain_len =
		    await_chain_build(task, &ui->s->sites, &src, t.chain, AWAIT_CHAIN_MAX);
	root = add_row(&t);
	if (root) {
		root->node = NULL;
		root->prefix[0] = '\0';
		flatten(ui, &t, task->roots, "", 0, ui->ascii ? &ascii_glyphs : &utf8_glyphs);
	}
	list_view_fit(ui, t.count, LINES - 1 - y);
	for (i = ui->scroll; i < t.count && i < ui->scroll + ui->page; i++)
		draw_row(ui, y++, task, &t.rows[i], &t, i == ui->cursor);
	ui->cursor_node = t.count ? t.rows[ui->cursor].node : NULL;
	free(t.rows);
}

void future_tree_fold(struct tui *ui, int how)
{
	uint64_t key = (uint64_t)(uintptr_t)ui->cursor_node;
	bool collapsed;

	if (!ui->cursor_node)
		return;
	collapsed = u64_map_get(&ui->collapsed, key) != NULL;
	if (how == -1)
		how = collapsed;
	if (how)
		u64_map_remove(&ui->collapsed, key);
	else
		u64_map_put(&ui->collapsed, key, (void *)1);
}
