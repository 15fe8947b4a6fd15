#include "export/chrome_trace.h"

#include <inttypes.h>
#include <string.h>

#include "export/poll_span_source.h"
#include "recording/replay.h"
#include "session/session.h"
#include "util/json_string.h"

/* Microseconds with nanosecond precision, as the format's ts/dur want. */
static void write_us(FILE *out, uint64_t ns)
{
	fprintf(out, "%" PRIu64 ".%03" PRIu64, ns / 1000, ns % 1000);
}

static void write_other_data(struct chrome_trace *ct)
{
	const struct session *s = ct->s;
	const struct recording *rec = &s->replay->rec;

	fprintf(ct->out,
		"{\"displayTimeUnit\":\"ns\",\"otherData\":{\"pid\":%d,\"exe\":", s->target.pid);
	json_write_string(ct->out, s->target.exe, ct->html_safe);
	fprintf(ct->out, ",\"runtime\":");
	json_write_string(ct->out, s->sites.runtime->name, ct->html_safe);
	fprintf(ct->out,
		",\"threshold_ns\":%" PRIu64 ",\"duration_ns\":%" PRIu64 ",\"events\":%" PRIu64
		",\"events_lost\":%" PRIu64 ",\"recorded_at_unix_ns\":%" PRIu64
		",\"truncated\":%s},\n\"traceEvents\":[\n",
		s->model.threshold_ns, rec->end_ts - rec->info.started_ns, rec->events,
		rec->events_lost, (uint64_t)rec->info.realtime_ns,
		rec->truncated ? "true" : "false");
	fprintf(ct->out, "{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":%d,\"args\":{\"name\":",
		s->target.pid);
	{
		char name[300];

		snprintf(name, sizeof(name), "%s (pid %d)", s->target.comm, s->target.pid);
		json_write_string(ct->out, name, ct->html_safe);
	}
	fprintf(ct->out, "}}");
}

void chrome_trace_begin(struct chrome_trace *ct, FILE *out, const struct session *s, bool html_safe)
{
	memset(ct, 0, sizeof(*ct));
	ct->out = out;
	ct->s = s;
	ct->html_safe = html_safe;
	write_other_data(ct);
}

void chrome_trace_span(void *ctx, const struct poll_span *span)
{
	struct chrome_trace *ct = ctx;
	struct span_info in;
	FILE *out = ct->out;

	span_describe(ct->s, span, &in);
	/* Names point into the session's site table, alive until the end. */
	u64_map_put(&ct->task_names, in.task_id, (void *)in.task_name);
	fprintf(out, ",\n{\"ph\":\"X\",\"name\":");
	json_write_string(out, in.name, ct->html_safe);
	fprintf(out, ",\"cat\":\"%s\",\"pid\":%d,\"tid\":%" PRIu64 ",\"ts\":", in.kind,
		ct->s->target.pid, in.task_id);
	write_us(out, span->start - ct->s->started_ns);
	fprintf(out, ",\"dur\":");
	write_us(out, span->end - span->start);
	fprintf(out, ",\"args\":{\"task\":%" PRIu64 ",\"kind\":\"%s\",", in.task_id, in.kind);
	if (in.location) {
		fprintf(out, "\"location\":");
		json_write_string(out, in.location, ct->html_safe);
		fputc(',', out);
	}
	/* dur is the wall time the timeline shows; the poll's own time is dur
	 * minus its wait for a CPU. */
	if (span->cpu_wait)
		fprintf(out, "\"cpu_wait_ns\":%" PRIu64 ",", span->cpu_wait);
	if (span->blocked)
		fprintf(out, "\"blocked_ns\":%" PRIu64 ",", span->blocked);
	fprintf(out, "\"thread\":%u,\"slow\":%s,\"inflight\":%s}", in.thread,
		in.slow ? "true" : "false", span->inflight ? "true" : "false");
	if (in.slow)
		fprintf(out, ",\"cname\":\"terrible\""); /* trace viewer's red */
	fputc('}', out);
	ct->spans++;
}

static void write_track_name(struct chrome_trace *ct, uint64_t id, const char *name)
{
	char label[512];

	snprintf(label, sizeof(label), "task %" PRIu64 " %s", id, name);
	fprintf(ct->out,
		",\n{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":%d,\"tid\":%" PRIu64
		",\"args\":{\"name\":",
		ct->s->target.pid, id);
	json_write_string(ct->out, label, ct->html_safe);
	fprintf(ct->out,
		"}},\n{\"ph\":\"M\",\"name\":\"thread_sort_index\",\"pid\":%d,\"tid\":%" PRIu64
		",\"args\":{\"sort_index\":%" PRIu64 "}}",
		ct->s->target.pid, id, id);
}

void chrome_trace_end(struct chrome_trace *ct)
{
	size_t i;

	for (i = 0; ct->task_names.slots && i <= ct->task_names.mask; i++)
		if (ct->task_names.slots[i].value)
			write_track_name(ct, ct->task_names.slots[i].key,
					 ct->task_names.slots[i].value);
	fprintf(ct->out, "\n]}");
	u64_map_free(&ct->task_names);
}
