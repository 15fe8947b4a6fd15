#include "export/metrics_server.h"

#include "export/listen_address.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct metrics_server {
	struct MHD_Daemon *daemon;
	int fd;		      /* the listening socket until the daemon takes it */
	pthread_mutex_t lock; /* text, len and scrapes: the HTTP thread reads them */
	char *text;
	size_t len;
	unsigned long scrapes;
};

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned int status, const char *body,
			     size_t len, const char *type)
{
	struct MHD_Response *r =
	    MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result serve_metrics(struct metrics_server *srv, struct MHD_Connection *conn)
{
	enum MHD_Result ret;
	static const char none[] = "cattop: no refresh yet\n";

	/* The copy is made under the lock: the main loop may replace the text
	 * right after. */
	pthread_mutex_lock(&srv->lock);
	if (srv->text) {
		srv->scrapes++;
		ret = reply(conn, MHD_HTTP_OK, srv->text, srv->len, CONTENT_TYPE);
	} else {
		ret =
		    reply(conn, MHD_HTTP_SERVICE_UNAVAILABLE, none, sizeof(none) - 1, "text/plain");
	}
	pthread_mutex_unlock(&srv->lock);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **req_cls)
{
	static const char not_found[] = "cattop serves /metrics only\n";
	static const char not_allowed[] = "GET only\n";

	(void)version;
	(void)upload;
	(void)upload_size;
	(void)req_cls;
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, not_allowed,
			     sizeof(not_allowed) - 1, "text/plain");
	if (strcmp(url, "/metrics"))
		return reply(conn, MHD_HTTP_NOT_FOUND, not_found, sizeof(not_found) - 1,
			     "text/plain");
	return serve_metrics(cls, conn);
}

static int bind_socket(const char *spec, char *err, size_t errlen)
{
	struct sockaddr_storage addr;
	socklen_t len;
	int fd, one = 1;

	if (metrics_listen_parse(spec, &addr, &len, err, errlen))
		return -1;
	fd = socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "cannot listen on %s: %s", spec, strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&addr, len) || listen(fd, 16)) {
		snprintf(err, errlen, "cannot listen on %s: %s", spec, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* libmicrohttpd's thread inherits the signal mask: it blocks the stop
 * signals, so they reach the main loop, which acts on them. */
static struct MHD_Daemon *start_daemon(struct metrics_server *srv)
{
	sigset_t stop, old;
	struct MHD_Daemon *d;

	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &stop, &old);
	/* A few connections, each timed out: a stuck scraper cannot pile up. */
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO, 0, NULL, NULL,
			     on_request, srv, MHD_OPTION_LISTEN_SOCKET, srv->fd,
			     MHD_OPTION_CONNECTION_LIMIT, (unsigned int)16,
			     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)10, MHD_OPTION_END);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return d;
}

struct metrics_server *metrics_server_open(const char *spec, char *err, size_t errlen)
{
	struct metrics_server *srv = calloc(1, sizeof(*srv));

	if (!srv) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&srv->lock, NULL);
	srv->fd = bind_socket(spec, err, errlen);
	if (srv->fd < 0) {
		pthread_mutex_destroy(&srv->lock);
		free(srv);
		return NULL;
	}
	srv->daemon = start_daemon(srv);
	if (!srv->daemon) {
		snprintf(err, errlen, "cannot serve metrics on %s: libmicrohttpd did not start",
			 spec);
		close(srv->fd);
		pthread_mutex_destroy(&srv->lock);
		free(srv);
		return NULL;
	}
	srv->fd = -1; /* the daemon's now: MHD_stop_daemon closes it */
	return srv;
}

void metrics_server_publish(struct metrics_server *srv, char *text, size_t len)
{
	char *old;

	pthread_mutex_lock(&srv->lock);
	old = srv->text;
	srv->text = text;
	srv->len = len;
	pthread_mutex_unlock(&srv->lock);
	free(old);
}

unsigned long metrics_server_scrapes(struct metrics_server *srv)
{
	unsigned long n;

	pthread_mutex_lock(&srv->lock);
	n = srv->scrapes;
	pthread_mutex_unlock(&srv->lock);
	return n;
}

void metrics_server_close(struct metrics_server *srv)
{
	if (!srv)
		return;
	MHD_stop_daemon(srv->daemon);
	pthread_mutex_destroy(&srv->lock);
	free(srv->text);
	free(srv);
}
