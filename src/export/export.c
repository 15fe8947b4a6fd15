#include "export/export.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "export/chrome_trace.h"
#include "export/folded_stacks.h"
#include "export/html_timeline.h"
#include "export/poll_span_source.h"
#include "options.h"
#include "recording/replay.h"
#include "session/session.h"
#include "util/atomic_file.h"
#include "util/safe_text.h"

static unsigned long long write_format(struct session *s, enum export_format format, FILE *out)
{
	struct chrome_trace ct;
	struct folded_stacks fs;

	switch (format) {
	case EXPORT_FOLDED:
		folded_stacks_init(&fs, s);
		poll_spans_replay(s, folded_stacks_span, &fs);
		folded_stacks_write(&fs, out);
		return s->tracker.counters.events;
	case EXPORT_HTML:
		return html_timeline_write(s, out);
	default:
		chrome_trace_begin(&ct, out, s, false);
		poll_spans_replay(s, chrome_trace_span, &ct);
		chrome_trace_end(&ct);
		fputc('\n', out);
		return ct.spans;
	}
}

int export_run(struct config *cfg, const struct options *o)
{
	static const char *const names[] = {"chrome trace", "folded stacks", "HTML timeline"};
	struct atomic_file af;
	struct session s;
	char err[1024];
	int ret;

	ret = session_open_replay(&s, cfg, o->input_path, o->threshold_set ? o->threshold_ns : 0,
				  err, sizeof(err));
	if (ret) {
		safe_error(err);
		return 1;
	}
	if (s.replay->rec.truncated)
		fprintf(stderr, "cattop: %s was cut short at byte %zu: exporting what is there\n",
			o->input_path, s.replay->rec.truncated_at);
	ret = atomic_file_open(&af, o->output_path, err, sizeof(err));
	if (!ret) {
		unsigned long long n = write_format(&s, o->format, af.file);

		ret = atomic_file_close(&af, false, err, sizeof(err));
		if (!ret && af.file != stdout && o->output_path[0] != '-')
			fprintf(stderr, "cattop: %s of %llu %s written to %s\n", names[o->format],
				n, o->format == EXPORT_FOLDED ? "events" : "polls", o->output_path);
	}
	/* A closed pipe (`| head`) ends it silently, as for the batch tables. */
	if (ret && !(ret == -EPIPE && strcmp(o->output_path, "-") == 0))
		safe_error(err);
	session_stop(&s);
	return ret ? 1 : 0;
}
