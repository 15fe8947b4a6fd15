#include "taskwalk/thread_pointers.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/types.h>

#include "bpf/thread_fsbase.h"
#include "thread_fsbase.skel.h"

struct thread_pointers {
	struct thread_fsbase_bpf *skel;
	struct bpf_link *link;
};

int thread_pointers_open(pid_t pid, struct thread_pointers **out, char *err, size_t errlen)
{
	struct thread_pointers *tp;
	int ret;

#if !defined(__x86_64__)
	(void)pid;
	(void)out;
	snprintf(err, errlen, "reading threads' TLS blocks is only implemented on x86-64");
	return -ENOTSUP;
#endif
	tp = calloc(1, sizeof(*tp));
	if (!tp)
		return -ENOMEM;
	tp->skel = thread_fsbase_bpf__open();
	if (!tp->skel) {
		ret = -errno;
		snprintf(err, errlen, "cannot open the thread iterator: %s", strerror(errno));
		goto fail;
	}
	tp->skel->rodata->target_tgid = (__u32)pid;
	ret = thread_fsbase_bpf__load(tp->skel);
	if (ret) {
		snprintf(err, errlen, "cannot load the thread iterator (needs kernel BTF): %s",
			 strerror(-ret));
		goto fail;
	}
	tp->link = bpf_program__attach_iter(tp->skel->progs.thread_fsbase, NULL);
	if (!tp->link) {
		ret = -errno;
		snprintf(err, errlen, "cannot attach the thread iterator: %s", strerror(errno));
		goto fail;
	}
	*out = tp;
	return 0;
fail:
	thread_pointers_close(tp);
	return ret;
}

int thread_pointers_read(struct thread_pointers *tp, struct thread_pointer **out, size_t *count)
{
	struct thread_pointer *list = NULL, *grown;
	struct thread_fsbase rec;
	size_t n = 0, cap = 0;
	ssize_t got;
	int fd, ret = 0;

	fd = bpf_iter_create(bpf_link__fd(tp->link));
	if (fd < 0)
		return -errno;
	/* Each record is written whole by one bpf_seq_write. */
	while ((got = read(fd, &rec, sizeof(rec))) == sizeof(rec)) {
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			grown = realloc(list, cap * sizeof(*list));
			if (!grown) {
				ret = -ENOMEM;
				goto cleanup;
			}
			list = grown;
		}
		list[n++] = (struct thread_pointer){rec.tid, rec.fsbase};
	}
	if (got < 0)
		ret = -errno;
cleanup:
	close(fd);
	if (ret) {
		free(list);
		return ret;
	}
	*out = list;
	*count = n;
	return 0;
}

void thread_pointers_close(struct thread_pointers *tp)
{
	if (!tp)
		return;
	bpf_link__destroy(tp->link);
	thread_fsbase_bpf__destroy(tp->skel);
	free(tp);
}
