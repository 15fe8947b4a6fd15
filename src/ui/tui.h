/* The live ncurses monitor: its state, kept apart from the model it shows. */
#ifndef CATTOP_TUI_H
#define CATTOP_TUI_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "model/task_view.h"
#include "util/u64_map.h"

struct session;
struct session_set;

enum ui_view { VIEW_TASKS, VIEW_GROUPS, VIEW_TREE, VIEW_DETAIL };
enum ui_input { INPUT_NONE, INPUT_FILTER, INPUT_THRESHOLD, INPUT_SEARCH };

/* What a key handler asks the loop to do. */
enum reaction {
	REACT_NONE = 0,
	REACT_REDRAW = 1 << 0,
	REACT_QUIT = 1 << 1,
};

struct tui_opts {
	uint64_t interval_ns;
	bool color;
	enum task_sort sort;
	volatile sig_atomic_t *stop; /* set by SIGINT/SIGTERM/SIGHUP */
};

struct tui {
	/* The process looked at: the one a drill-down is in. With several
	 * processes (set), one of theirs, or NULL while --pidof waits for one. */
	struct session *s;
	struct session_set *set; /* several processes (-p A,B, --pidof), else NULL */
	pid_t cursor_pid;	 /* with a set: the process of cursor_task */
	struct tui_opts opts;
	enum ui_view view;
	enum task_sort sort;
	bool ascending;
	int cursor;		  /* row index in the current list */
	int scroll;		  /* first row shown */
	int rows;		  /* rows in the current list (set by the last draw) */
	int page;		  /* list rows that fit on screen */
	int list_y;		  /* screen line of the list's first row (its titles: one above) */
	uint64_t task_id;	  /* tree/detail: the task drilled into */
	const void *node;	  /* detail: the future (a future_node), NULL for the task */
	uint64_t cursor_task;	  /* tasks view: keep the cursor on this task across re-sorts */
	const void *cursor_node;  /* tree: the future under the cursor, NULL: the task row */
	char cursor_group[256];	  /* groups: the name under the cursor */
	struct u64_map collapsed; /* tree: collapsed nodes */
	int hist_scroll;	  /* detail: first histogram bucket shown */
	int hist_page;		  /* detail: histogram lines that fit */
	char filter[64];
	char search[64];     /* F3: what the cursor jumps to */
	bool search_pending; /* the next draw moves the cursor to the next match */
	bool sort_menu;	     /* F6: the sort menu is open */
	int sort_menu_cursor;
	char group_filter[256]; /* tasks view reached from a group: exact name */
	enum ui_input input;
	char input_buf[64];
	bool paused;
	bool help;
	int help_scroll; /* first help line shown */
	bool ascii;	 /* no UTF-8: ASCII tree lines and bars */
	char status[256];
	uint64_t status_until;
	bool status_note;     /* a note on the last key: the next key takes it away */
	uint64_t events_seen; /* for events/s */
	uint64_t events_rate;
	uint64_t rate_at;
	bool exited;
	uint64_t exited_at;
	uint64_t replay_wall; /* replay: wall clock of the last clock step */
	bool replay_ended;
};

/* Runs until q / Ctrl-C. Returns 0, or -1 if the terminal could not be set up. */
int tui_run(struct session *s, const struct tui_opts *opts);

/* The same over several processes (-p A,B, --pidof): every task of every
 * process in one list. Runs until q / Ctrl-C; -1 without a terminal. */
int tui_run_set(struct session_set *set, const struct tui_opts *opts);

/* Helpers the views share. */
uint64_t tui_now(const struct tui *ui);
void tui_set_status(struct tui *ui, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A status message that only answers the last key ("filter cleared"). */
void tui_note(struct tui *ui, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
struct task *tui_find_task(const struct tui *ui, uint64_t id);
/* Replay: moves the replay clock by delta (clamped to the recording). */
void tui_replay_step(struct tui *ui, int64_t delta_ns);
/* Live: starts or stops recording to ./cattop-PID-TIME.rec (with several
 * processes, of the one under the cursor in the task list). */
void tui_toggle_recording(struct tui *ui);

#endif
