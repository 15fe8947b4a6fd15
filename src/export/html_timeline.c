#include "export/html_timeline.h"

#include <string.h>

#include "export/chrome_trace.h"
#include "export/poll_span_source.h"
#include "timeline_html.h" /* generated from src/export/timeline.html */

/* The template's line that the data replaces. */
#define DATA_MARK "/*CATTOP_TRACE_DATA*/"

unsigned long long html_timeline_write(struct session *s, FILE *out)
{
	const char *page = timeline_html_text, *mark = strstr(page, DATA_MARK);
	struct chrome_trace ct;

	if (!mark)
		mark = page + strlen(page); /* a broken template: data at the end */
	fwrite(page, 1, (size_t)(mark - page), out);
	fputs("const TRACE = ", out);
	chrome_trace_begin(&ct, out, s, true);
	poll_spans_replay(s, chrome_trace_span, &ct);
	chrome_trace_end(&ct);
	fputs(";\n", out);
	if (*mark)
		fputs(mark + strlen(DATA_MARK), out);
	return ct.spans;
}
