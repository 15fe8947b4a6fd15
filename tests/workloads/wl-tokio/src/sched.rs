//! --sched-spin-ms S: tasks whose scheduled time (woken, waiting to be
//! polled) and wakes are known, for cattop's scheduled-time test. They run
//! on a current_thread runtime of their own thread ("sched-rt"): one
//! worker, so while one task runs every other woken task waits.
//!
//!   sched_hog_task       -> wakes sched_woken_task, then spins S ms of CPU time in
//!                           the same poll; then sleeps 5 ms (the woken task runs)
//!   sched_woken_task     -> waits for the hog's wake, forever: each of its polls
//!                           follows one wake that waited >= S ms
//!   sched_self_wake_task -> a future that wakes itself inside its poll (wake_by_ref,
//!                           then Pending, Ready at the next poll); sleeps 10 ms
//!   sched_yield_task     -> tokio::task::yield_now() (tokio defers that wake until
//!                           after the poll); sleeps 10 ms

use std::sync::Arc;
use std::time::Duration;

// std only: the workload builds without tokio's "sync" feature.
#[path = "../../common/wake_sync.rs"]
mod wake_sync;

use tokio::time::sleep;

use crate::SpinFuture;
use wake_sync::{SelfWake, Signal, Wait};

include!("../../common/sched_tasks.rs");

#[inline(never)]
async fn sched_yield_task() {
    loop {
        tokio::task::yield_now().await;
        sleep(Duration::from_millis(10)).await;
    }
}

/// Starts the "sched-rt" thread and its runtime; returns at once.
pub fn start(spin_ms: u64) {
    std::thread::Builder::new()
        .name("sched-rt".into())
        .spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .build()
                .unwrap_or_else(|e| {
                    eprintln!("wl-tokio: cannot build the sched runtime: {e}");
                    std::process::exit(1);
                });
            let signal = Arc::new(Signal::default());
            rt.spawn(sched_woken_task(signal.clone()));
            rt.spawn(sched_self_wake_task());
            rt.spawn(sched_yield_task());
            rt.spawn(sched_hog_task(signal, Duration::from_millis(spin_ms)));
            rt.block_on(std::future::pending::<()>());
        })
        .unwrap_or_else(|e| {
            eprintln!("wl-tokio: cannot start the sched thread: {e}");
            std::process::exit(1);
        });
}
