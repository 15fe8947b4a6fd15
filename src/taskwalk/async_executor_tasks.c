#include "taskwalk/async_executor_tasks.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe/target_memory.h"
#include "taskwalk/type_walk.h"

/* More entries than any executor holds: past this the slab is taken as
 * read mid-change (or not a slab). */
#define MAX_ENTRIES (4u << 20)
/* A task is at most this big: larger offsets are not a TaskLayout's. */
#define MAX_TASK_SIZE (64u << 20)

struct walk_ctx {
	const struct async_task_layout *l;
	pid_t pid;
	struct task_walk *w;
	const int64_t *bias; /* NULL: unknown, so are the tasks' future types */
	struct async_task_vtables *vt;
	size_t list; /* index of the executor walked now */
};

static uint64_t read_u64(const uint8_t *buf, uint64_t off)
{
	uint64_t v;

	memcpy(&v, buf + off, sizeof(v));
	return v;
}

static uint64_t read_uint(const uint8_t *buf, uint64_t off, uint64_t size)
{
	uint64_t v = 0;

	memcpy(&v, buf + off, size); /* little-endian: x86-64 only (thread_pointers.c) */
	return v;
}

static void incomplete(struct walk_ctx *c, const char *why, uint64_t addr)
{
	struct task_walk *w = c->w;

	w->list_complete[c->list] = false;
	if (!w->complete)
		return;
	w->complete = false;
	snprintf(w->problem, sizeof(w->problem), "%s at 0x%llx", why, (unsigned long long)addr);
}

/* The vtable's run and its TaskLayout's offsets (Some: async-task always
 * fills it; None would be a vtable of another kind). */
static bool read_vtable(const struct async_task_layout *l, pid_t pid, uint64_t addr,
			struct async_task_vtable *out)
{
	uint8_t buf[256], layout[256];
	Dwarf_Die opt = l->layout_opt;
	const char *variant;
	uint64_t info;

	if (l->vtable_size > sizeof(buf) || l->layout_opt_size > sizeof(layout) ||
	    target_read_memory(pid, addr, buf, l->vtable_size))
		return false;
	out->addr = addr;
	out->run = read_u64(buf, l->run_off);
	info = read_u64(buf, l->layout_info_off);
	if (!out->run || !info || target_read_memory(pid, info, layout, l->layout_opt_size))
		return false;
	variant = type_walk_active_variant(pid, &opt, info);
	if (!variant || strcmp(variant, "Some") != 0)
		return false;
	out->offset_f = read_u64(layout, l->offset_f_off);
	out->offset_s = read_u64(layout, l->offset_s_off);
	return out->offset_f >= l->header_size && out->offset_f < MAX_TASK_SIZE &&
	       out->offset_s >= l->header_size && out->offset_s < MAX_TASK_SIZE;
}

/* F's size or, when F is a Pin<Box<…>>, its box's: Pin { Box { a
 * pointer } }, the first pointer member's pointee, found statically. */
static void future_size(struct async_task_vtable *v)
{
	struct member_query q = {.pointer = true};
	struct typed_value in = {.type = v->future_type, .addr = 0}, ptr;
	const char *n = dwarf_diename(&v->future_type);
	Dwarf_Die pointee;

	v->boxed = n && strncmp(n, "Pin<alloc::boxed::Box<", 22) == 0;
	v->future_size = 0;
	if (!v->boxed)
		v->future_size = type_walk_size(&v->future_type);
	else if (type_walk_find(0, &in, &q, &ptr) && type_walk_type_of(&ptr.type, &pointee))
		v->future_size = type_walk_size(&pointee);
}

static struct async_task_vtable *vtable_of(struct walk_ctx *c, uint64_t addr)
{
	struct async_task_vtables *vt = c->vt;
	struct async_task_vtable *v = NULL;
	size_t i;

	for (i = 0; i < vt->n && i < ASYNC_TASK_MAX_VTABLES && !v; i++)
		if (vt->v[i].addr == addr)
			v = &vt->v[i];
	if (!v) {
		/* More task types than slots: the oldest slot is reused. */
		v = &vt->v[vt->n % ASYNC_TASK_MAX_VTABLES];
		if (!read_vtable(c->l, c->pid, addr, v))
			return NULL;
		v->type_tried = v->has_type = false;
		vt->n++;
	}
	/* Its future's type: RawTask::run's DWARF, at its link-time address. */
	if (!v->type_tried && c->bias) {
		v->type_tried = true;
		v->has_type =
		    async_task_future_type(c->l, v->run - (uint64_t)*c->bias, &v->future_type);
		v->nmemo = 0;
		if (v->has_type) {
			Dwarf_Die part;

			v->memo_ok = async_task_discriminant(&v->future_type, &part, &v->discr_off,
							     &v->discr_size);
			future_size(v);
		}
	}
	return v;
}

/* Where the task's F lies: in the task, or its box. */
static void body_of(struct walk_ctx *c, const struct async_task_vtable *v, struct walked_task *t)
{
	uint64_t f = t->header + v->offset_f;

	if (!v->future_size)
		return;
	if (v->boxed) {
		struct typed_value in = {.type = v->future_type, .addr = f}, out;

		if (!type_walk_deref(c->pid, &in, &out))
			return;
		f = out.addr;
	}
	t->body = f;
	t->body_size = v->future_size;
}

/* The task's spawned future, below its F at header + offset_f: from the
 * memo of F's state when it has it (one read), else read through. */
static uint64_t future_of(struct walk_ctx *c, struct async_task_vtable *v, uint64_t header)
{
	uint64_t f = header + v->offset_f, state = 0, future = f;
	Dwarf_Die type = v->future_type;
	unsigned reads;
	size_t i;

	if (v->memo_ok) {
		if (target_read_memory(c->pid, f + v->discr_off, &state, v->discr_size))
			return 0;
		for (i = 0; i < v->nmemo; i++)
			if (v->memo_state[i] == state)
				return f + v->memo_off[i];
	}
	if (!async_task_unwrap_future(c->l, c->pid, &type, &future, &reads))
		return 0;
	/* Reached through a pointer (boxed) or another enum's state: the
	 * offset is not F's state's alone, so every task is read through. */
	if (reads != 1)
		v->memo_ok = false;
	else if (v->memo_ok && v->nmemo < ASYNC_TASK_MEMO) {
		v->memo_state[v->nmemo] = state;
		v->memo_off[v->nmemo++] = future - f;
	}
	return future;
}

static bool occupied(const struct async_task_layout *l, const uint8_t *entry)
{
	uint64_t mask = l->discr_size == 8 ? ~0ULL : (1ULL << (l->discr_size * 8)) - 1;
	uint64_t d = read_uint(entry, l->discr_off, l->discr_size);

	if (l->occupied_explicit)
		return d == (l->occupied_value & mask);
	return d != (l->vacant_value & mask);
}

struct slab_head {
	uint64_t ptr, len, slab_len;
	uint32_t lock;
};

/* The slab's entries pointer and length, its count of occupied entries and
 * its mutex's lock word, in one read (they lie within one State). */
static bool read_head(const struct async_task_layout *l, pid_t pid, uint64_t state,
		      struct slab_head *h)
{
	uint64_t offs[4] = {l->entries_ptr_off, l->entries_len_off, l->slab_len_off,
			    l->has_lock ? l->lock_off : l->slab_len_off};
	uint64_t lo = offs[0], hi = offs[0] + 8;
	uint8_t buf[512];
	size_t i;

	for (i = 1; i < 4; i++) {
		lo = offs[i] < lo ? offs[i] : lo;
		hi = offs[i] + 8 > hi ? offs[i] + 8 : hi;
	}
	if (hi - lo > sizeof(buf) || target_read_memory(pid, state + lo, buf, hi - lo))
		return false;
	h->ptr = read_u64(buf, offs[0] - lo);
	h->len = read_u64(buf, offs[1] - lo);
	h->slab_len = read_u64(buf, offs[2] - lo);
	h->lock = l->has_lock ? (uint32_t)read_uint(buf, offs[3] - lo, 4) : 0;
	return true;
}

/* One try: the entries as they were while the slab stayed the same. */
static int read_entries(const struct async_task_layout *l, pid_t pid, uint64_t state,
			uint8_t **entries, struct slab_head *h)
{
	struct slab_head after;

	if (!read_head(l, pid, state, h) || h->len > MAX_ENTRIES || h->slab_len > h->len ||
	    (h->len && !h->ptr))
		return -EFAULT;
	*entries = malloc(h->len * l->entry_size + 1);
	if (!*entries)
		return -ENOMEM;
	/* Held (a spawn or an end in progress), or changed while read (the
	 * entries may have moved): not this time. */
	if (h->lock ||
	    (h->len && target_read_memory(pid, h->ptr, *entries, h->len * l->entry_size)) ||
	    !read_head(l, pid, state, &after) || after.ptr != h->ptr || after.len != h->len ||
	    after.slab_len != h->slab_len || after.lock) {
		free(*entries);
		*entries = NULL;
		return -EAGAIN;
	}
	return 0;
}

/* The slab of executor state (an ArcInner<State>): its occupied entries'
 * task headers, malloc'd. False when it does not read as a slab, or kept
 * changing while read. */
static bool read_slab(const struct async_task_layout *l, pid_t pid, uint64_t state,
		      uint64_t **headers, size_t *count, uint64_t *slab_len)
{
	struct slab_head h = {0};
	uint8_t *entries = NULL;
	uint64_t *out;
	size_t i, n = 0;
	int tries, ret = -EAGAIN;

	for (tries = 0; tries < 5 && ret == -EAGAIN; tries++)
		ret = read_entries(l, pid, state, &entries, &h);
	if (ret)
		return false;
	out = malloc((h.len + 1) * sizeof(*out));
	if (!out) {
		free(entries);
		return false;
	}
	for (i = 0; i < h.len; i++) {
		const uint8_t *e = entries + i * l->entry_size;

		if (occupied(l, e))
			out[n++] = read_u64(e, l->waker_data_off);
	}
	free(entries);
	*headers = out;
	*count = n;
	*slab_len = h.slab_len;
	return true;
}

static int walk_executor(struct walk_ctx *c, uint64_t state)
{
	const struct async_task_layout *l = c->l;
	uint64_t *headers = NULL, slab_len = 0;
	size_t n = 0, i;
	int ret = 0;

	if (!task_walk_new_list(c->w, state, &c->list))
		return 0;
	if (!read_slab(l, c->pid, state, &headers, &n, &slab_len)) {
		incomplete(c, "executor's active-task slab unreadable (changed under the walk?)",
			   state);
		return 0;
	}
	if (n != slab_len)
		incomplete(c, "executor's active-task slab changed under the walk", state);
	for (i = 0; i < n && !ret; i++) {
		struct walked_task t = {.header = headers[i], .list = state};
		struct async_task_vtable *v;
		uint8_t buf[256];

		if (l->header_size > sizeof(buf) ||
		    target_read_memory(c->pid, t.header, buf, l->header_size) ||
		    !(v = vtable_of(c, read_u64(buf, l->vtable_off)))) {
			incomplete(c, "task freed under the walk (or unreadable)", t.header);
			continue;
		}
		t.state = read_u64(buf, l->state_off);
		t.poll_fn = v->run;
		if (v->has_type) {
			t.future = future_of(c, v, t.header);
			body_of(c, v, &t);
		}
		ret = task_walk_push(c->w, &t);
	}
	free(headers);
	return ret;
}

int async_executor_tasks_walk(const struct async_task_layout *l, pid_t pid, const int64_t *bias,
			      const uint64_t *states, size_t nstates,
			      struct async_task_vtables *vtables, struct task_walk *w)
{
	struct walk_ctx ctx = {0}, *c = &ctx;
	size_t i;
	int ret = 0;

	c->vt = vtables;
	c->l = l;
	c->pid = pid;
	c->w = w;
	c->bias = bias;
	w->runtime = TASK_WALK_ASYNC_TASK;
	w->count = w->runtimes = w->threads = 0;
	w->complete = true;
	w->problem[0] = '\0';
	for (i = 0; bias && i < l->nstatics && !ret; i++) {
		const struct executor_static *s = &l->statics[i];
		uint64_t cell = 0, state = 0;

		/* Not initialised yet: nothing spawned on it. */
		if (target_read_memory(pid, s->cell_state + (uint64_t)*bias, &cell, sizeof(cell)) ||
		    cell != ONCE_CELL_INITIALIZED ||
		    target_read_memory(pid, s->cell_value + (uint64_t)*bias, &state,
				       sizeof(state)) ||
		    !state)
			continue;
		ret = walk_executor(c, state);
	}
	for (i = 0; i < nstates && !ret; i++)
		ret = walk_executor(c, states[i]);
	return ret;
}

bool async_executor_state_of(const struct async_task_layout *l, pid_t pid, uint64_t header,
			     uint64_t *state)
{
	struct async_task_vtable v;
	uint64_t vtable;

	return l->has_schedule_state &&
	       !target_read_memory(pid, header + l->vtable_off, &vtable, sizeof(vtable)) &&
	       read_vtable(l, pid, vtable, &v) &&
	       !target_read_memory(pid, header + v.offset_s + l->schedule_state_off, state,
				   sizeof(*state)) &&
	       *state;
}

bool async_executor_holds(const struct async_task_layout *l, pid_t pid, uint64_t state,
			  uint64_t header)
{
	uint64_t *headers = NULL, slab_len;
	size_t n = 0, i;
	bool found = false;

	if (!read_slab(l, pid, state, &headers, &n, &slab_len))
		return false;
	for (i = 0; i < n && !found; i++)
		found = headers[i] == header;
	free(headers);
	return found;
}
