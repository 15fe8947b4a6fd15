#include "recording/recording_reader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/types.h>

#include "bpf/poll_trace.h"

/* More sites than any binary has: a corrupt count, not a big program. */
#define MAX_SITES (1U << 22)

struct reader {
	const uint8_t *p, *end;
	bool bad;
};

static const void *take(struct reader *r, size_t n)
{
	const uint8_t *at = r->p;

	if (r->bad || (size_t)(r->end - r->p) < n) {
		r->bad = true;
		return NULL;
	}
	r->p += n;
	return at;
}

static bool take_into(struct reader *r, void *dst, size_t n)
{
	const void *src = take(r, n);

	if (src)
		memcpy(dst, src, n);
	return src != NULL;
}

/* A u16-prefixed string, as a malloc'd C string (NUL bytes cut it short). */
static char *take_string(struct reader *r)
{
	uint16_t len = 0;
	const char *src;
	char *s;

	if (!take_into(r, &len, sizeof(len)))
		return NULL;
	src = take(r, len);
	if (!src)
		return NULL;
	s = strndup(src, len);
	if (!s)
		r->bad = true;
	return s;
}

struct parse {
	struct recording *rec;
	size_t sites_read;
	size_t chunk_cap;
	char *err;
	size_t errlen;
	size_t offset; /* of the chunk being read */
};

static int corrupt(struct parse *ps, const char *what)
{
	snprintf(ps->err, ps->errlen, "corrupt recording at byte %zu: %s", ps->offset, what);
	return -EINVAL;
}

static int read_info(struct parse *ps, struct reader *r)
{
	struct recording *rec = ps->rec;
	char *runtime;

	if (rec->sites.sites || rec->exe)
		return corrupt(ps, "a second header chunk");
	if (!take_into(r, &rec->info, sizeof(rec->info)))
		return corrupt(ps, "short header chunk");
	rec->exe = take_string(r);
	rec->comm = take_string(r);
	runtime = take_string(r);
	rec->app_crate = take_string(r);
	if (rec->info.flags & RECORDING_CODE_BIAS)
		take_into(r, &rec->code_bias, sizeof(rec->code_bias));
	if (r->bad) {
		free(runtime);
		return corrupt(ps, "short header chunk");
	}
	snprintf(rec->runtime.name, sizeof(rec->runtime.name), "%s", runtime);
	free(runtime);
	snprintf(rec->sites.app_crate, sizeof(rec->sites.app_crate), "%s", rec->app_crate);
	rec->sites.runtime = &rec->runtime;
	rec->sites.dwarf_used = rec->info.flags & RECORDING_DWARF;
	if (rec->info.site_count == 0 || rec->info.site_count > MAX_SITES)
		return corrupt(ps, "bad site count");
	rec->sites.sites = calloc(rec->info.site_count, sizeof(struct site));
	if (!rec->sites.sites)
		return -ENOMEM;
	rec->sites.capacity = rec->info.site_count;
	rec->end_ts = rec->info.started_ns;
	return 0;
}

static int read_site(struct parse *ps, struct reader *r)
{
	struct recording *rec = ps->rec;
	struct recording_site_fixed f;
	struct site *s;
	char *crate;

	if (!rec->sites.sites)
		return corrupt(ps, "a site before the header");
	if (!take_into(r, &f, sizeof(f)))
		return corrupt(ps, "short site chunk");
	if (f.id != ps->sites_read || f.id >= rec->info.site_count)
		return corrupt(ps, "site out of order");
	if (f.role > SITE_WAKE_DEFERRER || f.kind > FUTURE_USER_FUTURE)
		return corrupt(ps, "unknown site role or kind");
	s = &rec->sites.sites[f.id];
	s->role = f.role;
	s->kind = f.kind;
	s->app = f.app;
	s->single_step = f.flags & SITE_SINGLE_STEP;
	s->addr = f.addr;
	crate = take_string(r);
	s->path = take_string(r);
	s->name = take_string(r);
	s->location = take_string(r);
	if (r->p < r->end) /* version 3 on */
		take_into(r, &s->size, sizeof(s->size));
	rec->sites.count = ++ps->sites_read; /* so site_table_free frees it all */
	if (crate)
		snprintf(s->crate, sizeof(s->crate), "%s", crate);
	free(crate);
	if (r->bad || !s->name || !s->path)
		return corrupt(ps, "short site chunk");
	if (s->location && !s->location[0]) {
		free(s->location);
		s->location = NULL;
	}
	return 0;
}

static int add_chunk(struct parse *ps, uint32_t type, uint32_t bytes, const uint8_t *payload)
{
	struct recording *rec = ps->rec;

	if (rec->chunk_count == ps->chunk_cap) {
		size_t cap = ps->chunk_cap ? ps->chunk_cap * 2 : 256;
		void *p = realloc(rec->chunks, cap * sizeof(*rec->chunks));

		if (!p)
			return -ENOMEM;
		rec->chunks = p;
		ps->chunk_cap = cap;
	}
	rec->chunks[rec->chunk_count++] =
	    (struct recording_chunk){.type = type, .bytes = bytes, .payload = payload};
	return 0;
}

static int read_events(struct parse *ps, const uint8_t *payload, uint32_t bytes)
{
	struct recording *rec = ps->rec;

	if (ps->sites_read != rec->info.site_count || !rec->sites.sites)
		return corrupt(ps, "events before the site table");
	if (bytes % rec->event_size || !bytes)
		return corrupt(ps, "events chunk of a partial event");
	rec->events += bytes / rec->event_size;
	return add_chunk(ps, CHUNK_EVENTS, bytes, payload);
}

static int read_tick(struct parse *ps, const uint8_t *payload, uint32_t bytes)
{
	struct recording_tick t;

	if (!ps->rec->sites.sites)
		return corrupt(ps, "a tick before the header");
	if (bytes < sizeof(t))
		return corrupt(ps, "short tick chunk");
	memcpy(&t, payload, sizeof(t));
	if (bytes != sizeof(t) + (uint64_t)t.dead_threads * sizeof(uint32_t))
		return corrupt(ps, "tick chunk of the wrong size");
	if (t.ts > ps->rec->end_ts)
		ps->rec->end_ts = t.ts;
	ps->rec->events_lost = t.events_lost;
	return add_chunk(ps, CHUNK_TICK, bytes, payload);
}

static int read_stuck(struct parse *ps, const uint8_t *payload, uint32_t bytes)
{
	struct recording_stuck st;
	uint32_t i, site;

	if (ps->sites_read != ps->rec->info.site_count || !ps->rec->sites.sites)
		return corrupt(ps, "a stuck poll before the site table");
	if (bytes < sizeof(st))
		return corrupt(ps, "short stuck-poll chunk");
	memcpy(&st, payload, sizeof(st));
	if (st.site_count > RECORDING_MAX_STUCK_SITES ||
	    bytes != sizeof(st) + st.site_count * sizeof(uint32_t))
		return corrupt(ps, "stuck-poll chunk of the wrong size");
	for (i = 0; i < st.site_count; i++) {
		memcpy(&site, payload + sizeof(st) + i * sizeof(site), sizeof(site));
		if (site >= ps->rec->info.site_count)
			return corrupt(ps, "stuck poll in an unknown site");
	}
	return add_chunk(ps, CHUNK_STUCK, bytes, payload);
}

static int read_stuck_end(struct parse *ps, const uint8_t *payload, uint32_t bytes)
{
	if (!ps->rec->sites.sites)
		return corrupt(ps, "a stuck poll's end before the header");
	if (bytes != sizeof(struct recording_stuck_end))
		return corrupt(ps, "stuck-poll end chunk of the wrong size");
	return add_chunk(ps, CHUNK_STUCK_END, bytes, payload);
}

static int read_walk(struct parse *ps, const uint8_t *payload, uint32_t bytes)
{
	struct recording_walk w;

	if (!ps->rec->sites.sites)
		return corrupt(ps, "a walk before the header");
	if (bytes < sizeof(w))
		return corrupt(ps, "short walk chunk");
	memcpy(&w, payload, sizeof(w));
	if (bytes != sizeof(w) + (uint64_t)w.count * sizeof(struct recording_walked_task) +
			 (uint64_t)w.nlists * sizeof(struct recording_walk_list))
		return corrupt(ps, "walk chunk of the wrong size");
	return add_chunk(ps, CHUNK_WALK, bytes, payload);
}

static int read_thread(struct parse *ps, struct reader *r)
{
	uint32_t tid;
	char *name;

	if (!take_into(r, &tid, sizeof(tid)) || !(name = take_string(r)))
		return corrupt(ps, "short thread chunk");
	free(u64_map_remove(&ps->rec->thread_names, tid));
	if (u64_map_put(&ps->rec->thread_names, tid, name)) {
		free(name);
		return -ENOMEM;
	}
	return 0;
}

static int read_end(struct parse *ps, const uint8_t *payload, uint32_t bytes)
{
	struct recording *rec = ps->rec;
	struct recording_end e;

	if (bytes < sizeof(e))
		return corrupt(ps, "short end chunk");
	memcpy(&e, payload, sizeof(e));
	rec->ended = true;
	rec->end_reason = e.reason <= END_TARGET_EXITED ? e.reason : END_STOPPED;
	rec->events_lost = e.events_lost;
	if (e.ts > rec->end_ts)
		rec->end_ts = e.ts;
	return 0;
}

static int read_chunk(struct parse *ps, uint32_t type, const uint8_t *payload, uint32_t bytes)
{
	struct reader r = {payload, payload + bytes, false};

	switch (type) {
	case CHUNK_INFO:
		return read_info(ps, &r);
	case CHUNK_SITE:
		return read_site(ps, &r);
	case CHUNK_EVENTS:
		return read_events(ps, payload, bytes);
	case CHUNK_TICK:
		return read_tick(ps, payload, bytes);
	case CHUNK_THREAD:
		return read_thread(ps, &r);
	case CHUNK_END:
		return read_end(ps, payload, bytes);
	case CHUNK_STUCK:
		return read_stuck(ps, payload, bytes);
	case CHUNK_STUCK_END:
		return read_stuck_end(ps, payload, bytes);
	case CHUNK_WALK:
		return read_walk(ps, payload, bytes);
	default:
		return 0; /* from a newer cattop: skipped */
	}
}

/* Events precede the tick that drained them: a replay feeds them once its
 * clock reaches that tick. */
static void index_times(struct recording *rec)
{
	uint64_t next = rec->end_ts;
	size_t i;

	for (i = rec->chunk_count; i-- > 0;) {
		struct recording_chunk *c = &rec->chunks[i];

		if (c->type == CHUNK_TICK) {
			struct recording_tick t;

			memcpy(&t, c->payload, sizeof(t));
			next = t.ts;
		}
		c->until = next;
	}
}

static int read_chunks(struct parse *ps, const uint8_t *data, size_t size)
{
	struct recording *rec = ps->rec;
	size_t off = sizeof(struct recording_file_header);
	int ret = 0;

	while (!ret && !rec->ended && off < size) {
		struct recording_chunk_header h;

		ps->offset = off;
		if (size - off < sizeof(h))
			break;
		memcpy(&h, data + off, sizeof(h));
		if (h.bytes > RECORDING_MAX_CHUNK)
			return corrupt(ps, "impossibly large chunk");
		if (size - off - sizeof(h) < h.bytes)
			break;
		ret = read_chunk(ps, h.type, data + off + sizeof(h), h.bytes);
		off += sizeof(h) + h.bytes;
	}
	if (!ret && !rec->ended && off < size) {
		rec->truncated = true;
		rec->truncated_at = off;
	}
	if (!ret && !rec->ended && off >= size && !rec->truncated) {
		rec->truncated = true; /* no end chunk: cattop died mid-recording */
		rec->truncated_at = off;
	}
	return ret;
}

int recording_parse(const void *data, size_t size, struct recording *rec, char *err, size_t errlen)
{
	struct parse ps = {.rec = rec, .err = err, .errlen = errlen};
	struct recording_file_header h;
	int ret;

	memset(rec, 0, sizeof(*rec));
	if (size < sizeof(h) || memcmp(data, RECORDING_MAGIC, 8)) {
		snprintf(err, errlen, "not a cattop recording");
		return -EINVAL;
	}
	memcpy(&h, data, sizeof(h));
	if (h.version < RECORDING_OLDEST_VERSION || h.version > RECORDING_VERSION) {
		snprintf(err, errlen, "recording format version %u, this cattop reads %u to %u",
			 h.version, RECORDING_OLDEST_VERSION, RECORDING_VERSION);
		return -EINVAL;
	}
	rec->event_size = h.version == 2   ? POLL_EVENT_V2_SIZE
			  : h.version == 3 ? POLL_EVENT_V3_SIZE
					   : sizeof(struct poll_event);
	ret = read_chunks(&ps, data, size);
	if (!ret && (!rec->sites.sites || ps.sites_read != rec->info.site_count)) {
		snprintf(err, errlen, "recording cut short before its site table: nothing to read");
		ret = -EINVAL;
	}
	if (ret == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	if (ret) {
		recording_free(rec);
		return ret;
	}
	index_times(rec);
	return 0;
}

int recording_load(const char *path, struct recording *rec, char *err, size_t errlen)
{
	char why[256];
	struct stat st;
	void *map;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
		if (fd >= 0)
			close(fd);
		return ret;
	}
	if (!S_ISREG(st.st_mode) || st.st_size == 0) {
		close(fd);
		snprintf(err, errlen, "%s: not a cattop recording", path);
		return -EINVAL;
	}
	map = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
		return ret;
	}
	ret = recording_parse(map, st.st_size, rec, why, sizeof(why));
	if (ret) {
		munmap(map, st.st_size);
		snprintf(err, errlen, "%s: %s", path, why);
		return ret;
	}
	rec->map = map;
	rec->size = st.st_size;
	return 0;
}

void recording_free(struct recording *rec)
{
	size_t i;

	for (i = 0; rec->thread_names.slots && i <= rec->thread_names.mask; i++)
		free(rec->thread_names.slots[i].value);
	u64_map_free(&rec->thread_names);
	site_table_free(&rec->sites);
	free(rec->chunks);
	free(rec->exe);
	free(rec->comm);
	free(rec->app_crate);
	if (rec->map)
		munmap(rec->map, rec->size);
	memset(rec, 0, sizeof(*rec));
}

const char *recording_thread_name(const struct recording *rec, uint32_t tid)
{
	const char *name = u64_map_get(&rec->thread_names, tid);

	return name ? name : "";
}
