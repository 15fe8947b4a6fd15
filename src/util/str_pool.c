/* str_pool: interned strings in large blocks (see str_pool.h). */
#include "util/str_pool.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Strings are copied into large blocks instead of one malloc each: an index
 * of a big binary holds tens of thousands of names. */
#define STRBLOCK_SIZE (64 * 1024)

struct strblock {
	struct strblock *next;
	size_t used, cap;
	char data[];
};

uint64_t str_pool_hash_more(uint64_t h, const char *s, size_t n)
{
	for (; n; s++, n--)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL; /* FNV-1a */
	return h;
}

uint64_t str_pool_hash(const char *s, size_t n)
{
	return str_pool_hash_more(1469598103934665603ULL, s, n);
}

static uint64_t str_hash(const char *s)
{
	return str_pool_hash(s, strlen(s));
}

static char *str_pool_store(struct str_pool *p, const char *s)
{
	size_t len = strlen(s) + 1;
	struct strblock *b = p->blocks;
	char *dst;

	if (!b || b->cap - b->used < len) {
		/* An oversized string gets a block of its own. */
		size_t cap = len > STRBLOCK_SIZE ? len : STRBLOCK_SIZE;

		b = malloc(sizeof(*b) + cap);
		if (!b)
			return NULL;
		b->used = 0;
		b->cap = cap;
		b->next = p->blocks;
		p->blocks = b;
	}
	dst = b->data + b->used;
	memcpy(dst, s, len);
	b->used += len;
	return dst;
}

static int str_pool_grow(struct str_pool *p)
{
	size_t nslots = p->nslots ? p->nslots * 2 : 1024;
	const char **slots = calloc(nslots, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < p->nslots; i++) {
		const char *s = p->slots[i];
		size_t j;

		if (!s)
			continue;
		for (j = str_hash(s) & (nslots - 1); slots[j]; j = (j + 1) & (nslots - 1))
			;
		slots[j] = s;
	}
	free(p->slots);
	p->slots = slots;
	p->nslots = nslots;
	return 0;
}

/* Returns the pool's copy of s, or NULL when out of memory. */
const char *str_pool_intern(struct str_pool *p, const char *s)
{
	size_t j;

	/* Keep the load factor under 1/2 so probe chains stay short. */
	if ((p->nused + 1) * 2 > p->nslots && str_pool_grow(p))
		return NULL;
	for (j = str_hash(s) & (p->nslots - 1); p->slots[j]; j = (j + 1) & (p->nslots - 1)) {
		if (strcmp(p->slots[j], s) == 0)
			return p->slots[j];
	}
	p->slots[j] = str_pool_store(p, s);
	if (!p->slots[j])
		return NULL;
	p->nused++;
	return p->slots[j];
}

void str_pool_free(struct str_pool *p)
{
	struct strblock *b = p->blocks;

	while (b) {
		struct strblock *next = b->next;

		free(b);
		b = next;
	}
	free(p->slots);
}
