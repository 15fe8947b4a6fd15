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

/* What each process's session is started with, from the options and the
 * config (exporter: --listen given, which makes duty-cycling the default). */
void session_opts_from(const struct options *o, const struct config *cfg, bool exporter,
		       struct session_opts *so);

/* Runs the whole of cattop over several processes; returns its exit code. */
int run_several(struct options *o, struct config *cfg, struct metrics_server *metrics,
		volatile sig_atomic_t *stop);

#endif
