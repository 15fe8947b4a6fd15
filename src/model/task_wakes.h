/* Wake events of tasks (the profile's task_wake probes) turned into wake
 * counts and scheduled time: a wake opens the task's scheduled period,
 * its next poll's entry closes it. */
#ifndef CATTOP_TASK_WAKES_H
#define CATTOP_TASK_WAKES_H

#include <stdint.h>

struct poll_tracker;
struct poll_event;
struct task;

/* The code ranges of the deferrer sites (SITE_WAKE_DEFERRER), sorted: set
 * up by poll_tracker_init, freed by poll_tracker_free. */
void task_wakes_index(struct poll_tracker *t);
void task_wakes_free(struct poll_tracker *t);

/* A wake site's entry: ev->arg is the task pointer, ev->ret the caller. */
void task_wakes_on_wake(struct poll_tracker *t, const struct poll_event *ev);
/* The task's poll begins at ts: its scheduled period (if a wake opened
 * one) ends. */
void task_wakes_poll_begins(struct task *task, uint64_t ts);
/* The task's poll ended at ts: a wake during it starts its wait now. */
void task_wakes_poll_ends(struct task *task, uint64_t ts);

#endif
