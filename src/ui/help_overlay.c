#include "ui/help_overlay.h"

#include <curses.h>
#include <stdio.h>
#include <string.h>

#include "ui/draw.h"
#include "ui/key_table.h"

#define LABEL_W	   18
#define HELP_LINES 128

/* What the columns mean; each entry is one paragraph, wrapped to fit. */
static const char *const legend[] = {
    "STATE: running (being polled now), idle (waiting to be woken), sched (woken, waiting "
    "for its poll), done (ended; kept a while, then pruned).",
    "BUSY: time spent in polls. BUSY%: that over the time since the task was first seen.",
    "LONGEST includes the poll running now; INFLIGHT is that poll's age; SLOW counts polls "
    "over the threshold ('~': recounted for a new threshold, about); IDLE: time since the "
    "last poll ended ('>=': not polled since cattop attached); SCHED: the longest wait from a "
    "wake to the poll it caused (wide screens). '!' marks values over the "
    "threshold. F6 or < > sort on any of them.",
    "Warnings, before a task's name (the Warnings line counts them): [wedged] a poll over "
    "1 s, [lost_waker] never to be woken, [awaiting_lock] parked on a lock over 1 s, "
    "[self_wake_loop] waking itself in a loop, [blocking] a poll asleep in the kernel over "
    "the threshold; below 120 columns their first letters: [W] [L] [A] [S] [B].",
    "Kinds: async fn body, async {} block, closure, Future (hand-written impl).",
    "Mouse: a click selects a row (double click: Enter), a click on a column title sorts "
    "by it (again: inverts), the wheel scrolls, the F-keys of the bottom bar are buttons.",
};

/* With several processes (-p A,B, --pidof): which keys act on which. */
static const char several[] =
    "Several processes: a row's PROCESS is name:pid (the pid alone below 100 columns); an "
    "exited process's rows stay a minute, STATE exited. Enter opens a task in its process; "
    "the groups count the processes (PROCS) and say where the longest poll was (IN). t, L "
    "and s act on every process, R on the one under the cursor.";

struct help_text {
	char lines[HELP_LINES][256];
	int attrs[HELP_LINES];
	int count;
};

/* Adds text wrapped at spaces to width columns (the help is ASCII); later
 * lines are indented by indent. */
static void add_wrapped(struct help_text *h, int width, int indent, int attr, const char *text)
{
	int first = 1;

	while (*text && h->count < HELP_LINES) {
		int pad = first ? 0 : indent, w = width - pad, cut = 0, i;

		if (w > 255 - pad)
			w = 255 - pad;
		for (i = 0; text[i] && i < w; i++)
			if (text[i] == ' ')
				cut = i;
		if (!text[i] || text[i] == ' ' || !cut)
			cut = i;
		snprintf(h->lines[h->count], sizeof(h->lines[0]), "%*s%.*s", pad, "", cut, text);
		h->attrs[h->count++] = attr;
		text += cut;
		while (*text == ' ')
			text++;
		first = 0;
	}
}

static void build(const struct tui *ui, struct help_text *h, int width)
{
	const struct key_binding *b;
	char line[512];
	size_t i;

	h->count = 0;
	for (b = key_table; b->handle; b++) {
		if (!b->label || !key_in_mode(ui, b))
			continue;
		snprintf(line, sizeof(line), " %-*s %s", LABEL_W, b->label, b->help);
		add_wrapped(h, width, LABEL_W + 2, color_attr(ROLE_NORMAL), line);
	}
	add_wrapped(h, width, 0, color_attr(ROLE_NORMAL), " ");
	for (i = 0; i < sizeof(legend) / sizeof(legend[0]); i++) {
		snprintf(line, sizeof(line), " %s", legend[i]);
		add_wrapped(h, width, 2, color_attr(ROLE_DIM), line);
	}
	if (ui->set) {
		snprintf(line, sizeof(line), " %s", several);
		add_wrapped(h, width, 2, color_attr(ROLE_DIM), line);
	}
}

void help_overlay_draw(struct tui *ui)
{
	static struct help_text h;
	int width = COLS - 2 > 100 ? 100 : COLS - 2, x = (COLS - width) / 2, y = 1, i;
	int room = LINES - 3;
	char title[128];

	if (width < 20 || room < 1)
		return;
	build(ui, &h, width);
	if (ui->help_scroll > h.count - room)
		ui->help_scroll = h.count - room;
	if (ui->help_scroll < 0)
		ui->help_scroll = 0;
	snprintf(title, sizeof(title), " cattop help: %s",
		 h.count > room ? "Up/Down/PgUp/PgDn scroll, any other key closes"
				: "any key closes it");
	draw_text(y++, x, width, color_attr(ROLE_SORTED), title, 1);
	for (i = ui->help_scroll; i < h.count && y < LINES - 1; i++)
		draw_text(y++, x, width, h.attrs[i], h.lines[i], 1);
}
