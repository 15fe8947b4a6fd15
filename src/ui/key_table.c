#include "ui/key_table.h"

#include <curses.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "session/session.h"
#include "snapshot/json_snapshot.h"
#include "ui/function_bar.h"
#include "ui/future_tree.h"
#include "ui/list_view.h"
#include "ui/task_table.h"
#include "ui/tui_set.h"
#include "util/duration.h"

#define KEY_ESC	    27
#define KEY_CTRL(c) ((c)&0x1f)

static enum reaction quit(struct tui *ui)
{
	(void)ui;
	return REACT_QUIT;
}

static enum reaction move_by(struct tui *ui, int delta)
{
	list_view_move(ui, delta);
	return REACT_REDRAW;
}

static enum reaction up(struct tui *ui)
{
	return move_by(ui, -1);
}
static enum reaction down(struct tui *ui)
{
	return move_by(ui, 1);
}
/* In the detail view a page key scrolls the histogram. */
static enum reaction scroll_histogram(struct tui *ui, int delta)
{
	ui->hist_scroll += delta;
	if (ui->hist_scroll < 0)
		ui->hist_scroll = 0;
	return REACT_REDRAW; /* the draw clamps it to the last page */
}

static enum reaction page_up(struct tui *ui)
{
	if (ui->view == VIEW_DETAIL)
		return scroll_histogram(ui, -ui->hist_page);
	return move_by(ui, -ui->page);
}
static enum reaction page_down(struct tui *ui)
{
	if (ui->view == VIEW_DETAIL)
		return scroll_histogram(ui, ui->hist_page);
	return move_by(ui, ui->page);
}
static enum reaction home(struct tui *ui)
{
	return move_by(ui, -ui->rows);
}
static enum reaction end(struct tui *ui)
{
	return move_by(ui, ui->rows);
}

static void enter_view(struct tui *ui, enum ui_view v)
{
	ui->view = v;
	list_view_reset(ui);
}

/* An exited process (several processes): its tree is what was seen,
 * there is nothing to probe. */
static bool current_gone(const struct tui *ui)
{
	const struct traced_process *p = tui_set_process(ui, ui->s);

	return p && p->gone;
}

/* Drill-down widening (focus.h): the task type opened gets its futures
 * probed while it is looked at. */
static void focus_opened_task(struct tui *ui)
{
	const struct task *t = tui_find_task(ui, ui->task_id);
	char err[256];

	if (current_gone(ui))
		return;
	duty_cycle_hold(ui->s, true); /* what is looked at, traced continuously */
	if (!t || !t->has_poll_site || !focus_possible(ui->s))
		return;
	if (focus_task_type(ui->s, t->poll_site, err, sizeof(err)))
		tui_set_status(ui, "%s", err);
	else
		tui_set_status(ui, "probing %zu futures of %s", ui->s->focus.futures,
			       ui->s->focus.label);
}

static void unfocus_closed_task(struct tui *ui)
{
	char err[256];

	if (current_gone(ui))
		return;
	duty_cycle_hold(ui->s, false);
	if (focus_possible(ui->s) && focus_default(ui->s, err, sizeof(err)))
		tui_set_status(ui, "%s", err);
}

/* The task drilled into is kept while it is looked at, even done and past
 * the time done tasks are kept: the tree and details stay readable. */
static void pin_task(struct tui *ui, uint64_t id, bool pinned)
{
	struct task *t = id ? tui_find_task(ui, id) : NULL;

	if (t)
		t->pinned = pinned;
}

/* With several processes the row's process becomes the one looked at:
 * the tree, focus widening and duty hold act on its session. */
static bool open_cursor_process(struct tui *ui)
{
	struct session *s;

	if (!ui->set)
		return true;
	s = tui_set_find(ui, ui->cursor_pid);
	if (!s)
		return false;
	pin_task(ui, ui->task_id, false); /* in the process it was pinned in */
	ui->task_id = 0;
	ui->s = s;
	return true;
}

static enum reaction drill_in(struct tui *ui)
{
	switch (ui->view) {
	case VIEW_TASKS:
		if (!ui->cursor_task || !open_cursor_process(ui))
			return REACT_NONE;
		pin_task(ui, ui->task_id, false);
		ui->task_id = ui->cursor_task;
		pin_task(ui, ui->task_id, true);
		u64_map_free(&ui->collapsed);
		enter_view(ui, VIEW_TREE);
		focus_opened_task(ui);
		break;
	case VIEW_GROUPS:
		if (!ui->cursor_group[0])
			return REACT_NONE;
		snprintf(ui->group_filter, sizeof(ui->group_filter), "%s", ui->cursor_group);
		enter_view(ui, VIEW_TASKS);
		break;
	case VIEW_TREE:
		ui->node = ui->cursor_node;
		ui->view = VIEW_DETAIL;
		ui->hist_scroll = 0;
		break;
	default:
		return REACT_NONE;
	}
	return REACT_REDRAW;
}

static enum reaction back(struct tui *ui)
{
	switch (ui->view) {
	case VIEW_DETAIL:
		ui->view = VIEW_TREE;
		break;
	case VIEW_TREE:
		enter_view(ui, VIEW_TASKS);
		ui->cursor_task = ui->task_id;
		ui->cursor_pid = ui->s->target.pid;
		pin_task(ui, ui->task_id, false);
		unfocus_closed_task(ui);
		break;
	case VIEW_TASKS:
		if (!ui->group_filter[0] && !ui->filter[0])
			return REACT_NONE;
		ui->group_filter[0] = ui->filter[0] = '\0';
		tui_note(ui, "filter cleared");
		break;
	default:
		enter_view(ui, VIEW_TASKS);
	}
	return REACT_REDRAW;
}

static enum reaction sort_step(struct tui *ui, int direction)
{
	ui->sort = task_table_next_sort(ui->sort, direction);
	tui_note(ui, "sorted by %s", task_sort_name(ui->sort));
	return REACT_REDRAW;
}

static enum reaction sort_left(struct tui *ui)
{
	return sort_step(ui, -1);
}
static enum reaction sort_right(struct tui *ui)
{
	return sort_step(ui, 1);
}

static enum reaction invert(struct tui *ui)
{
	ui->ascending = !ui->ascending;
	return REACT_REDRAW;
}

static enum reaction toggle_groups(struct tui *ui)
{
	enter_view(ui, ui->view == VIEW_GROUPS ? VIEW_TASKS : VIEW_GROUPS);
	ui->group_filter[0] = '\0';
	return REACT_REDRAW;
}

static enum reaction start_prompt(struct tui *ui, enum ui_input kind)
{
	ui->input = kind;
	ui->input_buf[0] = '\0';
	return REACT_REDRAW;
}

/* F3: the search prompt, holding the last search; Enter or F3 in it jumps. */
static enum reaction search_prompt(struct tui *ui)
{
	ui->input = INPUT_SEARCH;
	snprintf(ui->input_buf, sizeof(ui->input_buf), "%s", ui->search);
	return REACT_REDRAW;
}

/* F5: the future tree of the task under the cursor, and back. */
static enum reaction tree_toggle(struct tui *ui)
{
	return ui->view == VIEW_TREE ? back(ui) : drill_in(ui);
}

static enum reaction open_sort_menu(struct tui *ui)
{
	sort_menu_open(ui);
	return REACT_REDRAW;
}

static enum reaction filter_prompt(struct tui *ui)
{
	return start_prompt(ui, INPUT_FILTER);
}
static enum reaction threshold_prompt(struct tui *ui)
{
	return start_prompt(ui, INPUT_THRESHOLD);
}

static enum reaction toggle_help(struct tui *ui)
{
	ui->help = !ui->help;
	ui->help_scroll = 0;
	return REACT_REDRAW;
}

static enum reaction toggle_pause(struct tui *ui)
{
	ui->paused = !ui->paused;
	if (ui->s->replay)
		tui_set_status(ui, ui->paused ? "paused: . and , step, ] and [ jump" : "playing");
	else
		tui_set_status(ui, ui->paused
				       ? "paused: the model keeps counting, the screen is frozen"
				       : "resumed");
	return REACT_REDRAW;
}

static enum reaction replay_step(struct tui *ui, int64_t delta_ns)
{
	tui_replay_step(ui, delta_ns);
	return REACT_REDRAW;
}

static enum reaction step_forward(struct tui *ui)
{
	return replay_step(ui, (int64_t)ui->opts.interval_ns);
}
static enum reaction step_back(struct tui *ui)
{
	return replay_step(ui, -(int64_t)ui->opts.interval_ns);
}
static enum reaction jump_forward(struct tui *ui)
{
	return replay_step(ui, 10 * (int64_t)NSEC_PER_SEC);
}
static enum reaction jump_back(struct tui *ui)
{
	return replay_step(ui, -10 * (int64_t)NSEC_PER_SEC);
}

static enum reaction toggle_recording(struct tui *ui)
{
	tui_toggle_recording(ui);
	return REACT_REDRAW;
}

/* Light mode on or off in every process traced, as --light would have
 * it: 0, or -errno with the first failure's reason in err. */
static int set_light(struct tui *ui, bool light, char *err, size_t len)
{
	char why[256];
	size_t i;
	int ret;

	if (!ui->set)
		return session_set_light(ui->s, light, err, len);
	for (i = 0; i < ui->set->count; i++) {
		struct traced_process *p = ui->set->procs[i];

		if (p->gone || p->s.light == light)
			continue;
		ret = session_set_light(&p->s, light, why, sizeof(why));
		if (ret) {
			snprintf(err, len, "%s: %s", p->label, why);
			return ret;
		}
	}
	return 0;
}

/* Light mode (--light) on or off while running: probes out, sampler in. */
static enum reaction toggle_light(struct tui *ui)
{
	char err[320];
	bool light = !ui->s->light;

	if (set_light(ui, light, err, sizeof(err)))
		tui_set_status(ui, "%s", err);
	else
		tui_set_status(ui, light ? "light mode: no probes, sampling which task runs"
					 : "probes attached again: polls counted from now");
	return REACT_REDRAW;
}

static enum reaction fold_toggle(struct tui *ui)
{
	return future_tree_fold(ui, -1), REACT_REDRAW;
}
static enum reaction expand(struct tui *ui)
{
	return future_tree_fold(ui, 1), REACT_REDRAW;
}
static enum reaction collapse(struct tui *ui)
{
	return future_tree_fold(ui, 0), REACT_REDRAW;
}

static enum reaction snapshot(struct tui *ui)
{
	char path[96], err[512], stamp[32];
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	snprintf(path, sizeof(path), "cattop-%d-%s.json", ui->s->target.pid, stamp);
	/* With several processes, all of them (as --snapshot writes them). */
	if (ui->set ? snapshot_write_set(ui->set, tui_set_now(ui), path, err, sizeof(err))
		    : snapshot_write(ui->s, tui_now(ui), path, err, sizeof(err)))
		tui_set_status(ui, "%s", err);
	else
		tui_set_status(ui, "snapshot written to %s", path);
	return REACT_REDRAW;
}

#define TABLES (IN_VIEW(VIEW_TASKS) | IN_VIEW(VIEW_GROUPS))
#define LISTS  (TABLES | IN_VIEW(VIEW_TREE))
#define TREE   IN_VIEW(VIEW_TREE)
#define PAGED  (LISTS | IN_VIEW(VIEW_DETAIL))

const struct key_binding key_table[] = {
    {'q', "q, F10", ALL_VIEWS, quit, "quit (also Ctrl-C)", KEYS_ALWAYS},
    {KEY_F(10), NULL, ALL_VIEWS, quit, NULL, KEYS_ALWAYS},
    {KEY_UP, "Up/Down, k/j", LISTS, up, "move the cursor", KEYS_ALWAYS},
    {'k', NULL, LISTS, up, NULL, KEYS_ALWAYS},
    {KEY_DOWN, NULL, LISTS, down, NULL, KEYS_ALWAYS},
    {'j', NULL, LISTS, down, NULL, KEYS_ALWAYS},
    {KEY_PPAGE, "PgUp/PgDn Home/End", PAGED, page_up,
     "move by a page, to the ends (details: scroll the histogram)", KEYS_ALWAYS},
    {KEY_NPAGE, NULL, PAGED, page_down, NULL, KEYS_ALWAYS},
    {KEY_HOME, NULL, LISTS, home, NULL, KEYS_ALWAYS},
    {KEY_END, NULL, LISTS, end, NULL, KEYS_ALWAYS},
    {'\n', "Enter", ALL_VIEWS, drill_in, "task: its future tree; future: details; group: its tasks",
     KEYS_ALWAYS},
    {'\r', NULL, ALL_VIEWS, drill_in, NULL, KEYS_ALWAYS},
    {KEY_ENTER, NULL, ALL_VIEWS, drill_in, NULL, KEYS_ALWAYS},
    {KEY_ESC, "Esc, Backspace", ALL_VIEWS, back, "go back (in the task list: clear the filter)",
     KEYS_ALWAYS},
    {KEY_BACKSPACE, NULL, ALL_VIEWS, back, NULL, KEYS_ALWAYS},
    {127, NULL, ALL_VIEWS, back, NULL, KEYS_ALWAYS},
    {KEY_CTRL('h'), NULL, ALL_VIEWS, back, NULL, KEYS_ALWAYS},
    {'<', "< > Left/Right", TABLES, sort_left, "sort by the previous / next column", KEYS_ALWAYS},
    {KEY_LEFT, NULL, TABLES, sort_left, NULL, KEYS_ALWAYS},
    {'>', NULL, TABLES, sort_right, NULL, KEYS_ALWAYS},
    {KEY_RIGHT, NULL, TABLES, sort_right, NULL, KEYS_ALWAYS},
    {'i', "i", TABLES, invert, "invert the sort order", KEYS_ALWAYS},
    {'g', "g", TABLES, toggle_groups, "group tasks by root future (and back)", KEYS_ALWAYS},
    {'/', "/, f, F4", TABLES, filter_prompt,
     "filter tasks by name: a glob (* ? [), else a word found anywhere", KEYS_ALWAYS},
    {KEY_F(4), NULL, TABLES, filter_prompt, NULL, KEYS_ALWAYS},
    {KEY_F(3), "F3", LISTS, search_prompt,
     "search: the cursor jumps to the next match (F3 again: the one after), nothing is "
     "hidden",
     KEYS_ALWAYS},
    {KEY_F(5), "F5", IN_VIEW(VIEW_TASKS) | TREE, tree_toggle,
     "the future tree of the task under the cursor, and back", KEYS_ALWAYS},
    {KEY_F(6), "F6", TABLES, open_sort_menu, "sort menu: Up/Down, Enter sorts", KEYS_ALWAYS},
    {'f', NULL, TABLES, filter_prompt, NULL, KEYS_ALWAYS},
    {'+', "+, -", TREE, expand, "tree: expand, collapse the node (Space toggles it)", KEYS_ALWAYS},
    {' ', NULL, TREE, fold_toggle, NULL, KEYS_ALWAYS},
    {'-', NULL, TREE, collapse, NULL, KEYS_ALWAYS},
    {'p', "p, Space", ALL_VIEWS, toggle_pause,
     "pause the screen, the model keeps counting (Space: not in the tree)", KEYS_ALWAYS},
    {' ', NULL, ALL_VIEWS, toggle_pause, NULL, KEYS_ALWAYS},
    {'.', ". and ,", ALL_VIEWS, step_forward, "replay: step forward / back one refresh",
     KEYS_REPLAY},
    {',', NULL, ALL_VIEWS, step_back, NULL, KEYS_REPLAY},
    {']', "] and [", ALL_VIEWS, jump_forward, "replay: jump 10 s forward / back", KEYS_REPLAY},
    {'[', NULL, ALL_VIEWS, jump_back, NULL, KEYS_REPLAY},
    {'R', "R", ALL_VIEWS, toggle_recording,
     "start/stop recording to ./cattop-PID-TIME.rec (cattop replay, export)", KEYS_LIVE},
    {'L', "L", ALL_VIEWS, toggle_light,
     "light mode on/off: no probes, only task lists and a CPU sampler (--light)", KEYS_LIVE},
    {'t', "t", ALL_VIEWS, threshold_prompt, "change the slow-poll threshold", KEYS_ALWAYS},
    {'s', "s", ALL_VIEWS, snapshot, "write a JSON snapshot to ./cattop-PID-TIME.json", KEYS_ALWAYS},
    {'h', "h, ?, F1", ALL_VIEWS, toggle_help, "this help", KEYS_ALWAYS},
    {'?', NULL, ALL_VIEWS, toggle_help, NULL, KEYS_ALWAYS},
    {KEY_F(1), NULL, ALL_VIEWS, toggle_help, NULL, KEYS_ALWAYS},
    {0, NULL, 0, NULL, NULL, KEYS_ALWAYS},
};

/* In the help: the arrows and page keys scroll it, any other key closes it. */
static enum reaction help_key(struct tui *ui, int key)
{
	int page = LINES - 3 > 1 ? LINES - 3 : 1;

	if (key == KEY_DOWN || key == 'j')
		ui->help_scroll++;
	else if (key == KEY_UP || key == 'k')
		ui->help_scroll--;
	else if (key == KEY_NPAGE || key == ' ')
		ui->help_scroll += page;
	else if (key == KEY_PPAGE)
		ui->help_scroll -= page;
	else
		ui->help = false;
	return REACT_REDRAW; /* the draw clamps the scroll */
}

enum reaction key_dispatch(struct tui *ui, int key)
{
	const struct key_binding *b;

	if (ui->status_note)
		ui->status[0] = '\0'; /* a note answers one key: gone with the next */
	if (ui->help && key != 'q' && key != KEY_F(10))
		return help_key(ui, key);
	if (ui->sort_menu) {
		enum reaction r = sort_menu_key(ui, key);

		if (r != REACT_NONE)
			return r;
		ui->sort_menu = false; /* any other key closes it, then works as usual */
	}
	for (b = key_table; b->handle; b++)
		if (b->key == key && key_in_mode(ui, b) &&
		    (b->views == ALL_VIEWS || (b->views & IN_VIEW(ui->view))))
			return b->handle(ui);
	return REACT_NONE;
}

bool key_in_mode(const struct tui *ui, const struct key_binding *b)
{
	switch (b->mode) {
	case KEYS_LIVE:
		return !ui->s->replay;
	case KEYS_REPLAY:
		return ui->s->replay != NULL;
	default:
		return true;
	}
}

static void apply_prompt(struct tui *ui)
{
	uint64_t ns;

	if (ui->input == INPUT_SEARCH) {
		snprintf(ui->search, sizeof(ui->search), "%s", ui->input_buf);
		ui->search_pending = ui->search[0] != '\0';
		return;
	}
	if (ui->input == INPUT_FILTER) {
		snprintf(ui->filter, sizeof(ui->filter), "%s", ui->input_buf);
		ui->group_filter[0] = '\0';
		list_view_reset(ui);
		return;
	}
	if (duration_parse(ui->input_buf, 0, &ns) || ns == 0) {
		tui_set_status(ui, "not a threshold: '%s' (e.g. 250us, 2ms, 1s)", ui->input_buf);
		return;
	}
	if (ui->set) /* one threshold over the processes: their rows compare */
		for (size_t i = 0; i < ui->set->count; i++)
			task_model_set_threshold(&ui->set->procs[i]->s.model, ns);
	else
		task_model_set_threshold(&ui->s->model, ns);
	tui_set_status(ui,
		       "threshold is now %s: slow counts recounted (~: about, from the histogram)",
		       ui->input_buf);
}

enum reaction key_prompt(struct tui *ui, int key)
{
	size_t len = strlen(ui->input_buf);

	if (key == KEY_F(3) && ui->input == INPUT_SEARCH) {
		apply_prompt(ui); /* the next match; the prompt stays open */
	} else if (key == '\n' || key == '\r' || key == KEY_ENTER) {
		apply_prompt(ui);
		ui->input = INPUT_NONE;
	} else if (key == KEY_ESC) {
		ui->input = INPUT_NONE;
	} else if (key == KEY_CTRL('u')) {
		ui->input_buf[0] = '\0'; /* as in a shell: the whole line */
	} else if (key == KEY_BACKSPACE || key == 127 || key == KEY_CTRL('h')) {
		if (len)
			ui->input_buf[len - 1] = '\0';
	} else if (key >= 32 && key < 127 && len + 1 < sizeof(ui->input_buf)) {
		ui->input_buf[len] = (char)key;
		ui->input_buf[len + 1] = '\0';
	} else {
		return REACT_NONE;
	}
	return REACT_REDRAW;
}
