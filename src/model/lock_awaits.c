#include "model/lock_awaits.h"

#include <fnmatch.h>
#include <stddef.h>

/* Type paths (globs) per library, and what the user wrote to get one. An
 * async fn's future is its {async_fn_env#N} in the fn's namespace, under
 * the {impl#N} block of its type; a hand-written future is its struct. */
static const struct {
	const char *type, *name;
} locks[] = {
    /* tokio (1.x): every lock waits in batch_semaphore::Acquire */
    {"tokio::sync::mutex::{impl#*}::lock::{async_fn_env#*", "tokio::sync::Mutex::lock"},
    {"tokio::sync::mutex::{impl#*}::lock_owned::{async_fn_env#*", "tokio::sync::Mutex::lock_owned"},
    {"tokio::sync::mutex::{impl#*}::acquire::{async_fn_env#*", "tokio::sync::Mutex::lock"},
    {"tokio::sync::rwlock::{impl#*}::read::{async_fn_env#*", "tokio::sync::RwLock::read"},
    {"tokio::sync::rwlock::{impl#*}::read_owned::{async_fn_env#*",
     "tokio::sync::RwLock::read_owned"},
    {"tokio::sync::rwlock::{impl#*}::write::{async_fn_env#*", "tokio::sync::RwLock::write"},
    {"tokio::sync::rwlock::{impl#*}::write_owned::{async_fn_env#*",
     "tokio::sync::RwLock::write_owned"},
    {"tokio::sync::semaphore::{impl#*}::acquire*::{async_fn_env#*",
     "tokio::sync::Semaphore::acquire"},
    {"tokio::sync::batch_semaphore::Acquire*", "tokio::sync::batch_semaphore::Acquire"},
    /* async-lock (async-std's Mutex and RwLock are its): async fns in 2.x,
     * futures of their own in 3.x */
    {"async_lock::mutex::{impl#*}::lock*::{async_*", "async_lock::Mutex::lock"},
    {"async_lock::mutex::Lock*", "async_lock::Mutex::lock"},
    {"async_lock::rwlock::{impl#*}::read::{async_fn_env#*", "async_lock::RwLock::read"},
    {"async_lock::rwlock::{impl#*}::upgradable_read::{async_fn_env#*",
     "async_lock::RwLock::upgradable_read"},
    {"async_lock::rwlock::{impl#*}::write::{async_fn_env#*", "async_lock::RwLock::write"},
    {"async_lock::rwlock::Read*", "async_lock::RwLock::read"},
    {"async_lock::rwlock::UpgradableRead*", "async_lock::RwLock::upgradable_read"},
    {"async_lock::rwlock::Write*", "async_lock::RwLock::write"},
    {"async_lock::semaphore::{impl#*}::acquire*::{async_*", "async_lock::Semaphore::acquire"},
    {"async_lock::semaphore::Acquire*", "async_lock::Semaphore::acquire"},
    /* futures (futures::lock::Mutex) */
    {"futures_util::lock::mutex::MutexLockFuture<*", "futures::lock::Mutex::lock"},
    {"futures_util::lock::mutex::OwnedMutexLockFuture<*", "futures::lock::Mutex::lock_owned"},
};

const char *lock_await_name(const char *awaitee_type)
{
	size_t i;

	if (!awaitee_type)
		return NULL;
	for (i = 0; i < sizeof(locks) / sizeof(locks[0]); i++)
		if (fnmatch(locks[i].type, awaitee_type, 0) == 0)
			return locks[i].name;
	return NULL;
}
