#include "session/focus.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe/call_graph.h"
#include "session/session.h"

bool focus_possible(const struct session *s)
{
	return s->attached && !s->replay && !s->target.execed && !s->light &&
	       site_table_count_deferred(&s->sites) > 0;
}

static size_t count_marked(const bool *marks, size_t n)
{
	size_t i, c = 0;

	for (i = 0; i < n; i++)
		c += marks[i];
	return c;
}

static int focus_types(struct session *s, const bool *types, char *err, size_t errlen)
{
	bool *want = calloc(s->sites.count + 1, sizeof(*want));
	int n, ret;

	if (!want)
		return -ENOMEM;
	n = call_graph_reach(s->target.binary, &s->symbols, &s->sites, types, want);
	if (n < 0) {
		snprintf(err, errlen, "cannot read the code of %s: %s", s->target.binary,
			 strerror(-n));
		free(want);
		return n;
	}
	ret = session_widen(s, want, err, errlen);
	free(want);
	if (ret)
		return ret;
	s->focus.active = true;
	s->focus.task_types = count_marked(types, s->sites.count);
	s->focus.futures = s->probes.widened_sites;
	return 0;
}

int focus_task_type(struct session *s, uint32_t site, char *err, size_t errlen)
{
	bool *types;
	const char *type;
	int ret;

	if (s->focus.active && s->focus.task_types == 1 && s->focus.site == site)
		return 0;
	if (site >= s->sites.count || s->sites.sites[site].role != SITE_TASK_POLL)
		return -EINVAL;
	types = calloc(s->sites.count, sizeof(*types));
	if (!types)
		return -ENOMEM;
	types[site] = true;
	ret = focus_types(s, types, err, errlen);
	free(types);
	if (ret)
		return ret;
	type = site_task_type(&s->sites.sites[site]);
	s->focus.site = site;
	snprintf(s->focus.label, sizeof(s->focus.label), "%s", type ? type : "(task)");
	return 0;
}

int focus_matching(struct session *s, const char *glob, char *err, size_t errlen)
{
	bool *types = calloc(s->sites.count + 1, sizeof(*types));
	size_t i, n = 0;
	int ret;

	if (!types)
		return -ENOMEM;
	for (i = 0; i < s->sites.count; i++) {
		const char *type = site_task_type(&s->sites.sites[i]);

		types[i] = type && fnmatch(glob, type, 0) == 0;
		n += types[i];
	}
	ret = -ENOENT;
	if (!n)
		snprintf(err, errlen,
			 "--focus '%s': no task type matches (they are named by DWARF, "
			 "e.g. 'app::conn_loop')",
			 glob);
	else
		ret = focus_types(s, types, err, errlen);
	if (!ret) {
		snprintf(s->focus.label, sizeof(s->focus.label), "%s", glob);
		for (i = 0; n == 1 && i < s->sites.count; i++)
			if (types[i])
				s->focus.site = (uint32_t)i;
	}
	free(types);
	return ret;
}

int focus_default(struct session *s, char *err, size_t errlen)
{
	if (s->focus_glob)
		return focus_matching(s, s->focus_glob, err, errlen);
	focus_clear(s);
	return 0;
}

void focus_clear(struct session *s)
{
	if (!s->focus.active)
		return;
	probes_narrow(&s->probes);
	memset(&s->focus, 0, sizeof(s->focus));
}
