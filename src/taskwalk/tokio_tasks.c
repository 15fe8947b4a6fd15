#include "taskwalk/tokio_tasks.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "probe/target_memory.h"
#include "taskwalk/type_walk.h"
#include "util/u64_map.h"

/* More tasks than any list holds: past this the list is taken as corrupt
 * (a loop the visited check has not caught yet). */
#define MAX_TASKS   (16u << 20)
#define MAX_VTABLES 128
/* A Cell<T, S> is at most this big: larger offsets are not a vtable's. */
#define MAX_TASK_SIZE (64u << 20)

struct vtable_info {
	uint64_t addr, poll, trailer_offset, id_offset;
};

struct walk_ctx {
	const struct tokio_layout *l;
	pid_t pid;
	struct task_walk *w;
	struct vtable_info vtables[MAX_VTABLES];
	size_t nvtables;
	const struct vtable_info *guess; /* the last task's vtable */
	size_t list;			 /* index of the list walked now */
};

/* The list walked now ends here: its tasks not read are not gone. */
static void incomplete(struct walk_ctx *c, const char *why, uint64_t addr)
{
	struct task_walk *w = c->w;

	w->list_complete[c->list] = false;
	if (!w->complete)
		return;
	w->complete = false;
	snprintf(w->problem, sizeof(w->problem), "%s at 0x%llx", why, (unsigned long long)addr);
}

static uint64_t read_u64(const uint8_t *buf, uint64_t off)
{
	uint64_t v;

	memcpy(&v, buf + off, sizeof(v));
	return v;
}

static const struct vtable_info *vtable_of(struct walk_ctx *c, uint64_t addr)
{
	const struct tokio_layout *l = c->l;
	struct vtable_info *v, read;
	uint8_t buf[256];
	size_t i;

	for (i = 0; i < c->nvtables && i < MAX_VTABLES; i++)
		if (c->vtables[i].addr == addr)
			return &c->vtables[i];
	if (l->vtable_size > sizeof(buf) || target_read_memory(c->pid, addr, buf, l->vtable_size))
		return NULL;
	read.addr = addr;
	read.poll = read_u64(buf, l->poll_off);
	read.trailer_offset = read_u64(buf, l->trailer_offset_off);
	read.id_offset = l->has_id_offset ? read_u64(buf, l->id_offset_off) : 0;
	if (!read.poll || read.trailer_offset < l->header_size ||
	    read.trailer_offset > MAX_TASK_SIZE || read.id_offset > read.trailer_offset)
		return NULL;
	/* More task types than slots: the oldest slot is reused. */
	v = &c->vtables[c->nvtables % MAX_VTABLES];
	if (c->guess == v)
		c->guess = NULL;
	*v = read;
	c->nvtables++;
	return v;
}

/* Reads n (remote address, length) pieces in one process_vm_readv: true
 * when all were read. */
static bool read_pieces(pid_t pid, struct iovec *local, const uint64_t *remote_addr, size_t n)
{
	struct iovec remote[3];
	size_t i, want = 0;

	for (i = 0; i < n; i++) {
		remote[i].iov_base = (void *)(uintptr_t)remote_addr[i];
		remote[i].iov_len = local[i].iov_len;
		want += local[i].iov_len;
	}
	return process_vm_readv(pid, local, n, remote, n, 0) == (ssize_t)want;
}

/* The task's id and next header, at the offsets vtable v gives. */
static bool read_id_next(struct walk_ctx *c, uint64_t header, const struct vtable_info *v,
			 uint64_t *id, uint64_t *next)
{
	struct iovec local[2] = {{next, sizeof(*next)}, {id, sizeof(*id)}};
	uint64_t remote[2] = {header + v->trailer_offset + c->l->next_off, header + v->id_offset};

	*id = 0;
	return read_pieces(c->pid, local, remote, c->l->has_id_offset ? 2 : 1);
}

/* One task: its header, vtable, id and the next header. A list holds few
 * task types, so the previous task's vtable is guessed: the header, id and
 * next pointer then come in one read, and a second read only follows when
 * the header names another vtable (10,000 tasks: 10,000 system calls). */
static bool read_task(struct walk_ctx *c, uint64_t header, uint64_t list_id, struct walked_task *t,
		      uint64_t *next)
{
	const struct tokio_layout *l = c->l;
	const struct vtable_info *v = c->guess;
	uint8_t buf[256];
	bool guessed = false;

	if (l->header_size > sizeof(buf))
		return false;
	if (v) {
		struct iovec local[3] = {
		    {buf, l->header_size}, {next, sizeof(*next)}, {&t->id, sizeof(t->id)}};
		uint64_t remote[3] = {header, header + v->trailer_offset + l->next_off,
				      header + v->id_offset};

		t->id = 0;
		guessed = read_pieces(c->pid, local, remote, l->has_id_offset ? 3 : 2);
	}
	if (!guessed && target_read_memory(c->pid, header, buf, l->header_size))
		return false;
	if (l->has_owner_id && list_id && read_u64(buf, l->owner_id_off) != list_id)
		return false;
	if (!guessed || read_u64(buf, l->vtable_off) != v->addr) {
		v = vtable_of(c, read_u64(buf, l->vtable_off));
		if (!v || !read_id_next(c, header, v, &t->id, next))
			return false;
		c->guess = v;
	}
	t->header = header;
	t->state = read_u64(buf, l->state_off);
	t->poll_fn = v->poll;
	return true;
}

static int walk_list(struct walk_ctx *c, uint64_t head, uint64_t list_id)
{
	struct task_walk *w = c->w;
	struct u64_map visited = {0};
	uint64_t list = w->lists[c->list];
	uint64_t header = head, next;
	int ret = 0;

	while (header) {
		struct walked_task t = {0};

		if (u64_map_get(&visited, header)) {
			incomplete(c, "task list loops (relinked while read)", header);
			break;
		}
		if (visited.count >= MAX_TASKS) {
			incomplete(c, "task list longer than the limit", head);
			break;
		}
		if (!read_task(c, header, list_id, &t, &next)) {
			incomplete(c, "task list changed under the walk (or unreadable)", header);
			break;
		}
		t.list = list;
		ret = u64_map_put(&visited, header, (void *)1);
		if (!ret)
			ret = task_walk_push(w, &t);
		if (ret)
			break;
		header = next;
	}
	u64_map_free(&visited);
	return ret;
}

/* The thread's CONTEXT: its runtime's OwnedTasks, if it has one. */
static bool thread_owned_tasks(struct walk_ctx *c, uint64_t context, struct typed_value *owned)
{
	struct member_query state = {.type_prefix = "State<"}, handle = {.name = "handle"};
	struct member_query arc = {.type_prefix = "Arc<tokio::runtime::scheduler::"};
	struct member_query tasks = {.type_prefix = "OwnedTasks<"};
	struct typed_value storage = {.type = c->l->context_type, .addr = context}, v, inner;
	const char *variant;

	/* A thread-local not yet initialised (or destroyed) holds no handle. */
	if (type_walk_find(c->pid, &storage, &state, &v)) {
		variant = type_walk_active_variant(c->pid, &v.type, v.addr);
		if (!variant || strcmp(variant, "Alive") != 0)
			return false;
	}
	return type_walk_find(c->pid, &storage, &handle, &v) &&
	       type_walk_find(c->pid, &v, &arc, &v) && type_walk_deref(c->pid, &v, &inner) &&
	       type_walk_find(c->pid, &inner, &tasks, owned);
}

/* Shards whose heads one read brings. */
#define SHARD_BATCH 64

/* Every list of the runtime's OwnedTasks: one (tokio 1.24), or each shard's
 * (1.53), their heads read SHARD_BATCH shards at a time. */
static int walk_runtime(struct walk_ctx *c, const struct typed_value *owned)
{
	struct tokio_lists lists;
	uint64_t id = 0, id_off, head_off, i, head;
	uint8_t buf[SHARD_BATCH * 256];
	Dwarf_Die type = owned->type, t;
	char why[160];
	int ret = 0;

	if (type_walk_member(&type, "id", &id_off, &t) &&
	    target_read_memory(c->pid, owned->addr + id_off, &id, sizeof(id)))
		return 0;
	if (!tokio_owned_lists(c->pid, owned, &lists, why, sizeof(why))) {
		incomplete(c, why, owned->addr);
		return 0;
	}
	if (!type_walk_member(&lists.list_type, "head", &head_off, &t)) {
		incomplete(c, "no head in the owned-task list", owned->addr);
		return 0;
	}
	if (!lists.stride) {
		if (target_read_memory(c->pid, lists.first + head_off, &head, sizeof(head))) {
			incomplete(c, "unreadable owned-task list", owned->addr);
			return 0;
		}
		return walk_list(c, head, id);
	}
	if (lists.stride > 256 || head_off + sizeof(head) > lists.stride) {
		incomplete(c, "implausible shard size", owned->addr);
		return 0;
	}
	for (i = 0; i < lists.count && !ret; i += SHARD_BATCH) {
		uint64_t n = lists.count - i < SHARD_BATCH ? lists.count - i : SHARD_BATCH, j;

		if (target_read_memory(c->pid, lists.first + i * lists.stride, buf,
				       n * lists.stride)) {
			incomplete(c, "unreadable task-list shards",
				   lists.first + i * lists.stride);
			return 0;
		}
		for (j = 0; j < n && !ret; j++)
			ret = walk_list(c, read_u64(buf, j * lists.stride + head_off), id);
	}
	return ret;
}

int tokio_tasks_walk(const struct tokio_layout *l, pid_t pid, const struct thread_pointer *threads,
		     size_t nthreads, struct task_walk *w)
{
	struct walk_ctx ctx = {0}, *c = &ctx; /* ~5 KiB: no heap churn a refresh */
	size_t i;
	int ret = 0;

	c->l = l;
	c->pid = pid;
	c->w = w;
	w->runtime = TASK_WALK_TOKIO;
	w->count = w->runtimes = w->threads = 0;
	w->complete = true;
	w->problem[0] = '\0';
	for (i = 0; i < nthreads && !ret; i++) {
		struct typed_value owned;

		if (!threads[i].fsbase)
			continue;
		w->threads++;
		if (!thread_owned_tasks(c, tls_symbol_address(&l->context, threads[i].fsbase),
					&owned) ||
		    !task_walk_new_list(c->w, owned.addr, &c->list))
			continue;
		ret = walk_runtime(c, &owned);
	}
	return ret;
}
