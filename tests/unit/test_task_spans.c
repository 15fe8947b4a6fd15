/* async-std's sampled pointer to the walked task it points into: a pointer
 * anywhere in a task's future (its TaskLocalsWrapper moves with the
 * coroutine's state) gives that task's header; one in no task, or just
 * past a task's future, gives none. */
#include <stdlib.h>

#include "check.h"
#include "taskwalk/task_spans.h"

int check_passed, check_failed;

static void push(struct task_walk *w, uint64_t header, uint64_t body, uint64_t size)
{
	struct walked_task t = {.header = header, .body = body, .body_size = size};

	CHECK(task_walk_push(w, &t) == 0);
}

static void test_pointer_to_task(void)
{
	struct task_walk w = {0};
	struct task_spans s = {0};
	uint64_t key = 0;

	/* Out of address order, as a slab lists them; one body unknown. */
	push(&w, 0x5000, 0x5040, 0x200);
	push(&w, 0x1000, 0x1040, 0x100);
	push(&w, 0x3000, 0, 0);
	push(&w, 0x2000, 0x2040, 0x100);
	CHECK(task_spans_build(&s, &w) == 0 && s.n == 3);
	CHECK(task_spans_find(&s, 0x1040, &key) && key == 0x1000);
	CHECK(task_spans_find(&s, 0x113f, &key) && key == 0x1000);
	CHECK(task_spans_find(&s, 0x2080, &key) && key == 0x2000);
	CHECK(task_spans_find(&s, 0x5230, &key) && key == 0x5000);
	CHECK(!task_spans_find(&s, 0x1140, &key)); /* just past the first */
	CHECK(!task_spans_find(&s, 0x1000, &key)); /* a header: not its future */
	CHECK(!task_spans_find(&s, 0x3050, &key)); /* the task with no body */
	CHECK(!task_spans_find(&s, 0x10, &key));
	CHECK(!task_spans_find(&s, 0x7fff0000, &key)); /* block_on's, on a stack */
	/* The next walk replaces the spans. */
	w.count = 0;
	push(&w, 0x9000, 0x9040, 0x40);
	CHECK(task_spans_build(&s, &w) == 0 && s.n == 1);
	CHECK(!task_spans_find(&s, 0x1040, &key));
	CHECK(task_spans_find(&s, 0x9041, &key) && key == 0x9000);
	w.count = 0;
	CHECK(task_spans_build(&s, &w) == 0 && s.n == 0 && !task_spans_find(&s, 0x9041, &key));
	task_spans_free(&s);
	task_walk_free(&w);
}

int main(void)
{
	test_pointer_to_task();
	printf("%d passed, %d failed\n", check_passed, check_failed);
	return check_failed != 0;
}
