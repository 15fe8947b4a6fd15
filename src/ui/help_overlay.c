#include "ui/help_overlay.h"

#include <curses.h>
#include <stdio.h>

#include "ui/draw.h"
#include "ui/key_table.h"

static const char *const legend[] = {
    "Columns: LONGEST includes the poll running now; INFLIGHT is that poll's age;",
    "SLOW counts polls over the threshold. '!' marks values over it.",
    "Kinds: async fn body, async {} block, closure, Future (hand-written impl).",
};

void help_overlay_draw(struct tui *ui)
{
	const struct key_binding *b;
	int y = 1, width = COLS - 4 > 90 ? 90 : COLS - 4, x = (COLS - width) / 2;
	char line[256];
	size_t i;

	draw_text(y++, x, width, color_attr(ROLE_SORTED), " cattop help - any key closes it", 1);
	for (b = key_table; b->handle && y < LINES - 5; b++) {
		if (!b->label || !key_in_mode(ui, b))
			continue;
		snprintf(line, sizeof(line), "  %-22s %s", b->label, b->help);
		draw_text(y++, x, width, color_attr(ROLE_NORMAL), line, 1);
	}
	draw_text(y++, x, width, color_attr(ROLE_NORMAL), "", 1);
	for (i = 0; i < sizeof(legend) / sizeof(legend[0]) && y < LINES - 1; i++)
		draw_text(y++, x, width, color_attr(ROLE_DIM), legend[i], 1);
}
