/* A hash map from 64-bit keys to pointers (open addressing, linear probing,
 * backward-shift deletion so lookups never walk tombstones). */
#ifndef CATTOP_U64_MAP_H
#define CATTOP_U64_MAP_H

#include <stddef.h>
#include <stdint.h>

struct u64_map_slot {
	uint64_t key;
	void *value; /* NULL marks an empty slot */
};

struct u64_map {
	struct u64_map_slot *slots;
	size_t mask; /* capacity - 1, capacity a power of two */
	size_t count;
};

void *u64_map_get(const struct u64_map *map, uint64_t key);
/* Inserts or replaces; value must not be NULL. Returns 0 or -ENOMEM. */
int u64_map_put(struct u64_map *map, uint64_t key, void *value);
void *u64_map_remove(struct u64_map *map, uint64_t key);
void u64_map_free(struct u64_map *map);

#endif
