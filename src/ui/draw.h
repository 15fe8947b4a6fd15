/* Small drawing helpers shared by the views. */
#ifndef CATTOP_DRAW_H
#define CATTOP_DRAW_H

#include <stdbool.h>
#include <stdint.h>

#include "ui/colors.h"

struct tui;

/* Prints text at (y, x), cut to width columns (UTF-8 aware), padded with
 * spaces when pad is set. Returns the column after it. */
/* Columns text takes (UTF-8 aware, as draw_text counts them). */
int draw_columns(const char *text);

int draw_text(int y, int x, int width, int attr, const char *text, int pad);

/* A right-aligned duration cell; slow (over threshold) ones get the slow
 * role and a '!' so they read without colour. Zero shows "-". */
int draw_duration(int y, int x, int width, int base_attr, uint64_t ns, uint64_t threshold,
		  enum color_role slow_role);
int draw_number(int y, int x, int width, int attr, uint64_t n);
/* A slow-poll count, "~" before it when it was recounted approximately. */
int draw_slow_count(int y, int x, int width, int attr, uint64_t n, bool approx);

/* The bottom line: status message, or key hints. */
void draw_status_line(struct tui *ui, const char *hints);

#endif
