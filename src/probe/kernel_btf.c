#include "probe/kernel_btf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <linux/btf.h>

/* Modifiers (typedef, const, ...) followed at most this deep to a struct. */
#define MAX_TYPE_CHAIN 32

struct btf_view {
	const uint8_t *types;
	const char *strings;
	uint32_t types_len, strings_len;
	uint32_t *pos; /* pos[id]: byte offset of type id in types (ids start at 1) */
	uint32_t count;
};

/* Bytes a type record takes with the data that follows it, or 0 for a
 * kind this code does not know (a newer kernel's: the pass stops there). */
static size_t record_size(const struct btf_type *t)
{
	size_t vlen = BTF_INFO_VLEN(t->info), base = sizeof(*t);

	switch (BTF_INFO_KIND(t->info)) {
	case BTF_KIND_INT:
	case BTF_KIND_VAR:
	case BTF_KIND_DECL_TAG:
		return base + sizeof(uint32_t);
	case BTF_KIND_ARRAY:
		return base + sizeof(struct btf_array);
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		return base + vlen * sizeof(struct btf_member);
	case BTF_KIND_ENUM:
		return base + vlen * sizeof(struct btf_enum);
	case BTF_KIND_FUNC_PROTO:
		return base + vlen * sizeof(struct btf_param);
	case BTF_KIND_DATASEC:
		return base + vlen * sizeof(struct btf_var_secinfo);
	case BTF_KIND_ENUM64:
		return base + vlen * sizeof(struct btf_enum64);
	case BTF_KIND_PTR:
	case BTF_KIND_FWD:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_FUNC:
	case BTF_KIND_FLOAT:
	case BTF_KIND_TYPE_TAG:
		return base;
	default:
		return 0;
	}
}

static int view_open(const uint8_t *data, size_t size, struct btf_view *v)
{
	const struct btf_header *h = (const void *)data;
	uint32_t off = 0, cap = 0;

	memset(v, 0, sizeof(*v));
	if (size < sizeof(*h) || h->magic != BTF_MAGIC || h->hdr_len > size ||
	    (uint64_t)h->hdr_len + h->type_off + h->type_len > size ||
	    (uint64_t)h->hdr_len + h->str_off + h->str_len > size ||
	    (h->hdr_len + h->type_off) % 4 != 0)
		return -EINVAL;
	v->types = data + h->hdr_len + h->type_off;
	v->types_len = h->type_len;
	v->strings = (const char *)data + h->hdr_len + h->str_off;
	v->strings_len = h->str_len;
	while (off + sizeof(struct btf_type) <= v->types_len) {
		size_t n = record_size((const void *)(v->types + off));

		if (!n || off + n > v->types_len)
			break;
		if (v->count + 2 > cap) {
			uint32_t *grown =
			    realloc(v->pos, (cap = cap ? cap * 2 : 4096) * sizeof(*grown));

			if (!grown) {
				free(v->pos);
				return -ENOMEM;
			}
			v->pos = grown;
		}
		v->pos[++v->count] = off;
		off += (uint32_t)n;
	}
	return 0;
}

static const struct btf_type *type_of(const struct btf_view *v, uint32_t id)
{
	return id && id <= v->count ? (const void *)(v->types + v->pos[id]) : NULL;
}

static bool name_is(const struct btf_view *v, uint32_t name_off, const char *name)
{
	size_t n = strlen(name);

	return name_off < v->strings_len && v->strings_len - name_off > n &&
	       memcmp(v->strings + name_off, name, n + 1) == 0;
}

static bool is_composite(const struct btf_type *t)
{
	return t && (BTF_INFO_KIND(t->info) == BTF_KIND_STRUCT ||
		     BTF_INFO_KIND(t->info) == BTF_KIND_UNION);
}

/* The struct or union behind typedefs and qualifiers, or NULL. */
static const struct btf_type *composite_of(const struct btf_view *v, uint32_t id)
{
	const struct btf_type *t = type_of(v, id);
	int i;

	for (i = 0; t && i < MAX_TYPE_CHAIN && !is_composite(t); i++) {
		uint32_t kind = BTF_INFO_KIND(t->info);

		if (kind != BTF_KIND_TYPEDEF && kind != BTF_KIND_CONST &&
		    kind != BTF_KIND_VOLATILE && kind != BTF_KIND_RESTRICT &&
		    kind != BTF_KIND_TYPE_TAG)
			return NULL;
		t = type_of(v, t->type);
	}
	return is_composite(t) ? t : NULL;
}

static uint32_t member_bits(const struct btf_type *t, const struct btf_member *m)
{
	return BTF_INFO_KFLAG(t->info) ? BTF_MEMBER_BIT_OFFSET(m->offset) : m->offset;
}

/* Finds member name in t, also inside its anonymous structs and unions
 * (depth bounds the search); its bit offset is added to *bits. */
static const struct btf_member *find_member(const struct btf_view *v, const struct btf_type *t,
					    const char *name, uint64_t *bits, int depth)
{
	const struct btf_member *m = (const void *)(t + 1);
	uint32_t i;

	for (i = 0; i < BTF_INFO_VLEN(t->info); i++, m++) {
		if (name_is(v, m->name_off, name)) {
			*bits += member_bits(t, m);
			return m;
		}
	}
	if (depth >= MAX_TYPE_CHAIN)
		return NULL;
	m = (const void *)(t + 1);
	for (i = 0; i < BTF_INFO_VLEN(t->info); i++, m++) {
		const struct btf_type *inner = m->name_off ? NULL : composite_of(v, m->type);
		uint64_t inner_bits = *bits + member_bits(t, m);
		const struct btf_member *found =
		    inner ? find_member(v, inner, name, &inner_bits, depth + 1) : NULL;

		if (found) {
			*bits = inner_bits;
			return found;
		}
	}
	return NULL;
}

static const struct btf_type *find_struct(const struct btf_view *v, const char *name)
{
	uint32_t id;

	for (id = 1; id <= v->count; id++) {
		const struct btf_type *t = type_of(v, id);

		if (BTF_INFO_KIND(t->info) == BTF_KIND_STRUCT && name_is(v, t->name_off, name))
			return t;
	}
	return NULL;
}

int btf_member_path_offset(const uint8_t *data, size_t size, const char *type,
			   const char *const *members, size_t count, uint64_t *offset)
{
	const struct btf_type *t;
	struct btf_view v;
	uint64_t bits = 0;
	size_t i;
	int ret = view_open(data, size, &v);

	if (ret)
		return ret;
	t = find_struct(&v, type);
	for (i = 0; t && i < count; i++) {
		const struct btf_member *m = find_member(&v, t, members[i], &bits, 0);

		if (!m) {
			t = NULL;
			break;
		}
		/* The last member may be of any type; the ones on the way in
		 * are structs or unions. */
		if (i + 1 < count)
			t = composite_of(&v, m->type);
	}
	free(v.pos);
	if (!t || !count)
		return -ENOENT;
	if (bits % 8)
		return -EINVAL; /* a bitfield: no byte offset to read at */
	*offset = bits / 8;
	return 0;
}

static int read_whole(const char *path, uint8_t **data, size_t *size)
{
	struct stat st;
	size_t got = 0;
	int ret = 0, fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || st.st_size <= 0) {
		ret = -EINVAL;
		goto cleanup;
	}
	*data = malloc((size_t)st.st_size);
	if (!*data) {
		ret = -ENOMEM;
		goto cleanup;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, *data + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	*size = got;
cleanup:
	close(fd);
	return ret;
}

int kernel_task_offsets(const char *btf_path, struct kernel_task_offsets *out)
{
	static const char *const run_delay[] = {"sched_info", "run_delay"};
	static const char *const pid[] = {"pid"}, *const tgid[] = {"tgid"};
	uint8_t *data = NULL;
	size_t size = 0;
	int ret = read_whole(btf_path, &data, &size);

	memset(out, 0, sizeof(*out));
	if (ret)
		goto cleanup;
	if (btf_member_path_offset(data, size, "task_struct", run_delay, 2, &out->run_delay))
		out->run_delay = 0;
	/* Both or neither: the switch program needs the pair. */
	if (btf_member_path_offset(data, size, "task_struct", pid, 1, &out->pid) ||
	    btf_member_path_offset(data, size, "task_struct", tgid, 1, &out->tgid))
		out->pid = out->tgid = 0;
	ret = out->run_delay || out->tgid ? 0 : -ENOENT;
cleanup:
	free(data);
	return ret;
}
