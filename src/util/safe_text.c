#include "util/safe_text.h"

#include <string.h>

size_t utf8_char(const unsigned char *p, uint32_t *cp)
{
	/* The second byte's range excludes overlong forms, surrogates and
	 * code points past U+10FFFF (RFC 3629). */
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n, i;

	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2;
		*cp = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		*cp = p[0] & 0x0f;
		lo = p[0] == 0xe0 ? 0xa0 : 0x80;
		hi = p[0] == 0xed ? 0x9f : 0xbf;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		*cp = p[0] & 0x07;
		lo = p[0] == 0xf0 ? 0x90 : 0x80;
		hi = p[0] == 0xf4 ? 0x8f : 0xbf;
	} else {
		return 0;
	}
	for (i = 1; i < n; i++) {
		if (p[i] < (i == 1 ? lo : 0x80) || p[i] > (i == 1 ? hi : 0xbf))
			return 0; /* also stops at the terminating NUL */
		*cp = *cp << 6 | (p[i] & 0x3f);
	}
	return n;
}

bool codepoint_is_control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x061c || cp == 0x200e ||
	       cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

/* The escape of the character at p (n bytes, code point cp, or n == 0 for
 * an invalid byte) into out; returns its length, 0 if it needs none. */
static size_t escape_of(const unsigned char *p, size_t n, uint32_t cp, char out[16])
{
	size_t i, len = 0;

	if (n && !codepoint_is_control(cp))
		return 0;
	if (n && cp > 0xff)
		return (size_t)snprintf(out, 16, "\\u%04x", (unsigned int)cp);
	/* A C0 or C1 control or a stray byte: its bytes as they are in the text. */
	for (i = 0; i < (n ? n : 1); i++)
		len += (size_t)snprintf(out + len, 16 - len, "\\x%02x", p[i]);
	return len;
}

bool safe_text_is_clean(const char *text)
{
	const unsigned char *p = (const unsigned char *)text;
	uint32_t cp;
	size_t n;

	for (; *p; p += n) {
		if (*p >= 0x20 && *p < 0x7f) {
			n = 1; /* the common case, quickly */
			continue;
		}
		n = utf8_char(p, &cp);
		if (!n || codepoint_is_control(cp))
			return false;
	}
	return true;
}

const char *safe_text(const char *text, char *buf, size_t len)
{
	const unsigned char *p = (const unsigned char *)(text ? text : "");
	size_t used = 0;

	if (!len)
		return "";
	if (safe_text_is_clean((const char *)p) && strlen((const char *)p) < len)
		return (const char *)p;
	while (*p) {
		char esc[16];
		uint32_t cp = 0;
		size_t n = utf8_char(p, &cp), e = escape_of(p, n, cp, esc);
		const char *piece = e ? esc : (const char *)p;
		size_t piece_len = e ? e : n;

		if (used + piece_len >= len)
			break;
		memcpy(buf + used, piece, piece_len);
		used += piece_len;
		p += n ? n : 1;
	}
	buf[used] = '\0';
	return buf;
}

void safe_text_write(FILE *out, const char *text)
{
	const unsigned char *p = (const unsigned char *)(text ? text : "");

	while (*p) {
		char esc[16];
		uint32_t cp = 0;
		size_t n = utf8_char(p, &cp), e = escape_of(p, n, cp, esc);

		if (e)
			fwrite(esc, 1, e, out);
		else
			fwrite(p, 1, n, out);
		p += n ? n : 1;
	}
}

void safe_error(const char *message)
{
	fputs("cattop: ", stderr);
	safe_text_write(stderr, message);
	fputc('\n', stderr);
}
