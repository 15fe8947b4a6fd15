/* Escaping of target-controlled text (safe_text) and JSON strings: every
 * control character, C1 and bidi controls and bytes that are not UTF-8 come
 * out as text; everything else as it is. */
#include <stdlib.h>

#include "check.h"
#include "util/json_string.h"
#include "util/safe_text.h"

int check_passed, check_failed;

static const char *esc(const char *in)
{
	static char buf[256];

	return safe_text(in, buf, sizeof(buf));
}

static char *json_of(const char *in, bool html_safe)
{
	static char *text;
	size_t len;
	FILE *f;

	free(text);
	f = open_memstream(&text, &len);
	json_write_string(f, in, html_safe);
	fclose(f);
	return text;
}

static void test_escapes(void)
{
	const char *plain = "wl_tokio::ticker_task::{{closure}} (src/main.rs:12)";
	char small[12];

	CHECK(esc(plain) == plain); /* nothing to do: no copy */
	CHECK(safe_text_is_clean(plain));
	CHECK_STR(esc("a\x1b]0;title\x07z"), "a\\x1b]0;title\\x07z");
	CHECK_STR(esc("\x1b[2J\r\n\t\x7f"), "\\x1b[2J\\x0d\\x0a\\x09\\x7f");
	CHECK_STR(esc("caf\xc3\xa9 \xe2\x86\x92"), "caf\xc3\xa9 \xe2\x86\x92"); /* UTF-8 kept */
	CHECK(safe_text_is_clean("caf\xc3\xa9"));
	CHECK_STR(esc("x\xc2\x9b"
		      "31m"),
		  "x\\xc2\\x9b31m"); /* C1 CSI as UTF-8 */
	CHECK_STR(esc("x\x9b"
		      "31m"),
		  "x\\x9b31m"); /* a stray C1 byte */
	CHECK_STR(esc("a\xe2\x80\xae"
		      "b"),
		  "a\\u202eb");					    /* right-to-left override */
	CHECK_STR(esc("\xc0\x80"), "\\xc0\\x80");		    /* overlong NUL */
	CHECK_STR(esc("\xed\xa0\x80"), "\\xed\\xa0\\x80");	    /* a surrogate */
	CHECK_STR(esc("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80"); /* past U+10FFFF */
	CHECK_STR(esc("ok\xe2\x80"), "ok\\xe2\\x80");		    /* cut short */
	CHECK_STR(esc("\xf0\x9f\x98\x80"), "\xf0\x9f\x98\x80");	    /* 4-byte UTF-8 */
	CHECK(!safe_text_is_clean("\x1b"));
	CHECK(!safe_text_is_clean("\xff"));
	CHECK_STR(esc(NULL), "");
	/* Cut to fit, never inside an escape or a character. */
	CHECK_STR(safe_text("abcd\x1b\x1b", small, sizeof(small)), "abcd\\x1b");
	CHECK_STR(safe_text("abcdefghijklmnop", small, sizeof(small)), "abcdefghijk");
	CHECK_STR(safe_text("abcdefghij\xc3\xa9", small, sizeof(small)), "abcdefghij");
}

static void test_stream_and_json(void)
{
	char *text = NULL;
	size_t len;
	FILE *f = open_memstream(&text, &len);

	safe_text_write(f, "name\x1b]2;x\x07\xc2\x85");
	fclose(f);
	CHECK_STR(text, "name\\x1b]2;x\\x07\\xc2\\x85");
	free(text);
	CHECK_STR(json_of("a\"b\\c", false), "\"a\\\"b\\\\c\"");
	CHECK_STR(json_of("\x1b[1m\x7f", false), "\"\\u001b[1m\\u007f\"");
	CHECK_STR(json_of("\xc2\x9b\xe2\x80\xae", false), "\"\\u009b\\u202e\"");
	CHECK_STR(json_of("x\x9by", false), "\"x\\\\x9by\""); /* not UTF-8: as text */
	CHECK_STR(json_of("caf\xc3\xa9", false), "\"caf\xc3\xa9\"");
	CHECK_STR(json_of("</script>&", true), "\"\\u003c/script\\u003e\\u0026\"");
}

int main(void)
{
	test_escapes();
	test_stream_and_json();
	printf("%d passed, %d failed\n", check_passed, check_failed);
	return check_failed != 0;
}
