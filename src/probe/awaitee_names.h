/* What a suspended coroutine awaits: the type of each suspend state's
 * __awaitee (the future the .await holds), named by its Rust path, e.g.
 * "tokio::sync::mutex::{impl#7}::lock::{async_fn_env#0}<u64>", so a lint
 * can tell a task parked on a lock from one parked on a channel. */
#ifndef CATTOP_AWAITEE_NAMES_H
#define CATTOP_AWAITEE_NAMES_H

#include <elfutils/libdw.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The DIE offset of the __awaitee's type in a state's variant member (its
 * type is the SuspendN struct holding __awaitee); false if it has none. */
bool awaitee_type_offset(Dwarf_Die *state_member, Dwarf_Off *off);

/* One type to name: the compile unit it lies in, its DIE, and where the
 * malloc'd name goes (left as it is when not found). */
struct awaitee_wanted {
	Dwarf_Off cu;
	Dwarf_Off type;
	char **name;
};

/* Names every wanted type, walking each compile unit's namespaces once:
 * libdw keeps no parent links, and asking the scopes of each type
 * (dwarf_getscopes_die) would walk its unit once per type. Sorts w. */
void awaitee_names_resolve(Dwarf *dw, struct awaitee_wanted *w, size_t n);

#endif
