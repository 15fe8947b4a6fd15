/* Where a thread-local variable of the executable lies in each thread's TLS
 * block: its symbol's offset in the TLS segment and the block's distance
 * below the thread pointer (x86-64 TLS variant II, the executable's block
 * first, as glibc's and musl's static TLS layouts place it). */
#ifndef CATTOP_TLS_SYMBOL_H
#define CATTOP_TLS_SYMBOL_H

#include <stddef.h>
#include <stdint.h>

struct tls_symbol {
	char *name;	      /* mangled, as in .symtab (and DW_AT_linkage_name) */
	uint64_t offset;      /* st_value: in the TLS segment */
	uint64_t block_below; /* thread pointer minus the segment's start */
};

/* The first STT_TLS symbol whose mangled name contains needle. Returns 0,
 * -ENOENT (no such symbol, or no PT_TLS), or another -errno. */
int tls_symbol_find(const char *elf_path, const char *needle, struct tls_symbol *out);
void tls_symbol_free(struct tls_symbol *s);

/* The variable's address in the thread whose thread pointer is tp. */
static inline uint64_t tls_symbol_address(const struct tls_symbol *s, uint64_t tp)
{
	return tp - s->block_below + s->offset;
}

#endif
