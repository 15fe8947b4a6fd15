#include "probe/link_release.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <bpf/libbpf.h>

/* More are destroyed in the calling thread, one after the other. */
#define MAX_RELEASE_THREADS 16

static void *destroy_one(void *link)
{
	bpf_link__destroy(link);
	return NULL;
}

void links_destroy_all(struct bpf_link **links, size_t count)
{
	pthread_t threads[MAX_RELEASE_THREADS];
	bool started[MAX_RELEASE_THREADS] = {0};
	size_t i, n = count < MAX_RELEASE_THREADS ? count : MAX_RELEASE_THREADS;

	/* The first in this thread; a thread that cannot start is no loss:
	 * its link goes here, in turn. */
	for (i = 1; i < n; i++)
		started[i] = pthread_create(&threads[i], NULL, destroy_one, links[i]) == 0;
	if (count)
		bpf_link__destroy(links[0]);
	for (i = 1; i < count; i++) {
		if (i < n && started[i])
			pthread_join(threads[i], NULL);
		else
			bpf_link__destroy(links[i]);
	}
}

struct link_release {
	pthread_t thread;
	bool started;
	atomic_bool done;
	struct bpf_link **links;
	size_t count;
};

static void *release_all(void *arg)
{
	struct link_release *r = arg;

	links_destroy_all(r->links, r->count);
	atomic_store(&r->done, true);
	return NULL;
}

struct link_release *links_release_start(struct bpf_link **links, size_t count)
{
	struct link_release *r = calloc(1, sizeof(*r));

	if (!r) {
		links_destroy_all(links, count);
		free(links);
		return NULL; /* done already */
	}
	r->links = links;
	r->count = count;
	atomic_init(&r->done, false);
	r->started = pthread_create(&r->thread, NULL, release_all, r) == 0;
	if (!r->started)
		release_all(r);
	return r;
}

bool links_release_done(struct link_release *r)
{
	return !r || atomic_load(&r->done);
}

void links_release_finish(struct link_release *r)
{
	if (!r)
		return;
	if (r->started)
		pthread_join(r->thread, NULL);
	free(r->links);
	free(r);
}
