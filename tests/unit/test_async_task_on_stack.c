/* The running async-task task from a stack copy: a return address into a
 * run function and, near it, the header of a walked task of that run; the
 * innermost such pair; nothing from a return address alone, a header
 * alone, a header of another task type, or a header out of reach. */
#include <string.h>

#include "check.h"
#include "taskwalk/async_task_on_stack.h"

int check_passed, check_failed;

#define RUN_A  0x5000 /* two run functions, 0x100 bytes each */
#define RUN_B  0x6000
#define HDR_A  0x7f0000001000ULL
#define HDR_B  0x7f0000002000ULL
#define HDR_A2 0x7f0000003000ULL

static uint64_t size_at(void *ctx, uint64_t addr)
{
	(void)ctx;
	return addr == RUN_A || addr == RUN_B ? 0x100 : 0;
}

static uint64_t find(const struct async_task_finder *f, const uint64_t *stack, size_t n)
{
	struct stack_view v = {(const uint8_t *)stack, n * 8, 0x1000, NULL, 0};
	bool in_run;

	return async_task_on_stack(f, &v, &in_run);
}

static size_t candidates(const struct async_task_finder *f, const uint64_t *stack, size_t n,
			 uint64_t *out, size_t max)
{
	struct stack_view v = {(const uint8_t *)stack, n * 8, 0x1000, NULL, 0};

	return async_task_candidates(f, &v, out, max);
}

int main(void)
{
	struct walked_task tasks[] = {
	    {.header = HDR_A, .poll_fn = RUN_A},
	    {.header = HDR_B, .poll_fn = RUN_B},
	    {.header = HDR_A2, .poll_fn = RUN_A},
	    {.header = 0x9999, .poll_fn = 0x8000}, /* a run of unknown size: skipped */
	};
	struct async_task_finder f = {0};
	uint64_t stack[400];

	CHECK(async_task_finder_build(&f, tasks, 4, size_at, NULL, NULL, 0) == 0);
	CHECK(f.nruns == 2 && f.runs[0].start == RUN_A && f.runs[1].end == RUN_B + 0x100);

	/* optimized: the header pushed by the callee just below the return */
	memset(stack, 0, sizeof(stack));
	stack[10] = HDR_B;
	stack[11] = RUN_B + 0x42;
	CHECK(find(&f, stack, 400) == HDR_B);

	/* debug: the header in run's own frame, above the return address */
	memset(stack, 0, sizeof(stack));
	stack[20] = RUN_A + 0x10;
	stack[20 + 100] = HDR_A2;
	CHECK(find(&f, stack, 400) == HDR_A2);

	/* optimized, deeper: saved by a callee further down, or still in a
	 * callee-saved register at the sample */
	memset(stack, 0, sizeof(stack));
	stack[60] = RUN_B + 0x42;
	stack[3] = HDR_B;
	CHECK(find(&f, stack, 400) == HDR_B);
	stack[3] = 0;
	{
		uint64_t regs[6] = {0, 0x1234, HDR_B, 0, 0, 0};
		struct stack_view v = {(const uint8_t *)stack, sizeof(stack), 0x1000, regs, 6};
		bool in_run;

		CHECK(async_task_on_stack(&f, &v, &in_run) == HDR_B && in_run);
		regs[2] = HDR_A; /* another type's header in a register: not it */
		CHECK(async_task_on_stack(&f, &v, &in_run) == 0 && in_run);
		/* run's own code running (inlined poll): the ip in it, the header
		 * in its frame above the stack pointer */
		memset(stack, 0, sizeof(stack));
		stack[7] = HDR_A2;
		v.ip = RUN_A + 0x20;
		CHECK(async_task_on_stack(&f, &v, &in_run) == HDR_A2 && in_run);
		/* no run anywhere: no task at all */
		v.ip = 0x1000;
		stack[7] = 0;
		CHECK(async_task_on_stack(&f, &v, &in_run) == 0 && !in_run);
	}

	/* a header of another run's task next to the return address is not it */
	memset(stack, 0, sizeof(stack));
	stack[20] = RUN_A + 0x10;
	stack[21] = HDR_B;
	CHECK(find(&f, stack, 400) == 0);

	/* a return address alone, a header alone, a run's first byte (a
	 * function pointer, not a return address), a header out of reach */
	memset(stack, 0, sizeof(stack));
	stack[5] = RUN_A + 0x10;
	CHECK(find(&f, stack, 400) == 0);
	stack[5] = 0;
	stack[6] = HDR_A;
	CHECK(find(&f, stack, 400) == 0);
	stack[5] = RUN_A;
	CHECK(find(&f, stack, 400) == 0);
	stack[5] = RUN_A + 0x10;
	stack[6] = 0;
	stack[5 + TASK_ON_STACK_ABOVE + 1] = HDR_A;
	CHECK(find(&f, stack, 400) == 0);

	/* the innermost run's task, not an outer one's (block_on in a task) */
	memset(stack, 0, sizeof(stack));
	stack[30] = HDR_B;
	stack[31] = RUN_B + 0x20;
	stack[200] = HDR_A;
	stack[201] = RUN_A + 0x20;
	CHECK(find(&f, stack, 400) == HDR_B);
	/* an innermost return address whose header is not near: the outer one */
	stack[30] = 0;
	CHECK(find(&f, stack, 400) == HDR_A);

	/* a run known from the symbols, none of its tasks walked: the words
	 * near its return address that could be a header, nearest first */
	{
		struct task_run_fn more = {0x9000, 0x9100};
		uint64_t out[4];

		async_task_finder_free(&f);
		CHECK(async_task_finder_build(&f, tasks, 4, size_at, NULL, &more, 1) == 0);
		CHECK(f.nruns == 3);
		memset(stack, 0, sizeof(stack));
		stack[40] = 0x9000 + 0x30;
		stack[39] = 0x7f0000005000ULL; /* pushed by the callee */
		stack[43] = 0x7f0000006000ULL; /* in run's frame */
		stack[44] = 0x7f0000006003ULL; /* not aligned: no pointer to a header */
		stack[45] = 0x9000 + 0x40;     /* code, not data */
		stack[46] = 42;		       /* a small number */
		CHECK(find(&f, stack, 400) == 0);
		CHECK(candidates(&f, stack, 400, out, 4) == 2 && out[0] == 0x7f0000005000ULL &&
		      out[1] == 0x7f0000006000ULL);
		CHECK(candidates(&f, stack, 400, out, 1) == 1);
		memset(stack, 0, sizeof(stack));
		CHECK(candidates(&f, stack, 400, out, 4) == 0);
	}

	/* a stack shorter than the window, and an empty finder */
	CHECK(find(&f, stack, 3) == 0);
	async_task_finder_free(&f);
	CHECK(find(&f, stack, 400) == 0);
	CHECK(async_task_finder_build(&f, tasks, 0, size_at, NULL, NULL, 0) == 0 && f.nruns == 0);
	async_task_finder_free(&f);

	printf("test_async_task_on_stack: %d passed, %d failed\n", check_passed, check_failed);
	return check_failed != 0;
}
