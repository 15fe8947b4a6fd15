/* The probe sites of a binary, kept between runs: finding them means
 * demangling every symbol and walking all of the DWARF, a few hundred
 * milliseconds for a large debug build, while a cached table loads in a few.
 * Keyed by the binary's build id and everything that chooses the sites (the
 * options and the runtime profiles); checked against the binary's size and
 * time, and every cached site must pass the scan's own proof (site_proof.h)
 * before a probe goes there: one that fails discards the cache. Only files owned by
 * cattop's user and writable by no one else are trusted. */
#ifndef CATTOP_SITE_CACHE_H
#define CATTOP_SITE_CACHE_H

#include <stdint.h>

#include "config/config.h"
#include "probe/inlined_futures.h"
#include "probe/site_table.h"

struct elf_symbols;

struct site_cache_key {
	const char *binary;	/* file the probes go on */
	const char *dwarf_path; /* "" without DWARF */
	const struct site_scan_opts *opts;
};

/* 0 when the cached table was loaded into sites and inlined; -errno
 * otherwise (-ENOENT: no usable cache). */
int site_cache_load(const struct site_cache_key *key, const struct elf_symbols *syms,
		    struct site_table *sites, struct inlined_futures *inlined);
/* Best effort: a cache that cannot be written is simply not there next time. */
void site_cache_store(const struct site_cache_key *key, const struct site_table *sites,
		      const struct inlined_futures *inlined);

#endif
