#include "export/folded_stacks.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "model/task_view.h"
#include "probe/site_table.h"
#include "session/session.h"
#include "util/safe_text.h"

struct folded_stack {
	char *text;
	uint64_t ns;
};

/* Children's time per depth, tagged with the start of the frame they ran
 * in, so a frame that vanished without a return passes nothing on. */
struct child_time {
	uint64_t owner_start[MAX_OPEN_FRAMES];
	uint64_t ns[MAX_OPEN_FRAMES];
};

void folded_stacks_init(struct folded_stacks *fs, const struct session *s)
{
	memset(fs, 0, sizeof(*fs));
	fs->s = s;
}

static uint64_t hash_text(const char *s)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static void add_stack(struct folded_stacks *fs, const char *text, uint64_t ns)
{
	uint64_t key = hash_text(text);
	struct folded_stack *st;

	/* Probe on: a 64-bit collision is rare, but must not merge stacks. */
	while ((st = u64_map_get(&fs->stacks, key)) && strcmp(st->text, text))
		key++;
	if (st) {
		st->ns += ns;
		return;
	}
	st = malloc(sizeof(*st));
	if (!st || !(st->text = strdup(text))) {
		free(st);
		return;
	}
	st->ns = ns;
	if (u64_map_put(&fs->stacks, key, st)) {
		free(st->text);
		free(st);
		return;
	}
	fs->count++;
}

static const char *frame_name(const struct session *s, const struct open_frame *f)
{
	return f->node ? s->sites.sites[f->site].name : task_name(f->task, &s->sites);
}

/* Appends name; a ';' inside it (as in "[u8; 4]") would split the frame,
 * a newline the line, and a control character would reach the terminal of
 * whoever reads the file: escaped. */
static size_t append_frame(char *buf, size_t used, size_t len, const char *name)
{
	char escaped[1024];

	name = safe_text(name, escaped, sizeof(escaped));
	if (used && used + 1 < len)
		buf[used++] = ';';
	for (; *name && used + 1 < len; name++)
		buf[used++] = *name == ';' ? ',' : *name;
	buf[used] = '\0';
	return used;
}

/* "task;outer;...;this": the frames of the same task, outermost first. */
static void stack_text(const struct session *s, const struct poll_span *span, char *buf, size_t len)
{
	size_t used = 0;
	uint32_t d;

	buf[0] = '\0';
	const struct open_frame *prev = NULL;

	for (d = 0; d <= span->depth; d++) {
		const struct open_frame *f = &span->stack->frames[d];

		if (f->task != span->frame->task)
			continue;
		/* A task poll is named for its root future, which it polls next:
		 * one frame, not the same name twice. */
		if (!(prev && !prev->node && f->node && prev->task->roots &&
		      prev->task->roots->site == f->site))
			used = append_frame(buf, used, len, frame_name(s, f));
		prev = f;
	}
}

static struct child_time *child_time_of(struct folded_stacks *fs, uint32_t tid)
{
	struct child_time *ct = u64_map_get(&fs->child_time, tid);

	if (ct)
		return ct;
	ct = calloc(1, sizeof(*ct));
	if (ct && u64_map_put(&fs->child_time, tid, ct)) {
		free(ct);
		return NULL;
	}
	return ct;
}

void folded_stacks_span(void *ctx, const struct poll_span *span)
{
	struct folded_stacks *fs = ctx;
	struct child_time *ct = child_time_of(fs, span->stack->tid);
	/* A poll's own time, as the snapshot counts it: its waits for a CPU
	 * left out (a parent's include its children's, the same thread's). */
	uint64_t dur = span->end - span->start - span->cpu_wait, children = 0;
	uint32_t d = span->depth;
	char text[4096];

	if (!ct)
		return;
	if (ct->owner_start[d] == span->start)
		children = ct->ns[d];
	ct->owner_start[d] = 0;
	if (d > 0) {
		const struct open_frame *parent = &span->stack->frames[d - 1];

		if (ct->owner_start[d - 1] != parent->start) {
			ct->owner_start[d - 1] = parent->start;
			ct->ns[d - 1] = 0;
		}
		ct->ns[d - 1] += dur;
	}
	stack_text(fs->s, span, text, sizeof(text));
	add_stack(fs, text, dur > children ? dur - children : 0);
}

static int by_text(const void *a, const void *b)
{
	return strcmp((*(struct folded_stack *const *)a)->text,
		      (*(struct folded_stack *const *)b)->text);
}

static void free_values(struct u64_map *map, bool stacks)
{
	size_t i;

	for (i = 0; map->slots && i <= map->mask; i++) {
		struct folded_stack *st = map->slots[i].value;

		if (st && stacks)
			free(st->text);
		free(st);
	}
	u64_map_free(map);
}

int folded_stacks_write(struct folded_stacks *fs, FILE *out)
{
	struct folded_stack **list = calloc(fs->count ? fs->count : 1, sizeof(*list));
	size_t i, n = 0;

	for (i = 0; list && fs->stacks.slots && i <= fs->stacks.mask; i++)
		if (fs->stacks.slots[i].value)
			list[n++] = fs->stacks.slots[i].value;
	if (list) {
		qsort(list, n, sizeof(*list), by_text);
		for (i = 0; i < n; i++)
			if (list[i]->ns)
				fprintf(out, "%s %" PRIu64 "\n", list[i]->text, list[i]->ns);
	}
	free(list);
	free_values(&fs->stacks, true);
	free_values(&fs->child_time, false);
	return list ? 0 : -ENOMEM;
}
