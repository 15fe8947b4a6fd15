/* cattop export FILE --format chrome|folded|html -o OUT. */
#ifndef CATTOP_EXPORT_H
#define CATTOP_EXPORT_H

struct config;
struct options;

/* Returns the process exit status, after a one-line message on failure. */
int export_run(struct config *cfg, const struct options *o);

#endif
