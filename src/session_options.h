/* What a session is started with, from the command line and the config:
 * the one place where their defaults meet (the config's light and duty,
 * the exporter's duty-cycling). */
#ifndef CATTOP_SESSION_OPTIONS_H
#define CATTOP_SESSION_OPTIONS_H

#include <stdbool.h>

#include "config/config.h"
#include "options.h"
#include "session/session.h"

/* exporter: --listen (or the config's listen) serves metrics, which makes
 * duty-cycled tracing the default. */
void session_opts_from(const struct options *o, const struct config *cfg, bool exporter,
		       struct session_opts *so);

#endif
