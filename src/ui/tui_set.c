#include "ui/tui_set.h"

#include "ui/list_view.h"
#include "ui/tui.h"

struct traced_process *tui_set_process(const struct tui *ui, const struct session *s)
{
	size_t i;

	if (!ui->set || !s)
		return NULL;
	for (i = 0; i < ui->set->count; i++)
		if (&ui->set->procs[i]->s == s)
			return ui->set->procs[i];
	return NULL;
}

struct session *tui_set_find(const struct tui *ui, pid_t pid)
{
	size_t i;

	for (i = 0; ui->set && i < ui->set->count; i++)
		if (ui->set->procs[i]->s.target.pid == pid)
			return &ui->set->procs[i]->s;
	return NULL;
}

const char *tui_set_label(const struct tui *ui, const struct session *s)
{
	const struct traced_process *p = tui_set_process(ui, s);

	return p ? p->label : "";
}

uint64_t tui_set_now(const struct tui *ui)
{
	return ui->exited ? ui->exited_at : monotonic_now_ns();
}

void tui_set_notify(void *ctx, const char *msg)
{
	tui_set_status(ctx, "%s", msg);
}

/* The current process was dropped (exited a while ago): the first one
 * left takes its place; a tree or details of it close. */
static void replace_current(struct tui *ui)
{
	ui->s = ui->set->count ? &ui->set->procs[0]->s : NULL;
	if (ui->view == VIEW_TREE || ui->view == VIEW_DETAIL) {
		ui->view = VIEW_TASKS;
		list_view_reset(ui);
		ui->task_id = 0;
		ui->node = NULL;
	}
}

void tui_set_tick(struct tui *ui, uint64_t now)
{
	/* The pid too: a slot freed by the tick may be reused at once by a
	 * process attached under --pidof. */
	pid_t pid = ui->s ? ui->s->target.pid : 0;
	const struct session *cur = ui->s;

	session_set_tick(ui->set, now);
	if (!cur || !tui_set_process(ui, cur) || cur->target.pid != pid)
		replace_current(ui);
}

void tui_set_watch(struct tui *ui)
{
	if (ui->exited || session_set_alive(ui->set))
		return;
	session_set_drain(ui->set);
	ui->exited_at = monotonic_now_ns();
	ui->exited = true;
	tui_set_status(ui, "every process exited: the view is frozen; q quits");
	ui->status_until = UINT64_MAX;
}

uint64_t tui_set_events(const struct tui *ui)
{
	uint64_t events = 0;
	size_t i;

	for (i = 0; i < ui->set->count; i++)
		events += ui->set->procs[i]->s.tracker.counters.events;
	return events;
}
