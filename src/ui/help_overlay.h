/* The help overlay (h/?), drawn from the key table. */
#ifndef CATTOP_HELP_OVERLAY_H
#define CATTOP_HELP_OVERLAY_H

struct tui;

void help_overlay_draw(struct tui *ui);

#endif
