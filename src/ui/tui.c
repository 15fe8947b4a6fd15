#include "ui/tui.h"

#include <curses.h>
#include <langinfo.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "options.h"
#include "recording/recorder.h"
#include "session/session.h"
#include "ui/colors.h"
#include "ui/draw.h"
#include "ui/function_bar.h"
#include "ui/future_detail.h"
#include "ui/future_tree.h"
#include "ui/group_table.h"
#include "ui/mouse_input.h"
#include "ui/header_panel.h"
#include "ui/help_overlay.h"
#include "ui/key_table.h"
#include "ui/task_table.h"
#include "ui/tui_set.h"
#include "util/duration.h"

/* Input is read this often; it also bounds how stale the ring buffer gets. */
#define INPUT_TICK_MS 50

uint64_t tui_now(const struct tui *ui)
{
	const struct traced_process *p = tui_set_process(ui, ui->s);

	if (p && p->gone) /* its times stop where it exited */
		return p->gone_at;
	if (ui->exited)
		return ui->exited_at;
	return ui->s ? session_now(ui->s) : monotonic_now_ns();
}

void tui_set_status(struct tui *ui, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ui->status, sizeof(ui->status), fmt, ap);
	va_end(ap);
	/* The wall clock, not the target's: a frozen or paused replay clock
	 * would keep a message up for good. */
	ui->status_until = monotonic_now_ns() + 5 * NSEC_PER_SEC;
	ui->status_note = false;
}

void tui_note(struct tui *ui, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ui->status, sizeof(ui->status), fmt, ap);
	va_end(ap);
	ui->status_until = monotonic_now_ns() + 5 * NSEC_PER_SEC;
	ui->status_note = true;
}

struct task *tui_find_task(const struct tui *ui, uint64_t id)
{
	struct task *t;

	for (t = ui->s->model.first; t; t = t->next)
		if (t->id == id)
			return t;
	return NULL;
}

/* libbpf and others write to stderr; while curses owns the terminal that
 * would corrupt the screen, so stderr goes to a file, replayed at the end. */
struct stderr_capture {
	FILE *file;
	int saved_fd;
};

static void capture_stderr(struct stderr_capture *c)
{
	c->file = tmpfile();
	c->saved_fd = c->file ? dup(STDERR_FILENO) : -1;
	if (c->saved_fd >= 0) {
		fflush(stderr);
		dup2(fileno(c->file), STDERR_FILENO);
	}
}

static void release_stderr(struct stderr_capture *c)
{
	char buf[4096];
	size_t n;

	if (c->saved_fd < 0)
		return;
	fflush(stderr);
	dup2(c->saved_fd, STDERR_FILENO);
	close(c->saved_fd);
	rewind(c->file);
	while ((n = fread(buf, 1, sizeof(buf), c->file)) > 0)
		fwrite(buf, 1, n, stderr);
	fclose(c->file);
}

/* What follows the function keys on the bottom line: this view's keys. */
static const char *hints(const struct tui *ui)
{
	if (ui->s->replay && (ui->view == VIEW_TASKS || ui->view == VIEW_GROUPS))
		return " Space pause  . , step  ] [ 10s  Enter tree  g group";
	switch (ui->view) {
	case VIEW_TREE:
		return " Enter details  +/- fold  Esc back  t threshold  s snapshot";
	case VIEW_DETAIL:
		return " PgDn/PgUp histogram  Esc back  t threshold  s snapshot";
	default:
		return " Enter tree  g group  i invert  t threshold  p pause  s snapshot";
	}
}

/* --pidof with every process gone (and dropped): nothing to show yet. */
static void draw_waiting(struct tui *ui)
{
	char line[512];

	snprintf(line, sizeof(line), "cattop  waiting for a process named %s to start",
		 ui->set->pidof ? ui->set->pidof : "?");
	draw_text(0, 0, COLS, color_attr(ROLE_HEADER), line, 0);
	/* Not the function keys: only q works here. */
	draw_text(LINES - 1, 0, COLS, color_attr(ROLE_STATUS),
		  ui->status[0] && monotonic_now_ns() < ui->status_until ? ui->status : "q quits",
		  1);
}

static void draw(struct tui *ui)
{
	int y;

	erase();
	if (!ui->s) {
		draw_waiting(ui);
		refresh();
		return;
	}
	if (ui->view != VIEW_TASKS && ui->view != VIEW_GROUPS)
		ui->sort_menu = false;
	y = header_panel_draw(ui);
	switch (ui->view) {
	case VIEW_TASKS:
		task_table_draw(ui, y);
		break;
	case VIEW_GROUPS:
		group_table_draw(ui, y);
		break;
	case VIEW_TREE:
		future_tree_draw(ui, y);
		break;
	case VIEW_DETAIL:
		future_detail_draw(ui, y);
		break;
	}
	if (ui->sort_menu)
		sort_menu_draw(ui, y);
	if (ui->help)
		help_overlay_draw(ui);
	draw_status_line(ui, hints(ui));
	refresh(); /* curses sends only what changed: no flicker */
}

static void update_rate(struct tui *ui, uint64_t now)
{
	uint64_t events = ui->set ? tui_set_events(ui) : ui->s->tracker.counters.events;

	if (events < ui->events_seen || now < ui->rate_at) /* a replay went back */
		ui->rate_at = 0;
	if (ui->rate_at && now > ui->rate_at)
		ui->events_rate = (events - ui->events_seen) * NSEC_PER_SEC / (now - ui->rate_at);
	ui->events_seen = events;
	ui->rate_at = now;
}

static void watch_target(struct tui *ui)
{
	if (ui->set) {
		tui_set_watch(ui);
		return;
	}
	if (ui->s->replay) {
		bool ended = session_now(ui->s) >= session_replay_end(ui->s);

		if (ended && !ui->replay_ended)
			tui_set_status(ui, "end of the recording: , and [ go back; q quits");
		ui->replay_ended = ended;
		return;
	}
	if (ui->exited || target_alive(&ui->s->target))
		return;
	session_drain(ui->s);
	ui->exited_at = monotonic_now_ns();
	ui->exited = true;
	tui_set_status(ui,
		       ui->s->target.execed
			   ? "process %d replaced its program (exec): the view is frozen; q quits"
			   : "process %d exited: the view is frozen; q quits",
		       ui->s->target.pid);
	ui->status_until = UINT64_MAX;
}

static void init_screen(struct tui *ui)
{
	const char *codeset;

	setlocale(LC_ALL, "");
	codeset = nl_langinfo(CODESET);
	ui->ascii = !codeset || strcmp(codeset, "UTF-8") != 0;
	set_escdelay(25);
	initscr();
	cbreak(); /* Ctrl-C still raises SIGINT: the stop flag ends the loop */
	noecho();
	keypad(stdscr, TRUE);
	mouse_input_enable();
	curs_set(0);
	timeout(INPUT_TICK_MS);
	colors_init(ui->opts.color);
}

void tui_replay_step(struct tui *ui, int64_t delta_ns)
{
	uint64_t now = session_now(ui->s), start = ui->s->started_ns;
	uint64_t t = delta_ns < 0 && (uint64_t)-delta_ns > now - start ? start : now + delta_ns;

	session_seek(ui->s, t);
}

/* The replay clock runs with the wall clock unless paused. */
static void advance_replay(struct tui *ui)
{
	uint64_t wall = monotonic_now_ns();

	if (!ui->paused && ui->replay_wall)
		tui_replay_step(ui, (int64_t)(wall - ui->replay_wall));
	ui->replay_wall = wall;
}

/* With several processes, the one under the cursor in the task list
 * (elsewhere the one looked at): one recording per process. */
static struct session *recording_target(struct tui *ui)
{
	struct session *s = ui->view == VIEW_TASKS ? tui_set_find(ui, ui->cursor_pid) : NULL;

	return s ? s : ui->s;
}

void tui_toggle_recording(struct tui *ui)
{
	char path[96], err[512], stamp[32];
	struct session *s = recording_target(ui);
	const struct traced_process *p = tui_set_process(ui, s);
	time_t now = time(NULL);
	struct tm tm;

	if (p && p->gone && !s->recorder) {
		tui_set_status(ui, "%s has exited: nothing to record", p->label);
		return;
	}

	if (s->recorder) {
		snprintf(path, sizeof(path), "%s", recorder_path(s->recorder));
		if (session_record_stop(s, END_STOPPED, err, sizeof(err)))
			tui_set_status(ui, "%s", err);
		else
			tui_set_status(ui, "recording saved to %s", path);
		return;
	}
	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	snprintf(path, sizeof(path), "cattop-%d-%s.rec", s->target.pid, stamp);
	if (session_record_start(s, path, DEFAULT_MAX_RECORDING, err, sizeof(err)))
		tui_set_status(ui, "%s", err);
	else
		tui_set_status(ui, "recording to %s; R stops", path);
}

/* A recording that hit its size limit or a write error ends by itself. */
static void watch_recording(struct tui *ui, struct session *s)
{
	char err[512];
	int e;

	if (!s->recorder || (!recorder_full(s->recorder) && !recorder_error(s->recorder)))
		return;
	e = recorder_error(s->recorder);
	if (session_record_stop(s, e ? END_STOPPED : END_SIZE_LIMIT, err, sizeof(err)))
		tui_set_status(ui, "recording stopped: %s", err);
	else
		tui_set_status(ui, "recording stopped at its size limit");
}

static void watch_recordings(struct tui *ui)
{
	size_t i;

	if (!ui->set) {
		watch_recording(ui, ui->s);
		return;
	}
	for (i = 0; i < ui->set->count; i++)
		watch_recording(ui, &ui->set->procs[i]->s);
}

/* New events in, the replay clock moved. */
static void drain(struct tui *ui)
{
	if (ui->set) {
		if (!ui->exited)
			session_set_drain(ui->set);
	} else if (ui->s->replay) {
		advance_replay(ui);
	} else if (!ui->exited) {
		session_drain(ui->s);
	}
}

static void tick(struct tui *ui, uint64_t now)
{
	if (!ui->set)
		session_tick(ui->s);
	else if (!ui->exited) /* all gone: the rows stay as they were */
		tui_set_tick(ui, now);
}

/* How long getch may wait: a duty window opens or closes on time. */
static int input_timeout_ms(struct tui *ui)
{
	uint64_t now = monotonic_now_ns(), max = INPUT_TICK_MS * NSEC_PER_MSEC;

	if (ui->set)
		return ui->exited ? INPUT_TICK_MS
				  : (int)(session_set_sleep_ns(ui->set, now, max) / NSEC_PER_MSEC);
	return (int)(duty_cycle_sleep_ns(ui->s, now, max) / NSEC_PER_MSEC);
}

static enum reaction handle_key(struct tui *ui, int key)
{
	if (key == ERR)
		return REACT_NONE;
	if (key == KEY_RESIZE)
		return REACT_REDRAW;
	if (!ui->s) /* --pidof, none running: only quitting means anything */
		return key == 'q' || key == KEY_F(10) ? REACT_QUIT : REACT_NONE;
	if (key == KEY_MOUSE)
		return ui->input != INPUT_NONE ? REACT_NONE : mouse_dispatch(ui);
	return ui->input != INPUT_NONE ? key_prompt(ui, key) : key_dispatch(ui, key);
}

static void loop(struct tui *ui)
{
	uint64_t next = monotonic_now_ns();
	enum reaction r = REACT_REDRAW;

	while (!(r & REACT_QUIT) && !*ui->opts.stop) {
		uint64_t now = monotonic_now_ns();
		int key;

		drain(ui);
		watch_target(ui);
		watch_recordings(ui);
		if (now >= next) {
			tick(ui, now);
			update_rate(ui, tui_now(ui));
			if (!ui->paused || (ui->s && ui->s->replay))
				r |= REACT_REDRAW;
			next = now + ui->opts.interval_ns;
		}
		if (r & REACT_REDRAW)
			draw(ui);
		timeout(input_timeout_ms(ui));
		key = getch();
		r = handle_key(ui, key);
	}
}

static int run(struct tui *ui, const struct tui_opts *opts)
{
	struct stderr_capture cap;

	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		fprintf(stderr, "cattop: the live view needs a terminal; use -b for batch mode\n");
		return -1;
	}
	ui->opts = *opts;
	ui->sort = opts->sort;
	capture_stderr(&cap);
	init_screen(ui);
	loop(ui);
	endwin();
	release_stderr(&cap);
	u64_map_free(&ui->collapsed);
	return 0;
}

int tui_run(struct session *s, const struct tui_opts *opts)
{
	struct tui ui;

	memset(&ui, 0, sizeof(ui));
	ui.s = s;
	return run(&ui, opts);
}

int tui_run_set(struct session_set *set, const struct tui_opts *opts)
{
	struct tui ui;
	int ret;

	memset(&ui, 0, sizeof(ui));
	ui.set = set;
	ui.s = set->count ? &set->procs[0]->s : NULL;
	/* While curses owns the terminal, exits and attaches are told on
	 * the status line, not on stderr. */
	set->notify = tui_set_notify;
	set->notify_ctx = &ui;
	ret = run(&ui, opts);
	set->notify = NULL;
	set->notify_ctx = NULL;
	return ret;
}
