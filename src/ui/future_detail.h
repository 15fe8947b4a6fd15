/* Detail of one future (Enter in the tree): what and where it is, poll-time
 * histogram (log2 buckets as bars), percentiles and the recent slow polls. */
#ifndef CATTOP_FUTURE_DETAIL_H
#define CATTOP_FUTURE_DETAIL_H

struct tui;

void future_detail_draw(struct tui *ui, int y);

#endif
