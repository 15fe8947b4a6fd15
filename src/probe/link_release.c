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

/* Destroys those of links[0..count) whose returns[i] is which, at once. */
static void destroy_group(struct bpf_link **links, const bool *returns, size_t count, bool which)
{
	pthread_t threads[MAX_RELEASE_THREADS];
	struct bpf_link *mine = NULL;
	size_t i, started = 0;

	/* The first here; one that gets no thread (or past the last thread)
	 * goes here too, in turn. */
	for (i = 0; i < count; i++) {
		if (returns[i] != which)
			continue;
		if (!mine)
			mine = links[i];
		else if (started < MAX_RELEASE_THREADS &&
			 !pthread_create(&threads[started], NULL, destroy_one, links[i]))
			started++;
		else
			bpf_link__destroy(links[i]);
	}
	bpf_link__destroy(mine);
	while (started)
		pthread_join(threads[--started], NULL);
}

void links_destroy_all(struct bpf_link **links, const bool *returns, size_t count)
{
	/* Return probes out before entry probes: a poll entered after its
	 * entry probe went, whose return was still probed, would show as a
	 * return nobody entered. The other way round a poll is entered and
	 * never returns, which the tracker expects of any poll at a detach. */
	destroy_group(links, returns, count, true);
	destroy_group(links, returns, count, false);
}

struct link_release {
	pthread_t thread;
	bool started;
	atomic_bool done;
	struct bpf_link **links;
	bool *returns;
	size_t count;
};

static void *release_all(void *arg)
{
	struct link_release *r = arg;

	links_destroy_all(r->links, r->returns, r->count);
	atomic_store(&r->done, true);
	return NULL;
}

struct link_release *links_release_start(struct bpf_link **links, bool *returns, size_t count)
{
	struct link_release *r = calloc(1, sizeof(*r));

	if (!r) {
		links_destroy_all(links, returns, count);
		free(links);
		free(returns);
		return NULL; /* done already */
	}
	r->links = links;
	r->returns = returns;
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
	free(r->returns);
	free(r);
}
