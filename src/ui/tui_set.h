/* The live view's side of several processes (-p A,B, --pidof): which
 * process a session is, the loop's steps over the set, and the current
 * process kept valid as processes come and go. */
#ifndef CATTOP_TUI_SET_H
#define CATTOP_TUI_SET_H

#include <stdint.h>
#include <sys/types.h>

#include "session/session_set.h"

struct tui;

/* The process of session s, NULL without a set (or if s is not one). */
struct traced_process *tui_set_process(const struct tui *ui, const struct session *s);
/* The session of pid in the set, NULL if it is not (any longer) there. */
struct session *tui_set_find(const struct tui *ui, pid_t pid);
/* "wl-tokio:8828" of s with a set, "" without. */
const char *tui_set_label(const struct tui *ui, const struct session *s);

/* The clock of the processes still running (tui_now is the current
 * process's, frozen if it exited): for what spans the processes. */
uint64_t tui_set_now(const struct tui *ui);

/* session_set_notify: a one-line message to the status line. */
void tui_set_notify(void *ctx, const char *msg);
/* Once per refresh: the set's tick; a current process that was dropped
 * is replaced (its tree closed). */
void tui_set_tick(struct tui *ui, uint64_t now);
/* Every process gone (and no --pidof waiting): the view freezes. */
void tui_set_watch(struct tui *ui);
/* Events over every process, for events/s. */
uint64_t tui_set_events(const struct tui *ui);

#endif
