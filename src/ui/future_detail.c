#include "ui/future_detail.h"

#include <curses.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "probe/classify.h"
#include "session/session.h"
#include "ui/draw.h"
#include "ui/sched_detail.h"
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
	char line[1024], rid[48];

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
	snprintf(line, sizeof(line), "Task     #%llu %s (%s)%s", (unsigned long long)task->id,
		 task_name(task, &ui->s->sites), task_state_name(task_state(task)),
		 task_runtime_id_text(task, ui->s->sites.runtime, rid, sizeof(rid)));
	draw_text(y++, 0, COLS, color_attr(site ? ROLE_NORMAL : ROLE_HEADER), line, 0);
	return y + 1;
}

/* Where the polls' time went: a future that burns CPU, one that blocks
 * its worker in the kernel, and a machine too busy to run it look alike
 * by wall time alone. Slowness counts the first two. */
static int draw_time_split(struct tui *ui, int y, const struct poll_stats *st)
{
	char line[256], a[16], b[16], c[16];

	if (!ui->s->model.blocked_measured)
		snprintf(
		    line, sizeof(line),
		    "Split    running or blocked %s (not told apart)   runnable %s (not counted)",
		    duration_format(st->busy_ns, a, sizeof(a)),
		    duration_format(st->cpu_wait_ns, c, sizeof(c)));
	else
		snprintf(line, sizeof(line),
			 "Split    running %s   blocked in kernel %s   runnable %s (not counted)",
			 duration_format(st->busy_ns - st->blocked_ns, a, sizeof(a)),
			 duration_format(st->blocked_ns, b, sizeof(b)),
			 duration_format(st->cpu_wait_ns, c, sizeof(c)));
	draw_text(y++, 0, COLS, color_attr(ROLE_NORMAL), line, 0);
	return y;
}

static int draw_summary(struct tui *ui, int y, const struct poll_stats *st)
{
	uint64_t now = tui_now(ui), thr = ui->s->model.threshold_ns;
	char line[512], a[16], b[16], c[16], d[16], e[16];

	snprintf(line, sizeof(line),
		 "Polls %llu   busy %s   longest %s   slow %s%llu (> %s%s)   in flight %s",
		 (unsigned long long)st->polls, duration_format(st->busy_ns, a, sizeof(a)),
		 duration_format(poll_stats_longest(st, now), b, sizeof(b)),
		 st->slow_approx ? "~" : "", (unsigned long long)st->slow_polls,
		 duration_format(thr, c, sizeof(c)),
		 st->slow_approx ? "; about: recounted from the histogram" : "",
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
	y = draw_time_split(ui, y, st);
	if (st->unknown_polls) {
		snprintf(line, sizeof(line),
			 "%llu polls whose return was never seen (no time counted)",
			 (unsigned long long)st->unknown_polls);
		draw_text(y++, 0, COLS, color_attr(ROLE_WARNING), line, 0);
	}
	return y + 1;
}

static void draw_bucket(struct tui *ui, int y, const struct poll_stats *st, int i, uint32_t peak)
{
	const char *bar = ui->ascii ? "#" : "\u2588";
	int bar_w = COLS - 29, x, k;
	int n = peak && bar_w > 0 ? (int)((uint64_t)st->hist[i] * bar_w / peak) : 0;
	bool slow = (1ULL << i) > ui->s->model.threshold_ns;
	char label[64], lo_s[16], hi_s[16];

	snprintf(label, sizeof(label), "%7s-%-7s %10u ", duration_format(1ULL << i, lo_s, 16),
		 duration_format(2ULL << i, hi_s, 16), st->hist[i]);
	x = draw_text(y, 0, COLS, color_attr(slow ? ROLE_SLOW : ROLE_NORMAL), label, 0);
	move(y, x);
	attron(color_attr(slow ? ROLE_SLOW : ROLE_BAR));
	for (k = 0; k < (n ? n : st->hist[i] ? 1 : 0); k++)
		addstr(bar);
	attroff(color_attr(slow ? ROLE_SLOW : ROLE_BAR));
}

/* Buckets from the first used one to the last, 0 with none used. */
static int histogram_span(const struct poll_stats *st)
{
	int lo = -1, hi = -1, i;

	for (i = 0; i < POLL_HIST_BUCKETS; i++)
		if (st->hist[i]) {
			lo = lo < 0 ? i : lo;
			hi = i;
		}
	return lo < 0 ? 0 : hi - lo + 1;
}

/* The buckets from the first to the last used one, in the lines it has:
 * PgDn/PgUp scroll them (ui->hist_scroll), the title says which are shown. */
static int draw_histogram(struct tui *ui, int y, int lines, const struct poll_stats *st)
{
	uint32_t peak = 0;
	int lo = -1, hi = -1, i, count;
	char title[128];

	for (i = 0; i < POLL_HIST_BUCKETS; i++) {
		if (!st->hist[i])
			continue;
		lo = lo < 0 ? i : lo;
		hi = i;
		peak = st->hist[i] > peak ? st->hist[i] : peak;
	}
	if (lo < 0) {
		draw_text(y++, 0, COLS, color_attr(ROLE_HEADER), "Poll time histogram", 0);
		draw_text(y, 2, COLS, color_attr(ROLE_DIM), "no poll has returned yet", 0);
		return y + 2;
	}
	count = hi - lo + 1;
	if (lines > LINES - 2 - y) /* never past the screen: the title counts what shows */
		lines = LINES - 2 - y > 1 ? LINES - 2 - y : 1;
	ui->hist_page = lines;
	if (ui->hist_scroll > count - lines)
		ui->hist_scroll = count - lines;
	if (ui->hist_scroll < 0)
		ui->hist_scroll = 0;
	if (count > lines)
		snprintf(title, sizeof(title),
			 "Poll time histogram: buckets %d-%d of %d (PgDn/PgUp scroll)",
			 ui->hist_scroll + 1, ui->hist_scroll + lines, count);
	else
		snprintf(title, sizeof(title), "Poll time histogram (log2 buckets)");
	draw_text(y++, 0, COLS, color_attr(ROLE_HEADER), title, 0);
	for (i = lo + ui->hist_scroll; i <= hi && lines-- > 0; i++)
		draw_bucket(ui, y++, st, i, peak);
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

/* A poll's time, its split (run: on its CPU, blk: asleep in the kernel,
 * +wait: runnable, not in its time) and when it ended. */
static void format_poll(const struct tui *ui, const struct slow_poll *p, char *buf, size_t len)
{
	uint64_t now = tui_now(ui);
	char when[32], d[16], ago[16], run[16], blk[16], wait[16], split[64] = "";
	int n = 0;

	wall_time(p->ended_at, now, when, sizeof(when));
	if (ui->s->model.blocked_measured)
		n = snprintf(split, sizeof(split), " run %s blk %s",
			     duration_format(p->duration_ns - p->blocked_ns, run, sizeof(run)),
			     duration_format(p->blocked_ns, blk, sizeof(blk)));
	if (p->cpu_wait_ns && n >= 0 && (size_t)n < sizeof(split))
		snprintf(split + n, sizeof(split) - (size_t)n, " +wait %s",
			 duration_format(p->cpu_wait_ns, wait, sizeof(wait)));
	/* The split last: a half-screen list cuts it, not the poll's time. */
	snprintf(buf, len, "  %s %8s%s (%s ago)%s", when, duration_format(p->duration_ns, d, 16),
		 p->duration_ns > ui->s->model.threshold_ns ? "!" : " ",
		 duration_format(now > p->ended_at ? now - p->ended_at : 0, ago, sizeof(ago)),
		 split);
}

/* Below this many lines the sections go without blank lines between. */
#define SHORT_SCREEN_LINES 20

/* Wide enough for the two lists side by side. */
#define SIDE_BY_SIDE_COLS 80

static int recent_count(const struct poll_stats *st)
{
	return (int)(st->slow_polls < RECENT_SLOW_POLLS ? st->slow_polls : RECENT_SLOW_POLLS);
}

static int longest_count(const struct poll_stats *st)
{
	int n = 0;

	while (n < RECENT_SLOW_POLLS && st->longest[n].duration_ns)
		n++;
	return n;
}

/* Lines the two poll lists take: side by side, or one above the other on a
 * narrow screen. */
static int poll_lists_lines(const struct poll_stats *st, int rows)
{
	int r = recent_count(st), l = longest_count(st);

	r = (r ? r : 1) < rows ? (r ? r : 1) : rows;
	l = (l ? l : 1) < rows ? (l ? l : 1) : rows;
	return COLS >= SIDE_BY_SIDE_COLS ? 1 + (r > l ? r : l) : 2 + r + l;
}

/* The newest slow polls and the longest polls: a regression shows in the
 * first, the worst stall in the second, whatever came after it. */
static void draw_poll_lists(struct tui *ui, int y, const struct poll_stats *st, int rows)
{
	int half = COLS >= SIDE_BY_SIDE_COLS ? COLS / 2 : COLS, rx = 0,
	    lx = COLS >= SIDE_BY_SIDE_COLS ? half : 0;
	int r = recent_count(st), l = longest_count(st), ry = y, ly, i;
	char line[128];

	draw_text(ry++, rx, half, color_attr(ROLE_HEADER), "Recent slow polls (newest first)", 1);
	if (!r)
		draw_text(ry++, rx + 2, half - 2, color_attr(ROLE_DIM), "none", 0);
	for (i = 0; i < r && i < rows; i++) {
		format_poll(ui, &st->recent_slow[(st->slow_polls - 1 - i) % RECENT_SLOW_POLLS],
			    line, sizeof(line));
		draw_text(ry++, rx, half, color_attr(ROLE_SLOW), line, 0);
	}
	ly = COLS >= SIDE_BY_SIDE_COLS ? y : ry;
	draw_text(ly++, lx, COLS - lx, color_attr(ROLE_HEADER), "Longest polls (longest first)", 0);
	if (!l)
		draw_text(ly, lx + 2, COLS - lx - 2, color_attr(ROLE_DIM), "none", 0);
	for (i = 0; i < l && i < rows; i++) {
		format_poll(ui, &st->longest[i], line, sizeof(line));
		draw_text(ly++, lx, COLS - lx,
			  color_attr(st->longest[i].duration_ns > ui->s->model.threshold_ns
					 ? ROLE_SLOW
					 : ROLE_NORMAL),
			  line, 0);
	}
}

/* The frames that matter come first: a few of what the thread ran. */
#define STACK_LINES 8

static int draw_slow_stack(struct tui *ui, int y, const struct task *task,
			   const struct poll_stack *ps, int max_lines)
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
	max_lines = max_lines < STACK_LINES ? max_lines : STACK_LINES;
	for (i = 0; i < ps->count && (int)i < (max_lines > 2 ? max_lines : 2) && y < LINES - 1;
	     i++) {
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
	int room, list_rows, lists, gap;
	bool tight;

	if (!task || (node && !node_in(task->roots, node))) {
		draw_text(y, 2, COLS - 2, color_attr(ROLE_WARNING),
			  "this future's task is gone (done and pruned); Esc goes back", 0);
		return;
	}
	st = node ? &node->stats : &task->stats;
	/* A short screen gives up the blank lines between sections: the poll
	 * lists and a histogram line still fit under the Warnings line and the
	 * summary's extra lines. */
	gap = LINES < SHORT_SCREEN_LINES;
	y = draw_identity(ui, y, task, node) - gap;
	y = draw_summary(ui, y, st) - gap;
	y = draw_slow_stack(ui, y, task, node ? node->slow_stack : task->slow_stack,
			    (LINES - 1 - y) / 4);
	/* A task's wait for its polls: the task has it, not its futures. Its
	 * histogram only where the screen leaves the poll lists room. */
	if (!node)
		y = sched_detail_draw(ui, y, LINES - 1 - y >= 30 ? (LINES - 1 - y) / 4 : 1, task);
	/* What is left: the poll lists get up to a third, the histogram the rest. */
	room = LINES - 1 - y;
	list_rows = room / 3 - 1 > 2 ? room / 3 - 1 : 2;
	if (room - histogram_span(st) - 4 > list_rows) /* what the histogram leaves */
		list_rows = room - histogram_span(st) - 4;
	/* Never past the key bar: the histogram keeps a bucket, its title and
	 * the blank line after it, the lists give up rows. */
	while (list_rows > 1 && poll_lists_lines(st, list_rows) > room - 3)
		list_rows--;
	lists = poll_lists_lines(st, list_rows);
	room -= lists + 2; /* the histogram's title and the blank line after it */
	/* A short screen gives up that blank line before the lists. */
	tight = room < 1;
	y = draw_histogram(ui, y, room > 1 ? room : 1, st) - tight;
	if (y + lists <= LINES - 1)
		draw_poll_lists(ui, y, st, list_rows);
}
