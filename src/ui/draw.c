#include "ui/draw.h"

#include <curses.h>
#include <stdio.h>
#include <string.h>

#include "ui/function_bar.h"
#include "ui/tui.h"
#include "util/clock.h"
#include "util/duration.h"
#include "util/safe_text.h"

/* Bytes of text that fit in width columns; UTF-8 continuation bytes take no
 * column of their own (our wide characters are all single-column). */
static int bytes_for_columns(const char *text, int width, int *cols)
{
	int i = 0, c = 0;

	while (text[i] && c < width) {
		i++;
		while ((text[i] & 0xc0) == 0x80)
			i++;
		c++;
	}
	*cols = c;
	return i;
}

int draw_columns(const char *text)
{
	int cols;

	bytes_for_columns(text, 1 << 20, &cols);
	return cols;
}

int draw_text(int y, int x, int width, int attr, const char *text, int pad)
{
	char shown[4096]; /* enough for any screen line, escaped */
	int cols, n;

	if (width <= 0)
		return x;
	/* Names are the target's: curses would pass some controls through and
	 * count ^[ as one column; escaped, they are plain text. */
	text = safe_text(text, shown, sizeof(shown));
	n = bytes_for_columns(text, width, &cols);
	attron(attr);
	mvaddnstr(y, x, text, n);
	if (pad)
		for (; cols < width; cols++)
			addch(' ');
	attroff(attr);
	return x + (pad ? width : cols);
}

int draw_duration(int y, int x, int width, int base_attr, uint64_t ns, uint64_t threshold,
		  enum color_role slow_role)
{
	char d[16], cell[24];
	bool slow = ns > threshold;

	if (!ns)
		snprintf(cell, sizeof(cell), "%*s", width, "- ");
	else
		snprintf(cell, sizeof(cell), "%*s%c", width - 1, duration_format(ns, d, sizeof(d)),
			 slow ? '!' : ' ');
	return draw_text(y, x, width, slow ? color_attr(slow_role) : base_attr, cell, 1);
}

int draw_number(int y, int x, int width, int attr, uint64_t n)
{
	char cell[32];

	if (n >= 10000000)
		snprintf(cell, sizeof(cell), "%*lluM ", width - 2,
			 (unsigned long long)(n / 1000000));
	else
		snprintf(cell, sizeof(cell), "%*llu ", width - 1, (unsigned long long)n);
	return draw_text(y, x, width, attr, cell, 1);
}

int draw_slow_count(int y, int x, int width, int attr, uint64_t n, bool approx)
{
	char count[24], cell[48];

	if (!approx || !n)
		return draw_number(y, x, width, attr, n);
	snprintf(count, sizeof(count), "~%llu", (unsigned long long)n);
	snprintf(cell, sizeof(cell), "%*s ", width - 1, count);
	return draw_text(y, x, width, attr, cell, 1);
}

void draw_status_line(struct tui *ui, const char *hints)
{
	const char *text = hints;
	char prompt[128];

	if (ui->input != INPUT_NONE) {
		snprintf(prompt, sizeof(prompt), "%s%s_",
			 ui->input == INPUT_FILTER   ? "Filter (word or glob; Ctrl-U clears): "
			 : ui->input == INPUT_SEARCH ? "Search (F3: next, Enter: done): "
						     : "Threshold (e.g. 250us, 2ms): ",
			 ui->input_buf);
		text = prompt;
	} else if (ui->status[0] && monotonic_now_ns() < ui->status_until) {
		text = ui->status;
	} else {
		function_bar_draw(ui, LINES - 1, hints);
		return;
	}
	draw_text(LINES - 1, 0, COLS, color_attr(ROLE_STATUS), text, 1);
}
