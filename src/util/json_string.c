#include "util/json_string.h"

void json_write_string(FILE *out, const char *s, bool html_safe)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");

	fputc('"', out);
	for (; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f ||
			 (html_safe && (*p == '<' || *p == '>' || *p == '&')))
			fprintf(out, "\\u%04x", *p);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}
