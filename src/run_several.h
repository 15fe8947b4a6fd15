/* cattop's run over several processes (-p A,B, --pidof): the batch loop,
 * the live view, recordings and the final snapshot of a session_set. */
#ifndef CATTOP_RUN_SEVERAL_H
#define CATTOP_RUN_SEVERAL_H

#include <signal.h>
#include <stdbool.h>

#include "config/config.h"
#include "options.h"
#include "session/session.h"

struct metrics_server;

/* Runs the whole of cattop over several processes; returns its exit code. */
int run_several(struct options *o, struct config *cfg, struct metrics_server *metrics,
		volatile sig_atomic_t *stop);

#endif
