/* The metrics endpoint: libmicrohttpd serves GET /metrics from its own
 * thread, out of a text the main loop renders after each refresh and hands
 * over under a mutex. The HTTP thread never sees the model. */
#ifndef CATTOP_METRICS_SERVER_H
#define CATTOP_METRICS_SERVER_H

#include <stddef.h>
#include <sys/socket.h>

struct metrics_server;

/* Binds spec and starts serving (503 until the first publish). Returns
 * NULL with a one-line reason in err (a port in use, say). */
struct metrics_server *metrics_server_open(const char *spec, char *err, size_t errlen);
/* The next scrapes get text[0..len), which the server now owns. */
void metrics_server_publish(struct metrics_server *srv, char *text, size_t len);
/* Scrapes served so far. */
unsigned long metrics_server_scrapes(struct metrics_server *srv);
void metrics_server_close(struct metrics_server *srv);

#endif
