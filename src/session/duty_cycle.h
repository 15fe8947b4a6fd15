/* Duty-cycled exact tracing (--duty PCT): the probes are in for PCT % of
 * every second (a window) and out for the rest, so exact poll figures and
 * slow-poll detection cost about PCT % of full tracing. The probes go out
 * and back with probes_pause/probes_resume (the programs, the ring buffer
 * and what was learnt of each site stay); polls open at a window's edge are
 * dropped (poll_tracker_window_*); the links go on a thread while the loop
 * goes on, and the next window waits for them to be gone. Counts and times
 * are those of the traced windows, raw, not scaled: the header and the JSON
 * say which fraction of the time they cover. While a task is opened in the live
 * view the window is held open: what is looked at is traced continuously. */
#ifndef CATTOP_DUTY_CYCLE_H
#define CATTOP_DUTY_CYCLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct session;

#define DUTY_PERIOD_NS 1000000000ULL
#define DUTY_RECENT    8 /* windows kept for the snapshot */
/* How often a closing window's links are looked at while they go. */
#define DUTY_SETTLE_POLL_NS 10000000ULL

/* One traced window, closed. */
struct duty_window {
	uint64_t opened_at; /* CLOCK_MONOTONIC: returns ready, exact from here */
	uint64_t closed_at; /* when the probes began to go out */
	uint64_t attach_ns; /* taking the probes in (0 for the first, at start) */
	uint64_t detach_ns; /* taking them out, their events drained */
	uint64_t events;    /* the tracker's events in it */
};

struct duty_cycle {
	unsigned int pct;    /* 0: off, probes in all the time */
	uint64_t window_ns;  /* pct of DUTY_PERIOD_NS */
	bool on;	     /* the probes are in now */
	bool hold;	     /* kept in while a task is looked at */
	uint64_t first_open; /* the first window's start: the traced share is of the time since */
	uint64_t next_open;  /* the schedule: windows open at first_open + k periods */
	uint64_t opened_at;  /* the open window's start (returns ready) */
	uint64_t closing_since; /* the probes going out since, 0 if not */
	uint64_t attach_ns;	/* what opening the current window took */
	uint64_t events_at_open;
	uint64_t traced_ns; /* of the windows closed */
	uint64_t windows;   /* closed so far (their probes going or gone) */
	uint64_t reopened;  /* windows opened after the first: attach_total_ns's count */
	uint64_t detached;  /* windows whose links are gone: detach_total_ns's count */
	uint64_t attach_total_ns, attach_max_ns, detach_total_ns, detach_max_ns;
	uint64_t late_max_ns;			/* the latest an edge came after its time */
	struct duty_window recent[DUTY_RECENT]; /* the last windows, [windows % DUTY_RECENT] next */
	bool stopped;				/* the probes could not go back in */
	char status[200];			/* why it stopped (or lost the focus), or "" */
};

/* Starts the cycle with the probes just attached (at start or leaving
 * light mode); pct 0 leaves it off. */
void duty_cycle_start(struct session *s, unsigned int pct);
/* Opens or closes the window when its time has come; called at every drain. */
void duty_cycle_step(struct session *s, uint64_t now);
/* How long the caller may sleep before the next edge, at most max. */
uint64_t duty_cycle_sleep_ns(const struct session *s, uint64_t now, uint64_t max);
/* Time traced so far (the open window's part included) and the share of
 * the time since the first window it is, in %. */
uint64_t duty_cycle_traced_ns(const struct duty_cycle *d, uint64_t now);
double duty_cycle_traced_pct(const struct duty_cycle *d, uint64_t now);
/* The header's words, e.g. "duty 10%: probes on 100 ms of every 1 s,
 * traced 9.9% of 12 s; counts sampled"; "" when the cycle is off. */
void duty_cycle_describe(const struct duty_cycle *d, uint64_t now, char *buf, size_t len);
/* Held: the window stays open (a task is opened in the live view). */
void duty_cycle_hold(struct session *s, bool hold);

#endif
