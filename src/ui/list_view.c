#include "ui/list_view.h"

#include "ui/tui.h"

void list_view_fit(struct tui *ui, int rows, int page)
{
	ui->rows = rows;
	ui->page = page > 1 ? page : 1;
	if (ui->cursor >= rows)
		ui->cursor = rows - 1;
	if (ui->cursor < 0)
		ui->cursor = 0;
	if (ui->cursor < ui->scroll)
		ui->scroll = ui->cursor;
	if (ui->cursor >= ui->scroll + ui->page)
		ui->scroll = ui->cursor - ui->page + 1;
	if (ui->scroll > rows - ui->page)
		ui->scroll = rows - ui->page;
	if (ui->scroll < 0)
		ui->scroll = 0;
}

void list_view_move(struct tui *ui, int delta)
{
	ui->cursor += delta;
	if (ui->cursor >= ui->rows)
		ui->cursor = ui->rows - 1;
	if (ui->cursor < 0)
		ui->cursor = 0;
	ui->cursor_task = 0; /* follow the row, not the task */
}

void list_view_reset(struct tui *ui)
{
	ui->cursor = 0;
	ui->scroll = 0;
	ui->cursor_task = 0;
}
