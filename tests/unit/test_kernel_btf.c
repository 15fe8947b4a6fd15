/* Field offsets from raw BTF: on types written with libbpf's BTF writer
 * (nested, typedef'd, inside anonymous unions, bitfields, missing), and on
 * the running kernel's own BTF against what libbpf's parser says. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/btf.h>

#include "check.h"
#include "probe/kernel_btf.h"

int check_passed, check_failed;

static int offset_in(const struct btf *btf, const char *type, const char *const *path, size_t count,
		     uint64_t *off)
{
	uint32_t size;
	const void *raw = btf__raw_data(btf, &size);

	return btf_member_path_offset(raw, size, type, path, count, off);
}

/* struct info { long pad; u64 delay; u32 flag:3; };
 * typedef struct info info_t;
 * struct task { int a; union { long b; struct { int c; const info_t info; }; }; }; */
static struct btf *synthetic(void)
{
	struct btf *btf = btf__new_empty();
	int u64, u32, i32, info, info_t, cinfo, anon_s, anon_u;

	if (!btf)
		return NULL;
	u64 = btf__add_int(btf, "u64", 8, 0);
	u32 = btf__add_int(btf, "u32", 4, 0);
	i32 = btf__add_int(btf, "int", 4, BTF_INT_SIGNED);
	info = btf__add_struct(btf, "info", 24);
	btf__add_field(btf, "pad", u64, 0, 0);
	btf__add_field(btf, "delay", u64, 64, 0);
	btf__add_field(btf, "flag", u32, 128, 3);
	info_t = btf__add_typedef(btf, "info_t", info);
	cinfo = btf__add_const(btf, info_t);
	anon_s = btf__add_struct(btf, NULL, 32);
	btf__add_field(btf, "c", i32, 0, 0);
	btf__add_field(btf, "info", cinfo, 64, 0);
	anon_u = btf__add_union(btf, NULL, 32);
	btf__add_field(btf, "b", u64, 0, 0);
	btf__add_field(btf, NULL, anon_s, 0, 0);
	btf__add_struct(btf, "task", 40);
	btf__add_field(btf, "a", i32, 0, 0);
	btf__add_field(btf, NULL, anon_u, 64, 0);
	return btf;
}

static void test_synthetic(void)
{
	static const char *const delay[] = {"info", "delay"}, *const flag[] = {"info", "flag"},
				 *const missing[] = {"info", "nope"}, *const b[] = {"b"},
				 *const through_int[] = {"a", "delay"};
	struct btf *btf = synthetic();
	uint64_t off = 0;

	CHECK(btf != NULL);
	if (!btf)
		return;
	/* task.(anon union at 8).(anon struct at 0).info at 8, delay at 8 in it */
	CHECK(offset_in(btf, "task", delay, 2, &off) == 0 && off == 24);
	CHECK(offset_in(btf, "task", b, 1, &off) == 0 && off == 8);
	CHECK(offset_in(btf, "task", flag, 2, &off) == 0 && off == 32);
	CHECK(offset_in(btf, "task", missing, 2, &off) == -ENOENT);
	CHECK(offset_in(btf, "task", through_int, 2, &off) == -ENOENT);
	CHECK(offset_in(btf, "no_such_struct", b, 1, &off) == -ENOENT);
	btf__free(btf);
}

static void test_garbage(void)
{
	static const char *const path[] = {"sched_info", "run_delay"};
	uint8_t junk[256];
	uint64_t off;
	size_t i;

	for (i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)(i * 37);
	CHECK(btf_member_path_offset(junk, sizeof(junk), "task_struct", path, 2, &off) == -EINVAL);
	CHECK(btf_member_path_offset(junk, 3, "task_struct", path, 2, &off) == -EINVAL);
}

/* What libbpf's full parser says the offset is. */
static long libbpf_offset(const struct btf *btf, const char *type, const char *const *path,
			  size_t count)
{
	int id = btf__find_by_name_kind(btf, type, BTF_KIND_STRUCT);
	long off = 0;
	size_t i;

	for (i = 0; id > 0 && i < count; i++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		const struct btf_member *m = btf_members(t);
		int j, n = btf_vlen(t);

		for (j = 0; j < n; j++, m++)
			if (strcmp(btf__name_by_offset(btf, m->name_off), path[i]) == 0)
				break;
		if (j == n)
			return -1;
		off += btf_member_bit_offset(t, j) / 8;
		id = btf__resolve_type(btf, m->type);
	}
	return id > 0 ? off : -1;
}

static void test_running_kernel(void)
{
	static const char *const path[] = {"sched_info", "run_delay"};
	static const char *const pid[] = {"pid"}, *const tgid[] = {"tgid"};
	const char *vmlinux = "/sys/kernel/btf/vmlinux";
	struct kernel_task_offsets offs;
	struct btf *btf;
	long want;

	if (access(vmlinux, R_OK)) {
		fprintf(stderr, "kernel_btf: no readable %s, the running kernel not checked\n",
			vmlinux);
		return;
	}
	btf = btf__parse(vmlinux, NULL);
	CHECK(btf != NULL);
	if (!btf)
		return;
	CHECK(kernel_task_offsets(vmlinux, &offs) == 0);
	want = libbpf_offset(btf, "task_struct", path, 2);
	CHECK(offs.run_delay == (uint64_t)(want < 0 ? 0 : want));
	want = libbpf_offset(btf, "task_struct", pid, 1);
	CHECK(want > 0 && offs.pid == (uint64_t)want);
	want = libbpf_offset(btf, "task_struct", tgid, 1);
	CHECK(want > 0 && offs.tgid == (uint64_t)want);
	btf__free(btf);
}

int main(void)
{
	test_synthetic();
	test_garbage();
	test_running_kernel();
	printf("%d passed, %d failed\n", check_passed, check_failed);
	return check_failed != 0;
}
