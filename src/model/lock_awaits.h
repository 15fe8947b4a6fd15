/* Which awaited futures are lock acquisitions: a task parked on one waits
 * for whoever holds the lock (awaiting_lock, task_lints.h). Known by the
 * future's type, its Rust path as DWARF names it (awaitee_names.h). */
#ifndef CATTOP_LOCK_AWAITS_H
#define CATTOP_LOCK_AWAITS_H

/* The lock operation an awaited future of this type is ("tokio::sync::
 * Mutex::lock"), NULL if it is none. */
const char *lock_await_name(const char *awaitee_type);

#endif
