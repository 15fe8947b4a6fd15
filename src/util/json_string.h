/* JSON string literals for the streamed writers (exports with millions of
 * events are written with stdio, not built as a jansson tree). */
#ifndef CATTOP_JSON_STRING_H
#define CATTOP_JSON_STRING_H

#include <stdbool.h>
#include <stdio.h>

/* Writes s as a quoted JSON string, control characters escaped (C1 and
 * bidi controls too: see safe_text.h) and a byte that is not UTF-8 as the
 * text "\xNN". html_safe also escapes '<', '>' and '&', so the text can sit
 * inside an HTML <script> element. */
void json_write_string(FILE *out, const char *s, bool html_safe);

#endif
