/* How a Rust Option<T> of a small T is laid out, from its DWARF (a struct
 * with a variant part): where its discriminant is and which value means
 * None, and where Some's payload is. rustc chooses: a separate tag (tokio
 * 1.24's Option<Id(u64)>: tag at 0, value at 8) or a niche in the payload
 * (tokio 1.53's Option<Id(NonZeroU64)>: None is 0, no tag). A reader that
 * is not cattop itself (a BPF program) gets these numbers to decide. */
#ifndef CATTOP_OPTION_LAYOUT_H
#define CATTOP_OPTION_LAYOUT_H

#include <elfutils/libdw.h>
#include <stdbool.h>
#include <stdint.h>

struct option_layout {
	uint64_t discr_off;  /* from the Option's start */
	uint64_t discr_size; /* 1..8 bytes */
	uint64_t none_value; /* the discriminant's value for None */
	uint64_t value_off;  /* Some's payload (a u64-sized one), from the start */
};

/* type is an Option<T> whose payload is 8 bytes. False if its DWARF is not
 * such a variant part. */
bool option_layout_read(Dwarf_Die *type, struct option_layout *out);

#endif
