/* Await stacks from coroutine states (model/await_chain.h): the reason
 * given for each line that cannot be read, and the futures a join!/select!
 * awaits side by side. The target's memory is a small table here. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "model/await_chain.h"
#include "probe/coroutine_layout.h"
#include "probe/site_table.h"

int check_passed, check_failed;

#define PARENT	 0x1000
#define STATE_AT 0x80 /* the parent's __state */
#define CHILD_A	 0x1010
#define CHILD_B	 0x1040
#define CHILD_C	 0x1070
#define CSTATE	 0x8 /* a child's __state */

/* One byte per address that is readable; the rest is unmapped. */
struct fake_memory {
	uint64_t addr[8];
	uint8_t value[8];
	int n;
	const char *call_line; /* what every child's return address maps to */
};

static void poke(struct fake_memory *m, uint64_t addr, uint8_t v)
{
	m->addr[m->n] = addr;
	m->value[m->n++] = v;
}

static int read_memory(void *ctx, uint64_t addr, void *buf, size_t len)
{
	struct fake_memory *m = ctx;
	int i;

	for (i = 0; i < m->n; i++)
		if (m->addr[i] == addr && len == 1) {
			memcpy(buf, &m->value[i], 1);
			return 0;
		}
	return -EFAULT;
}

static const char *call_site(void *ctx, uint64_t ret)
{
	(void)ret;
	return ((struct fake_memory *)ctx)->call_line;
}

static char *parent_lines[] = {"a.rs:1", NULL, NULL, "a.rs:10", "a.rs:12"};
static bool parent_macro[] = {false, false, false, true, false};
static char *child_lines[] = {"b.rs:1", NULL, NULL, "b.rs:5"};

/* what each state awaits: a lint tells a lock from a channel by it */
static char *child_awaitees[] = {NULL, NULL, NULL, "tokio::sync::batch_semaphore::Acquire"};

static struct coroutine_layout parent_layout = {0x100,	      STATE_AT,	    1,	 5,
						parent_lines, parent_macro, NULL};
static struct coroutine_layout child_layout = {0x20, CSTATE,	    1, 4, child_lines,
					       NULL, child_awaitees};

static struct site sites_[2] = {
    {.role = SITE_FUTURE, .kind = FUTURE_ASYNC_FN, .name = "app::parent"},
    {.role = SITE_FUTURE, .kind = FUTURE_ASYNC_FN, .name = "app::child"},
};
static struct site_table table = {.sites = sites_, .count = 2, .dwarf_used = true};

static struct future_node root, a, b, c;
static struct task task;

/* root polled at 100; a and b in that poll, c only in an earlier one */
static void setup(void)
{
	sites_[0].layout = &parent_layout;
	sites_[0].kind = FUTURE_ASYNC_FN;
	sites_[1].layout = &child_layout;
	table.dwarf_used = true;
	root = (struct future_node){.site = 0, .self_ptr = PARENT, .children = &a};
	root.stats.last_poll_start = 100;
	root.stats.polls = 1;
	a = (struct future_node){
	    .site = 1, .parent = &root, .next_sibling = &b, .self_ptr = CHILD_A};
	b = (struct future_node){
	    .site = 1, .parent = &root, .next_sibling = &c, .self_ptr = CHILD_B};
	c = (struct future_node){.site = 1, .parent = &root, .self_ptr = CHILD_C};
	a.stats.last_poll_start = 101;
	b.stats.last_poll_start = 102;
	c.stats.last_poll_start = 50;
	task = (struct task){.roots = &root};
	task.stats.polls = 1;
}

static const char *root_reason(struct fake_memory *m)
{
	struct await_source src = {read_memory, call_site, m};
	struct await_frame out[AWAIT_CHAIN_MAX];
	const char *why = NULL;
	size_t n = await_chain_build(&task, &table, &src, out, AWAIT_CHAIN_MAX, &why);

	CHECK(n == 0);
	return why;
}

static void test_reasons(void)
{
	struct fake_memory m = {.n = 0};

	setup();
	CHECK_STR(root_reason(&m), "memory unreadable");
	poke(&m, PARENT + STATE_AT, 1);
	CHECK_STR(root_reason(&m), "state not at an await (returned)");
	m.value[0] = 2;
	CHECK_STR(root_reason(&m), "state not at an await (panicked)");
	m.value[0] = 7;
	CHECK_STR(root_reason(&m), "variant not found: state not in the DWARF layout");
	sites_[0].layout = NULL;
	CHECK_STR(root_reason(&m), "no DWARF types (debug=1): state layout not described");
	table.dwarf_used = false;
	CHECK_STR(root_reason(&m), "no DWARF (debug=0)");
	sites_[0].kind = FUTURE_USER_FUTURE;
	CHECK_STR(root_reason(&m), "not an async fn or block: no await points to read");
	setup();
	root.self_ptr = 0;
	CHECK_STR(root_reason(&m), "address not seen: no poll of it was probed");
	setup();
	{
		struct await_frame out[4];
		const char *why = NULL;

		CHECK(await_chain_build(&task, &table, NULL, out, 4, &why) == 0);
		CHECK_STR(why, "target not readable (not live)");
	}
}

/* Parked at a plain .await of child b (its last poll returned to that
 * line): the chain goes on to b, whose line is unreadable, and says so. */
static void test_chain_unknown_child(void)
{
	struct fake_memory m = {.n = 0, .call_line = "a.rs:12"};
	struct await_source src = {read_memory, call_site, &m};
	struct await_frame out[AWAIT_CHAIN_MAX];
	const char *why = "unset";
	size_t n;

	setup();
	poke(&m, PARENT + STATE_AT, 4);
	n = await_chain_build(&task, &table, &src, out, AWAIT_CHAIN_MAX, &why);
	CHECK(why == NULL);
	CHECK(n == 2);
	CHECK_STR(out[0].awaiting, "a.rs:12");
	CHECK(!out[0].in_macro);
	CHECK(n == 2 && out[1].node == &b && out[1].awaiting == NULL);
	CHECK_STR(n == 2 ? out[1].unknown : NULL, "memory unreadable");
}

/* Parked in a join!: the stack ends there (even where a child's return
 * maps to its line), and each future the macro polled in that poll and
 * still holds gets its own line; one that finished, or was not polled
 * then, gets none. */
static void test_macro_side_frames(void)
{
	struct fake_memory m = {.n = 0, .call_line = "a.rs:10"};
	struct await_source src = {read_memory, call_site, &m};
	struct await_frame out[AWAIT_CHAIN_MAX], f;
	size_t n;

	setup();
	poke(&m, PARENT + STATE_AT, 3);
	poke(&m, CHILD_A + CSTATE, 3);
	poke(&m, CHILD_B + CSTATE, 1); /* finished in the last poll */
	poke(&m, CHILD_C + CSTATE, 3); /* stale: not polled then */
	n = await_chain_build(&task, &table, &src, out, AWAIT_CHAIN_MAX, NULL);
	CHECK(n == 1);
	CHECK_STR(out[0].awaiting, "a.rs:10");
	CHECK(out[0].in_macro);
	f = await_child_frame(&out[0], &a, &table, &src);
	CHECK(f.node == &a);
	CHECK_STR(f.awaiting, "b.rs:5");
	CHECK_STR(f.awaitee, "tokio::sync::batch_semaphore::Acquire");
	CHECK(out[0].awaitee == NULL); /* the parent's awaitee is not known */
	f = await_child_frame(&out[0], &b, &table, &src);
	CHECK(f.node == NULL && f.awaiting == NULL && f.unknown == NULL);
	f = await_child_frame(&out[0], &c, &table, &src);
	CHECK(f.node == NULL);
	/* outside the parent's coroutine: not a future it holds */
	a.self_ptr = PARENT + 0x100;
	f = await_child_frame(&out[0], &a, &table, &src);
	CHECK(f.node == NULL);
}

int main(void)
{
	test_reasons();
	test_chain_unknown_child();
	test_macro_side_frames();
	printf("%d passed, %d failed\n", check_passed, check_failed);
	return check_failed ? 1 : 0;
}
