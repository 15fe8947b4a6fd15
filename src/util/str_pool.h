/* str_pool: each distinct string stored once, in large blocks instead of one
 * malloc each: an index of a big binary holds tens of thousands of names,
 * and decl file names and names such as "poll" repeat. */
#ifndef CATTOP_UTIL_STR_POOL_H
#define CATTOP_UTIL_STR_POOL_H

#include <stddef.h>
#include <stdint.h>

struct strblock;

/* Interning string pool: decl file names repeat for every function of a
 * source file and names such as "poll" or "{closure#0}" repeat across
 * modules, so each distinct string is stored once. */
struct str_pool {
	struct strblock *blocks; /* newest first; only the head has room */
	const char **slots;	 /* open-addressing set of stored strings */
	size_t nslots, nused;
};

/* The pool's copy of s (stored on first use), or NULL when out of memory. */
const char *str_pool_intern(struct str_pool *p, const char *s);
void str_pool_free(struct str_pool *p);
/* FNV-1a of n bytes; _more goes on from the hash of what came before. */
uint64_t str_pool_hash(const char *s, size_t n);
uint64_t str_pool_hash_more(uint64_t h, const char *s, size_t n);

#endif
