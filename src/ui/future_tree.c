#include "ui/future_tree.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/await_chain.h"
#include "session/session.h"
#include "ui/draw.h"
#include "ui/function_bar.h"
#include "ui/list_view.h"
#include "ui/tui.h"
#include "ui/tui_set.h"
#include "util/duration.h"

#define MAX_TREE_DEPTH 64

struct tree_row {
	const struct future_node *node; /* NULL: the task itself */
	char prefix[MAX_TREE_DEPTH * 4 + 8];
	const char *awaiting; /* the line it is parked at, NULL if not known */
};

struct tree_rows {
	struct tree_row *rows;
	int count, capacity;
	struct await_frame chain[AWAIT_CHAIN_MAX]; /* an idle task: where it is parked */
	size_t chain_len;
	const struct await_source *src; /* NULL: the target cannot be read */
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

/* Where n waits: its frame on the task's await stack, or, below a
 * join!/select!, as one of the futures awaited side by side. */
static struct await_frame node_wait(const struct tui *ui, const struct tree_rows *t,
				    const struct future_node *n, const struct await_frame *parent)
{
	const struct await_frame *on_chain = await_chain_frame(t->chain, t->chain_len, n);

	return on_chain ? *on_chain : await_child_frame(parent, n, &ui->s->sites, t->src);
}

/* Depth-first, children in first-polled order, prefix built from the
 * ancestors' "is last child" flags as in htop's tree view. */
static void flatten(const struct tui *ui, struct tree_rows *t, const struct future_node *n,
		    const char *indent, int depth, const struct tree_glyphs *g,
		    const struct await_frame *parent)
{
	for (; n; n = n->next_sibling) {
		struct tree_row *r = add_row(t);
		char child_indent[sizeof(r->prefix)];
		bool last = n->next_sibling == NULL;
		/* a copy: the rows move as they grow */
		struct await_frame wait = node_wait(ui, t, n, parent);

		if (!r)
			return;
		r->node = n;
		r->awaiting = wait.awaiting;
		snprintf(r->prefix, sizeof(r->prefix), "%s%s", indent, last ? g->elbow : g->tee);
		if (n->children && depth < MAX_TREE_DEPTH && !is_collapsed(ui, n)) {
			snprintf(child_indent, sizeof(child_indent), "%s%s", indent,
				 last ? g->blank : g->pipe);
			flatten(ui, t, n->children, child_indent, depth + 1, g, &wait);
		}
	}
}

/* Column widths for the screen: designed for 80 columns first (no KIND
 * below 100), numbers as narrow as their values allow; the name column
 * takes two thirds of what the numbers leave and the location the rest,
 * so a wider screen widens both smoothly. */
struct tree_layout {
	int name, kind, polls, busy, longest, slow, inflight, location;
};

#define MIN_LOCATION 17 /* " main.rs:32 -> :35" */

static struct tree_layout tree_layout(void)
{
	struct tree_layout l;
	int rest;

	l.kind = COLS >= 100 ? 9 : 0; /* the detail view says it too */
	l.polls = 7;
	l.busy = 7;
	l.longest = 8;
	l.slow = 7;
	l.inflight = 9;
	rest = COLS - (l.kind + l.polls + l.busy + l.longest + l.slow + l.inflight);
	l.location = rest / 3 > MIN_LOCATION ? rest / 3 : MIN_LOCATION;
	l.name = rest - l.location;
	if (l.name < 12) { /* a tiny screen: the name matters most */
		l.name = rest > 12 ? rest : 12;
		l.location = rest - l.name;
	}
	return l;
}

static void draw_titles(int y, const struct tree_layout *l)
{
	int attr = color_attr(ROLE_COLUMNS), x = 0;
	char t[32];

	x = draw_text(y, x, l->name, attr, "FUTURE", 1);
	if (l->kind)
		x = draw_text(y, x, l->kind, attr, " KIND", 1);
	snprintf(t, sizeof(t), "%*s ", l->polls - 1, "POLLS");
	x = draw_text(y, x, l->polls, attr, t, 1);
	snprintf(t, sizeof(t), "%*s ", l->busy - 1, "BUSY");
	x = draw_text(y, x, l->busy, attr, t, 1);
	snprintf(t, sizeof(t), "%*s ", l->longest - 1, "LONGEST");
	x = draw_text(y, x, l->longest, attr, t, 1);
	snprintf(t, sizeof(t), "%*s ", l->slow - 1, "SLOW");
	x = draw_text(y, x, l->slow, attr, t, 1);
	snprintf(t, sizeof(t), "%*s ", l->inflight - 1, "INFLIGHT");
	x = draw_text(y, x, l->inflight, attr, t, 1);
	draw_text(y, x, COLS - x, attr, l->location >= 22 ? " LOCATION / PARKED AT" : " LOCATION",
		  1);
}

/* A Rust path too long for its column loses leading segments first: the
 * last one (the function) is what tells futures apart. */
static const char *fit_path(const char *name, int width)
{
	const char *sep;

	while ((int)strlen(name) > width && (sep = strstr(name, "::")) != NULL)
		name = sep + 2;
	return name;
}

/* The file name without its directories, for a narrow location column. */
static const char *base_name(const char *path, size_t len)
{
	const char *p = path, *slash;

	while ((slash = memchr(p, '/', len - (size_t)(p - path))) != NULL)
		p = slash + 1;
	return p;
}

/* "file:line -> await :42": where the future is written, then where it
 * is parked (only the line when it is the same file). A narrow column
 * drops the directories, then the word "await". */
static void location_text(const struct tui *ui, const struct site *site, const char *awaiting,
			  int width, char *buf, size_t len)
{
	const char *loc = site && site->location ? site->location : "";
	const char *colon = strrchr(loc, ':'), *arrow = ui->ascii ? "->" : "\u2192";
	size_t file_len = colon ? (size_t)(colon - loc) : 0;
	int pass;

	for (pass = 0; pass < 3; pass++) {
		const char *l = pass ? base_name(loc, strlen(loc)) : loc;
		const char *a = awaiting && pass ? base_name(awaiting, strlen(awaiting)) : awaiting;
		const char *word = pass == 2 ? "" : "await ";

		if (!a)
			snprintf(buf, len, " %s", l);
		else if (file_len && strncmp(awaiting, loc, file_len) == 0 &&
			 awaiting[file_len] == ':')
			snprintf(buf, len, " %s %s %s%s", l, arrow, word, awaiting + file_len);
		else
			snprintf(buf, len, " %s%s%s %s%s", l, l[0] ? " " : "", arrow, word, a);
		if (draw_columns(buf) <= width)
			return;
	}
}

static void draw_row(struct tui *ui, int y, const struct task *task, const struct tree_row *r,
		     const struct tree_rows *t, const struct tree_layout *l, bool selected)
{
	const char *awaiting = NULL;
	const struct site_table *sites = &ui->s->sites;
	const struct poll_stats *st = r->node ? &r->node->stats : &task->stats;
	const struct site *site = r->node ? &sites->sites[r->node->site] : NULL;
	uint64_t now = tui_now(ui), thr = ui->s->model.threshold_ns;
	int attr = color_attr(selected ? ROLE_SELECTED : ROLE_NORMAL);
	int x = 0, prefix_w = r->node ? draw_columns(r->prefix) : 0;
	char text[512], d[16];

	if (r->node) {
		const char *fold = is_collapsed(ui, r->node) ? "+" : "";

		x = draw_text(y, x, prefix_w < l->name - 4 ? prefix_w : l->name - 4,
			      selected ? attr : color_attr(ROLE_DIM), r->prefix, 0);
		snprintf(text, sizeof(text), "%s%s", fold,
			 fit_path(site->name, l->name - x - 1 - (int)strlen(fold)));
	} else {
		snprintf(text, sizeof(text), "task #%llu %s", (unsigned long long)task->id,
			 task_state_name(task_state(task)));
	}
	x = draw_text(y, x, l->name - x, attr, text, 1);
	if (l->kind) {
		snprintf(text, sizeof(text), " %-8s", site ? short_kind(site->kind) : "task");
		x = draw_text(y, x, l->kind, attr, text, 1);
	}
	x = draw_number(y, x, l->polls, attr, st->polls);
	snprintf(text, sizeof(text), "%*s ", l->busy - 1,
		 st->busy_ns ? duration_format(st->busy_ns, d, sizeof(d)) : "-");
	x = draw_text(y, x, l->busy, attr, text, 1);
	x = draw_duration(y, x, l->longest, attr, poll_stats_longest(st, now), thr,
			  selected ? ROLE_SELECTED : ROLE_SLOW);
	x = draw_slow_count(y, x, l->slow,
			    st->slow_polls && !selected ? color_attr(ROLE_SLOW) : attr,
			    st->slow_polls, st->slow_approx);
	x = draw_duration(y, x, l->inflight, attr, poll_stats_inflight(st, now), thr,
			  selected ? ROLE_SELECTED : ROLE_INFLIGHT);
	if (r->node)
		awaiting = r->awaiting;
	else if (t->chain_len)
		awaiting = t->chain[t->chain_len - 1].awaiting; /* the task: its innermost wait */
	location_text(ui, site, awaiting, COLS - x, text, sizeof(text));
	draw_text(y, x, COLS - x,
		  color_attr(selected	? ROLE_SELECTED
			     : awaiting ? ROLE_INFLIGHT
					: ROLE_DIM),
		  text, 1);
}

struct named_rows {
	const struct tree_rows *t;
	const struct site_table *sites;
};

static const char *tree_row_name(void *ctx, int i)
{
	const struct named_rows *n = ctx;
	const struct future_node *node = n->t->rows[i].node;

	return node ? n->sites->sites[node->site].name : "";
}

void future_tree_draw(struct tui *ui, int y)
{
	const struct task *task = tui_find_task(ui, ui->task_id);
	struct tree_rows t = {.rows = NULL};
	struct await_source src;
	struct tree_layout layout;
	struct tree_row *root;
	char title[512], rid[48];
	int i;

	if (!task) {
		draw_text(y, 2, COLS - 2, color_attr(ROLE_WARNING),
			  "this task is gone (done and pruned); Esc goes back", 0);
		ui->rows = 0;
		return;
	}
	/* With several processes, which one: task ids are per process. */
	snprintf(title, sizeof(title), "%s%sTask #%llu %s%s%s: future tree",
		 tui_set_label(ui, ui->s), ui->set ? "  " : "", (unsigned long long)task->id,
		 task_name(task, &ui->s->sites), task->block_on ? " (block_on)" : "",
		 task_runtime_id_text(task, ui->s->sites.runtime, rid, sizeof(rid)));
	draw_text(y++, 0, COLS, color_attr(ROLE_HEADER), title, 0);
	layout = tree_layout();
	draw_titles(y++, &layout);
	ui->list_y = y;
	if (session_await_source(ui->s, &src))
		t.src = &src;
	t.chain_len = await_chain_build(task, &ui->s->sites, t.src, t.chain, AWAIT_CHAIN_MAX, NULL);
	root = add_row(&t);
	if (root) {
		root->node = NULL;
		root->prefix[0] = '\0';
		root->awaiting = NULL;
		flatten(ui, &t, task->roots, "", 0, ui->ascii ? &ascii_glyphs : &utf8_glyphs, NULL);
	}
	{
		struct named_rows named = {&t, &ui->s->sites};

		i = function_bar_search(ui, t.count, tree_row_name, &named);
		if (i >= 0)
			ui->cursor = i;
	}
	list_view_fit(ui, t.count, LINES - 1 - y);
	for (i = ui->scroll; i < t.count && i < ui->scroll + ui->page; i++)
		draw_row(ui, y++, task, &t.rows[i], &t, &layout, i == ui->cursor);
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
