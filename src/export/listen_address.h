/* The metrics endpoint's address as the command line and the config give
 * it: parsed apart from the server, so checking an option or a config file
 * needs no HTTP library. */
#ifndef CATTOP_LISTEN_ADDRESS_H
#define CATTOP_LISTEN_ADDRESS_H

#include <stddef.h>
#include <sys/socket.h>

/* "HOST:PORT" with a numeric IPv4 host or "localhost", "[IPv6]:PORT", or
 * ":PORT" (every IPv4 address). Returns 0, or -1 with a reason in err. */
int metrics_listen_parse(const char *spec, struct sockaddr_storage *addr, socklen_t *len, char *err,
			 size_t errlen);

#endif
