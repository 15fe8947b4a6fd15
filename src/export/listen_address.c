#include "export/listen_address.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse_port(const char *s, in_port_t *port)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > 65535 || *s == '+' || *s == '-')
		return -1;
	*port = htons((in_port_t)v);
	return 0;
}

int metrics_listen_parse(const char *spec, struct sockaddr_storage *addr, socklen_t *len, char *err,
			 size_t errlen)
{
	const char *colon = strrchr(spec, ':');
	char host[64];
	size_t hl;
	in_port_t port;

	memset(addr, 0, sizeof(*addr));
	if (!colon || parse_port(colon + 1, &port))
		goto bad;
	hl = (size_t)(colon - spec);
	if (hl >= sizeof(host))
		goto bad;
	memcpy(host, spec, hl);
	host[hl] = '\0';
	if (hl > 2 && host[0] == '[' && host[hl - 1] == ']') {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)addr;

		host[hl - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, &a6->sin6_addr) != 1)
			goto bad;
		a6->sin6_family = AF_INET6;
		a6->sin6_port = port;
		*len = sizeof(*a6);
		return 0;
	}
	struct sockaddr_in *a4 = (struct sockaddr_in *)addr;

	if (strcmp(host, "localhost") == 0)
		strcpy(host, "127.0.0.1");
	if (!*host)
		a4->sin_addr.s_addr = htonl(INADDR_ANY);
	else if (inet_pton(AF_INET, host, &a4->sin_addr) != 1)
		goto bad;
	a4->sin_family = AF_INET;
	a4->sin_port = port;
	*len = sizeof(*a4);
	return 0;
bad:
	snprintf(err, errlen,
		 "bad listen address '%s' (ADDR:PORT, e.g. 127.0.0.1:9464, [::1]:9464, :9464)",
		 spec);
	return -1;
}
