#include "ui/future_detail.h"

#include <curses.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "probe/classify.h"
#include "session/session.h"
#include "ui/draw.h"
#include "ui/tui.h"
#include "util/duration.h"

static bool node_in(const struct future_node *n, const void *wanted)
{
	for (; n; n = n->next_sibling)
		if (n == wanted || node_in(n->children, wanted))
			return true;
	return false;
}

/* Futures the compiler inlined into this one: their time is its time. */
static int draw_inlined(struct tui *ui, int y, uint32_t site)
{
	const struct inlined_futures *in = &ui->s->inlined;
	char line[1024];
	size_t i, used = 0;

	line[0] = '\0';
	for (i = 0; i < in->count && used < sizeof(line) - 1; i++) {
		int n;

		if (in->list[i].into_site != (int)site)
			continue;
		n = snprintf(line + used, sizeof(line) - used, "%s%s", used ? ", " : "Inlined  ",
			     in->list[i].name);
		used = n < 0 ? used : used + (size_t)n;
	}
	if (used)
		draw_text(y++, 0, COLS, color_attr(ROLE_DIM), line, 0);
	return y;
}

static int draw_identity(struct tui *ui, int y, const struct task *task,
			 const struct future_node *node)
{
	const struct site *site = node ? &ui->s->sites.sites[node->site] : NULL;
	char line[1024];

	if (site) {
		snprintf(line, sizeof(line), "Future   %s", site->name);
		draw_text(y++, 0, COLS, color_attr(ROLE_HEADER), line, 0);
		snprintf(line, sizeof(line), "Kind     %s, crate %s", future_kind_name(site->kind),
			 site->crate);
		draw_text(y++, 0, COLS, color_attr(ROLE_NORMAL), line, 0);
		snprintf(line, sizeof(line), "Where    %s",
			 site->location ? site->location : "(no debug info)");
		draw_text(y++, 0, COLS, color_attr(ROLE_NORMAL), line, 0);
		snprintf(line, sizeof(line), "Symbol   %s", site->path);
		draw_text(y++, 0, COLS, color_attr(ROLE_DIM), line, 0);
		y = draw_inlined(ui, y, node->site);
	}
	snprintf(line, sizeof(line), "Task     #%llu %s (%s)", (unsigned long long)task->id,
		 task_name(task, &ui->s->sites), task_state_name(task_state(task)));
	draw_text(y++, 0, COLS, color_attr(site ? ROLE_NORMAL : ROLE_HEADER), line, 0);
	return y + 1;
}

static int draw_summary(struct tui *ui, int y, const struct poll_stats *st)
{
	uint64_t now = tui_now(ui), thr = ui->s->model.threshold_ns;
	char line[512], a[16], b[16], c[16], d[16], e[16];

	snprintf(line, sizeof(line),
		 "Polls %llu   busy %s   longest %s   slow %llu (> %s)   in flight %s",
		 (unsigned long long)st->polls, duration_format(st->busy_ns, a, sizeof(a)),
		 duration_format(poll_stats_longest(st, now), b, sizeof(b)),
		 (unsigned long long)st->slow_polls, duration_format(thr, c, sizeof(c)),
		 poll_stats_inflight(st, now)
		     ? duration_format(poll_stats_inflight(st, now), d, sizeof(d))
		     : "-");
	draw_text(y++, 0, COLS, color_attr(st->slow_polls ? ROLE_SLOW : ROLE_NORMAL), line, 0);
	snprintf(line, sizeof(line), "p50 <= %s   p90 <= %s   p99 <= %s   max %s",
		 duration_format(poll_stats_percentile(st, 0.50), a, sizeof(a)),
		 duration_format(poll_stats_percentile(st, 0.90), b, sizeof(b)),
		 duration_format(poll_stats_percentile(st, 0.99), c, sizeof(c)),
		 duration_format(st->max_poll_ns, e, sizeof(e)));
	draw_text(y++, 0, COLS, color_attr(ROLE_NORMAL), line, 0);
	if (st->unknown_polls) {
		snprintf(line, sizeof(line),
			 "%llu polls whose return was never seen (no time counted)",
			 (unsigned long long)st->unknown_polls);
		draw_text(y++, 0, COLS, color_attr(ROLE_WARNING), line, 0);
	}
	return y + 1;
}

static int draw_histogram(struct tui *ui, int y, int max_lines, const struct poll_stats *st)
{
	const char *bar = ui->ascii ? "#" : "\u2588";
	uint32_t peak = 0;
	int lo = -1, hi = -1, i, bar_w = COLS - 34;
	char label[64], lo_s[16], hi_s[16];

	for (i = 0; i < POLL_HIST_BUCKETS; i++) {
		if (!st->hist[i])
			continue;
		lo = lo < 0 ? i : lo;
		hi = i;
		peak = st->hist[i] > peak ? st->hist[i] : peak;
	}
	draw_text(y++, 0, COLS, color_attr(ROLE_HEADER), "Poll time histogram (log2 buckets)", 0);
	if (lo < 0)
		return draw_text(y, 2, COLS, color_attr(ROLE_DIM), "no poll has returned yet", 0),
		       y + 2;
	for (i = lo; i <= hi && max_lines-- > 0; i++) {
		int n = peak && bar_w > 0 ? (int)((uint64_t)st->hist[i] * bar_w / peak) : 0, x, k;
		bool slow = (1ULL << i) > ui->s->model.threshold_ns;

		snprintf(label, sizeof(label), "%8s - %8s %7u ",
			 duration_format(1ULL << i, lo_s, 16), duration_format(2ULL << i, hi_s, 16),
			 st->hist[i]);
		x = draw_text(y, 0, COLS, color_attr(slow ? ROLE_SLOW : ROLE_NORMAL), label, 0);
		move(y, x);
		attron(color_attr(slow ? ROLE_SLOW : ROLE_BAR));
		for (k = 0; k < (n ? n : st->hist[i] ? 1 : 0); k++)
			addstr(bar);
		attroff(color_attr(slow ? ROLE_SLOW : ROLE_BAR));
		y++;
	}
	return y + 1;
}

/* Probe timestamps are CLOCK_MONOTONIC; show wall-clock times. */
static void wall_time(uint64_t mono_ns, uint64_t now_mono, char *buf, size_t len)
{
	struct timespec real;
	struct tm tm;
	double t;
	time_t secs;

	clock_gettime(CLOCK_REALTIME, &real);
	t = real.tv_sec + real.tv_nsec / 1e9 - (double)(now_mono - mono_ns) / 1e9;
	secs = (time_t)t;
	localtime_r(&secs, &tm);
	snprintf(buf, len, "%02d:%02d:%02d.%03d", tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (int)((t - secs) * 1000));
}

static void draw_recent_slow(struct tui *ui, int y, const struct poll_stats *st)
{
	uint64_t n = st->slow_polls < RECENT_SLOW_POLLS ? st->slow_polls : RECENT_SLOW_POLLS, i;
	uint64_t now = tui_now(ui);
	char line[128], when[32], d[16], ago[16];

	draw_text(y++, 0, COLS, color_attr(ROLE_HEADER), "Recent slow polls (newest first)", 0);
	if (!n)
		draw_text(y, 2, COLS, color_attr(ROLE_DIM), "none", 0);
	for (i = 0; i < n && y < LINES - 1; i++) {
		const struct slow_poll *p =
		    &st->recent_slow[(st->slow_polls - 1 - i) % RECENT_SLOW_POLLS];

		wall_time(p->ended_at, now, when, sizeof(when));
		snprintf(line, sizeof(line), "  %s  %9s  (%s ago)", when,
			 duration_format(p->duration_ns, d, sizeof(d)),
			 duration_format(now - p->ended_at, ago, sizeof(ago)));
		draw_text(y++, 0, COLS, color_attr(ROLE_SLOW), line, 0);
	}
}

/* The frames that matter come first: a few of what the thread ran. */
#define STACK_LINES 8

static int draw_slow_stack(struct tui *ui, int y, const struct task *task,
			   const struct poll_stack *ps)
{
	char line[1100], name[1024], d[16];
	size_t i;

	if (task->from_stack)
		draw_text(y++, 0, COLS, color_attr(ROLE_WARNING),
			  "Found on a thread's stack: this poll began before cattop attached "
			  "(in flight at least since then)",
			  0);
	if (!ps)
		return y;
	snprintf(line, sizeof(line), "Stack of the latest slow poll (sampled %s into it)",
		 duration_format(ps->taken_at > ps->poll_began ? ps->taken_at - ps->poll_began : 0,
				 d, sizeof(d)));
	draw_text(y++, 0, COLS, color_attr(ROLE_HEADER), line, 0);
	for (i = 0; i < ps->count && i < STACK_LINES && y < LINES - 1; i++) {
		session_frame_name(ui->s, ps->frames[i], i == 0, name, sizeof(name));
		snprintf(line, sizeof(line), "  %s", name);
		draw_text(y++, 0, COLS, color_attr(ROLE_NORMAL), line, 0);
	}
	return y + 1;
}

void future_detail_draw(struct tui *ui, int y)
{
	const struct task *task = tui_find_task(ui, ui->task_id);
	const struct future_node *node = ui->node;
	const struct poll_stats *st;
	int room;

	if (!task || (node && !node_in(task->roots, node))) {
		draw_text(y, 2, COLS - 2, color_attr(ROLE_WARNING),
			  "this future's task is gone (done and pruned); Esc goes back", 0);
		return;
	}
	st = node ? &node->stats : &task->stats;
	y = draw_identity(ui, y, task, node);
	y = draw_summary(ui, y, st);
	y = draw_slow_stack(ui, y, task, node ? node->slow_stack : task->slow_stack);
	room = LINES - 1 - y - 4 -
	       (int)(st->slow_polls < RECENT_SLOW_POLLS ? st->slow_polls : RECENT_SLOW_POLLS);
	y = draw_histogram(ui, y, room > 3 ? room : 3, st);
	draw_recent_slow(ui, y, st);
}
