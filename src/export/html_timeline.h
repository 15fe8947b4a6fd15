/* A self-contained HTML page (no network, no external scripts) that draws
 * the timeline of a recording: the Chrome trace embedded in the page
 * template src/export/timeline.html, compiled into cattop. */
#ifndef CATTOP_HTML_TIMELINE_H
#define CATTOP_HTML_TIMELINE_H

#include <stdio.h>

struct session;

/* Replays s to the end into the page. Returns the number of polls drawn. */
unsigned long long html_timeline_write(struct session *s, FILE *out);

#endif
