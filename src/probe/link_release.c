#include "probe/link_release.h"

#include <pthread.h>
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
