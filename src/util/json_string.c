#include "util/json_string.h"

#include "util/safe_text.h"

void json_write_string(FILE *out, const char *s, bool html_safe)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	uint32_t cp;
	size_t n;

	fputc('"', out);
	for (; *p; p += n ? n : 1) {
		n = utf8_char(p, &cp);
		if (!n) /* not UTF-8, so not JSON: shown as the other outputs show it */
			fprintf(out, "\\\\x%02x", *p);
		else if (cp == '"' || cp == '\\')
			fprintf(out, "\\%c", (int)cp);
		else if (codepoint_is_control(cp) ||
			 (html_safe && (cp == '<' || cp == '>' || cp == '&')))
			fprintf(out, "\\u%04x", (unsigned int)cp);
		else
			fwrite(p, 1, n, out);
	}
	fputc('"', out);
}
