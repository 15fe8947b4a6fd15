/* Text cattop did not write itself (symbol names, DWARF file names, thread
 * names, anything read from a recording) made safe to print: a target's
 * binary can name a function "\e]0;...\a" and set the terminal's title, or
 * clear the screen, when cattop prints that name. Every control character
 * (C0, DEL, the C1 range U+0080..U+009F), every Unicode bidi control and
 * every byte that is not part of valid UTF-8 is shown as \xNN (\uNNNN for
 * the bidi controls); everything else, including UTF-8 text, is kept. */
#ifndef CATTOP_SAFE_TEXT_H
#define CATTOP_SAFE_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Length of the valid UTF-8 character at p (1 for ASCII) with its code
 * point in *cp, or 0 if the bytes there are not valid UTF-8. */
size_t utf8_char(const unsigned char *p, uint32_t *cp);

/* True for code points no terminal or viewer should receive raw. */
bool codepoint_is_control(uint32_t cp);

/* True when text prints as it is. */
bool safe_text_is_clean(const char *text);

/* text, escaped into buf (cut at a whole character or escape to fit len);
 * returns buf, or text itself when it needs no escaping and fits. */
const char *safe_text(const char *text, char *buf, size_t len);

/* Writes text escaped to out, however long. */
void safe_text_write(FILE *out, const char *text);

/* "cattop: MESSAGE" on stderr, escaped: error messages quote paths and
 * names that may be the target's. */
void safe_error(const char *message);

#endif
