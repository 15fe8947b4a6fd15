#include "util/u64_map.h"

#include <errno.h>
#include <stdlib.h>

static size_t slot_of(uint64_t key, size_t mask)
{
	/* Pointers and tids have poor low bits; mix them (splitmix64 finaliser). */
	key ^= key >> 31;
	key *= 0x7fb5d329728ea185ULL;
	key ^= key >> 27;
	key *= 0x81dadef4bc2dd44dULL;
	key ^= key >> 33;
	return key & mask;
}

void *u64_map_get(const struct u64_map *map, uint64_t key)
{
	size_t i;

	if (!map->slots)
		return NULL;
	for (i = slot_of(key, map->mask); map->slots[i].value; i = (i + 1) & map->mask)
		if (map->slots[i].key == key)
			return map->slots[i].value;
	return NULL;
}

static void insert_slot(struct u64_map_slot *slots, size_t mask, uint64_t key, void *value)
{
	size_t i = slot_of(key, mask);

	while (slots[i].value && slots[i].key != key)
		i = (i + 1) & mask;
	slots[i].key = key;
	slots[i].value = value;
}

static int grow(struct u64_map *map)
{
	size_t cap = map->slots ? (map->mask + 1) * 2 : 64, i;
	struct u64_map_slot *slots = calloc(cap, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (i = 0; map->slots && i <= map->mask; i++)
		if (map->slots[i].value)
			insert_slot(slots, cap - 1, map->slots[i].key, map->slots[i].value);
	free(map->slots);
	map->slots = slots;
	map->mask = cap - 1;
	return 0;
}

int u64_map_put(struct u64_map *map, uint64_t key, void *value)
{
	if (!map->slots || (map->count + 1) * 4 > (map->mask + 1) * 3) {
		if (grow(map))
			return -ENOMEM;
	}
	if (!u64_map_get(map, key))
		map->count++;
	insert_slot(map->slots, map->mask, key, value);
	return 0;
}

void *u64_map_remove(struct u64_map *map, uint64_t key)
{
	size_t i, j, home;
	void *value;

	if (!map->slots)
		return NULL;
	for (i = slot_of(key, map->mask); map->slots[i].value; i = (i + 1) & map->mask)
		if (map->slots[i].key == key)
			break;
	value = map->slots[i].value;
	if (!value)
		return NULL;
	/* Shift later members of the run back so no hole breaks a probe chain. */
	for (j = (i + 1) & map->mask; map->slots[j].value; j = (j + 1) & map->mask) {
		home = slot_of(map->slots[j].key, map->mask);
		if (((j - home) & map->mask) >= ((j - i) & map->mask)) {
			map->slots[i] = map->slots[j];
			i = j;
		}
	}
	map->slots[i].value = NULL;
	map->count--;
	return value;
}

void u64_map_free(struct u64_map *map)
{
	free(map->slots);
	map->slots = NULL;
	map->mask = 0;
	map->count = 0;
}
