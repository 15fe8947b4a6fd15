#include "recording/recorder.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <linux/types.h>

#include "bpf/poll_trace.h"
#include "probe/site_table.h"
#include "util/output_target.h"
#include "util/u64_map.h"

#define IO_BUFFER (1 << 20)

/* Events are written in chunks of this many (128 KiB). */
#define EVENTS_PER_CHUNK 4096

struct recorder {
	FILE *file;
	char *path;
	uint64_t max_bytes;
	uint64_t bytes;
	uint64_t events;
	bool full;
	bool created; /* a regular file of ours, not stdout or a device */
	int error;
	uint64_t flushed; /* bytes known to be on disk */
	char *iobuf;
	struct u64_map named_threads; /* tid -> (void *)1 */
	size_t pending;
	struct poll_event buf[EVENTS_PER_CHUNK];
};

/* A chunk's payload under construction. */
struct payload {
	uint8_t data[4096];
	size_t len;
	bool overflow;
};

static void put(struct payload *p, const void *src, size_t n)
{
	if (p->len + n > sizeof(p->data)) {
		p->overflow = true;
		return;
	}
	memcpy(p->data + p->len, src, n);
	p->len += n;
}

static void put_string(struct payload *p, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	uint16_t len = n > 1024 ? 1024 : (uint16_t)n;

	put(p, &len, sizeof(len));
	put(p, s ? s : "", len);
}

static void write_raw(struct recorder *r, const void *data, size_t n)
{
	if (r->error || n == 0)
		return;
	errno = 0;
	if (fwrite(data, 1, n, r->file) != n)
		r->error = errno ? errno : EIO;
	r->bytes += n;
}

static void write_chunk(struct recorder *r, uint32_t type, const void *payload, size_t n)
{
	struct recording_chunk_header h = {type, (uint32_t)n};

	write_raw(r, &h, sizeof(h));
	write_raw(r, payload, n);
}

static void write_payload(struct recorder *r, uint32_t type, const struct payload *p)
{
	if (!p->overflow)
		write_chunk(r, type, p->data, p->len);
}

static void flush_events(struct recorder *r)
{
	if (!r->pending)
		return;
	write_chunk(r, CHUNK_EVENTS, r->buf, r->pending * sizeof(r->buf[0]));
	r->events += r->pending;
	r->pending = 0;
	if (r->max_bytes && r->bytes >= r->max_bytes)
		r->full = true;
}

static void write_info(struct recorder *r, const struct recording_meta *m)
{
	struct timespec now_real, now_mono;
	struct recording_info_fixed f = {0};
	struct payload p = {.len = 0};

	clock_gettime(CLOCK_REALTIME, &now_real);
	clock_gettime(CLOCK_MONOTONIC, &now_mono);
	f.started_ns = m->started_ns;
	f.returns_ready_at = m->returns_ready_at;
	/* Wall-clock time of started_ns, for the viewer's header. */
	f.realtime_ns =
	    (uint64_t)now_real.tv_sec * 1000000000ULL + now_real.tv_nsec -
	    ((uint64_t)now_mono.tv_sec * 1000000000ULL + now_mono.tv_nsec - m->started_ns);
	f.threshold_ns = m->threshold_ns;
	f.attach_ns = m->attach_ns;
	f.pid = (uint32_t)m->pid;
	f.site_count = (uint32_t)m->sites->count;
	f.attached_sites = (uint32_t)m->attached_sites;
	f.rejected_sites = (uint32_t)m->rejected_sites;
	f.flags = m->flags;
	put(&p, &f, sizeof(f));
	put_string(&p, m->exe);
	put_string(&p, m->comm);
	put_string(&p, m->runtime);
	put_string(&p, m->app_crate);
	if (m->flags & RECORDING_CODE_BIAS)
		put(&p, &m->code_bias, sizeof(m->code_bias));
	write_payload(r, CHUNK_INFO, &p);
}

static void write_site(struct recorder *r, const struct site *s, uint32_t id)
{
	struct recording_site_fixed f = {.id = id,
					 .role = (uint8_t)s->role,
					 .kind = (uint8_t)s->kind,
					 .app = s->app,
					 .flags = s->single_step ? SITE_SINGLE_STEP : 0,
					 .addr = s->addr};
	struct payload p = {.len = 0};

	put(&p, &f, sizeof(f));
	put_string(&p, s->crate);
	put_string(&p, s->path);
	put_string(&p, s->name);
	put_string(&p, s->location);
	put(&p, &s->size, sizeof(s->size));
	write_payload(r, CHUNK_SITE, &p);
}

/* A name that is already taken is reused only when it is a regular file
 * of ours: unlinked (a planted symlink never gets here: output_target
 * refuses one to a regular file and writes to a device as it is), then
 * created anew with O_EXCL | O_NOFOLLOW. */
static int create_regular(const char *path, char *err, size_t errlen)
{
	struct stat st;
	int fd = -1, tries;

	for (tries = 0; fd < 0 && tries < 2; tries++) {
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0 || errno != EEXIST || tries > 0 || lstat(path, &st))
			break;
		if (!S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
			snprintf(err, errlen,
				 "cannot create %s: it exists and is not a file of uid %u (cattop "
				 "replaces only its own): remove it or choose another name",
				 path, (unsigned int)geteuid());
			return -EEXIST;
		}
		if (unlink(path))
			break;
	}
	if (fd < 0) {
		int e = errno;

		snprintf(err, errlen, "cannot create %s: %s", path, strerror(e));
		return -e;
	}
	return fd;
}

/* The recording is written in place, so a cattop killed mid-way leaves a
 * readable file under its name; or to stdout, a FIFO, a device as it is. */
static int create_file(struct recorder *r, const char *path, char *err, size_t errlen)
{
	struct output_target target;
	int fd, ret = output_target_open(path, true, &target, err, errlen);

	if (ret)
		return ret;
	fd = target.stream ? target.fd : create_regular(path, err, errlen);
	if (fd < 0)
		return fd;
	r->created = !target.stream;
	r->file = fd == STDOUT_FILENO ? stdout : fdopen(fd, "w");
	r->path = strdup(path);
	if (!r->file || !r->path) {
		if (r->file && r->file != stdout)
			fclose(r->file);
		else if (!r->file)
			close(fd);
		free(r->path);
		if (r->created)
			unlink(path);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	/* glibc ignores the size without a buffer of ours (not for stdout,
	 * which outlives the recorder). */
	r->iobuf = r->file != stdout ? malloc(IO_BUFFER) : NULL;
	if (r->iobuf)
		setvbuf(r->file, r->iobuf, _IOFBF, IO_BUFFER);
	return 0;
}

int recorder_open(struct recorder **out, const char *path, uint64_t max_bytes,
		  const struct recording_meta *meta, char *err, size_t errlen)
{
	struct recording_file_header h = {.version = RECORDING_VERSION};
	struct recorder *r = calloc(1, sizeof(*r));
	size_t i;
	int ret;

	snprintf(err, errlen, "out of memory");
	if (!r)
		return -ENOMEM;
	r->max_bytes = max_bytes;
	ret = create_file(r, path, err, errlen);
	if (ret) {
		free(r);
		return ret;
	}
	memcpy(h.magic, RECORDING_MAGIC, sizeof(h.magic));
	write_raw(r, &h, sizeof(h));
	write_info(r, meta);
	for (i = 0; i < meta->sites->count; i++)
		write_site(r, &meta->sites->sites[i], (uint32_t)i);
	*out = r;
	return 0;
}

void recorder_event(struct recorder *r, const struct poll_event *ev)
{
	if (r->full)
		return;
	r->buf[r->pending++] = *ev;
	if (r->pending == EVENTS_PER_CHUNK)
		flush_events(r);
}

void recorder_stuck_task(struct recorder *r, uint64_t ts, uint64_t since, uint32_t tid,
			 const uint32_t *sites, size_t count)
{
	struct recording_stuck st = {ts, since, tid, 0};
	struct recording_chunk_header h = {CHUNK_STUCK, sizeof(st)};

	if (r->full)
		return;
	if (count > RECORDING_MAX_STUCK_SITES)
		count = RECORDING_MAX_STUCK_SITES;
	st.site_count = (uint32_t)count;
	h.bytes += (uint32_t)(count * sizeof(*sites));
	flush_events(r);
	write_raw(r, &h, sizeof(h));
	write_raw(r, &st, sizeof(st));
	write_raw(r, sites, count * sizeof(*sites));
}

void recorder_stuck_end(struct recorder *r, uint64_t ts, uint32_t tid)
{
	struct recording_stuck_end e = {ts, tid, 0};

	if (r->full)
		return;
	flush_events(r);
	write_chunk(r, CHUNK_STUCK_END, &e, sizeof(e));
}

void recorder_tick(struct recorder *r, uint64_t ts, uint64_t events_lost, bool model_tick,
		   const uint32_t *dead, size_t ndead)
{
	struct recording_tick t = {ts, events_lost, 0, model_tick ? TICK_MODEL : 0};
	struct recording_chunk_header h = {CHUNK_TICK, sizeof(t)};

	flush_events(r);
	if (!model_tick)
		ndead = 0;
	t.dead_threads = (uint32_t)ndead;
	h.bytes += (uint32_t)(ndead * sizeof(*dead));
	write_raw(r, &h, sizeof(h));
	write_raw(r, &t, sizeof(t));
	write_raw(r, dead, ndead * sizeof(*dead));
	/* On disk at every tick: a killed cattop leaves a readable file. */
	errno = 0;
	if (!r->error && fflush(r->file))
		r->error = errno ? errno : EIO;
	if (!r->error)
		r->flushed = r->bytes;
}

void recorder_walk(struct recorder *r, uint64_t ts, const struct recording_walked_task *tasks,
		   size_t n, const struct recording_walk_list *lists, size_t nlists)
{
	size_t max = (RECORDING_MAX_CHUNK / 2) / sizeof(*tasks);
	struct recording_walk w = {ts, 0, 0};
	struct recording_chunk_header h = {CHUNK_WALK, sizeof(w)};

	if (r->full || nlists > 1024)
		return;
	flush_events(r);
	/* More tasks than a chunk holds: the rest is not recorded (the replay
	 * then lists fewer tasks, never ends one that was not). */
	if (n > max)
		n = max;
	w.count = (uint32_t)n;
	w.nlists = (uint32_t)nlists;
	h.bytes += (uint32_t)(n * sizeof(*tasks) + nlists * sizeof(*lists));
	write_raw(r, &h, sizeof(h));
	write_raw(r, &w, sizeof(w));
	write_raw(r, tasks, n * sizeof(*tasks));
	write_raw(r, lists, nlists * sizeof(*lists));
}

void recorder_thread(struct recorder *r, uint32_t tid, const char *name)
{
	struct payload p = {.len = 0};

	if (u64_map_get(&r->named_threads, tid) || u64_map_put(&r->named_threads, tid, (void *)1))
		return;
	put(&p, &tid, sizeof(tid));
	put_string(&p, name);
	write_payload(r, CHUNK_THREAD, &p);
}

bool recorder_has_thread(const struct recorder *r, uint32_t tid)
{
	return u64_map_get(&r->named_threads, tid) != NULL;
}

bool recorder_full(const struct recorder *r)
{
	return r->full;
}

int recorder_error(const struct recorder *r)
{
	return r->error;
}

uint64_t recorder_bytes(const struct recorder *r)
{
	return r->bytes;
}

uint64_t recorder_events(const struct recorder *r)
{
	return r->events + r->pending;
}

const char *recorder_path(const struct recorder *r)
{
	return r->path;
}

int recorder_close(struct recorder *r, uint64_t ts, uint64_t events_lost,
		   enum recording_end_reason reason, char *err, size_t errlen)
{
	struct recording_end e = {ts, events_lost, (uint32_t)reason, 0};
	int ret;

	flush_events(r);
	write_chunk(r, CHUNK_END, &e, sizeof(e));
	errno = 0;
	if (fflush(r->file) && !r->error)
		r->error = errno ? errno : EIO;
	if (!r->error && r->created && fsync(fileno(r->file)))
		r->error = errno;
	if (r->file != stdout && fclose(r->file) && !r->error)
		r->error = errno ? errno : EIO;
	ret = -r->error;
	/* Even after a write error what was written is a readable recording,
	 * unless not even its sites made it to the disk. */
	if (ret) {
		snprintf(err, errlen, "writing %s: %s", r->path, strerror(r->error));
		if (!r->flushed && r->created)
			unlink(r->path);
	}
	free(r->iobuf);
	u64_map_free(&r->named_threads);
	free(r->path);
	free(r);
	return ret;
}
