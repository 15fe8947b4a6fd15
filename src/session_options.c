#include "session_options.h"

/* An exporter's default mode: the probes in 100 ms of every second. */
#define EXPORTER_DUTY_PCT 10

void session_opts_from(const struct options *o, const struct config *cfg, bool exporter,
		       struct session_opts *so)
{
	*so = (struct session_opts){
	    .pid = o->pid,
	    .argv = o->command,
	    .runtime = o->runtime,
	    .tasks_only = o->tasks_only,
	    .focus = o->focus,
	    .verbose = o->verbose,
	    .debug_file = o->debug_file,
	    .no_cache = o->no_cache,
	    .light =
		o->light || (cfg->light && !o->tasks_only && !o->duty_pct && o->mode == MODE_LIVE),
	    .duty_pct = o->duty_pct,
	};
	/* The config's duty is a default for the live view and batch tables:
	 * not where --light (or the config's light) says no probes. */
	if (!so->duty_pct && !so->light && o->mode == MODE_LIVE)
		so->duty_pct = cfg->duty_pct;
	/* An exporter stays attached for days: duty-cycled unless --duty or
	 * --light says otherwise (--duty 100 or duty = 100: the probes in all
	 * the time). --tasks-only and --focus choose which probes, not when. */
	if (!so->duty_pct && !so->light && exporter)
		so->duty_pct = EXPORTER_DUTY_PCT;
	if (so->duty_pct >= 100)
		so->duty_pct = 0;
}
