//! --sched-spin-ms S: tasks whose scheduled time (woken, waiting to be
//! polled) and wakes are known, for cattop's scheduled-time test. They run
//! on a smol::LocalExecutor of their own, run by one thread ("sched-rt"):
//! while one task runs, every other woken task waits.
//!
//!   sched_hog_task       -> wakes sched_woken_task, then spins S ms of CPU time in
//!                           the same poll; then sleeps 5 ms (the woken task runs)
//!   sched_woken_task     -> waits for the hog's wake, forever: each of its polls
//!                           follows one wake that waited >= S ms
//!   sched_self_wake_task -> a future that wakes itself inside its poll (wake_by_ref,
//!                           then Pending, Ready at the next poll); sleeps 10 ms

use std::sync::Arc;
use std::time::Duration;

#[path = "../../common/wake_sync.rs"]
mod wake_sync;

use crate::{sleep, SpinFuture};
use wake_sync::{SelfWake, Signal, Wait};

include!("../../common/sched_tasks.rs");

/// Starts the "sched-rt" thread and its executor; returns at once.
pub fn start(spin_ms: u64) {
    std::thread::Builder::new()
        .name("sched-rt".into())
        .spawn(move || {
            let ex = smol::LocalExecutor::new();
            let signal = Arc::new(Signal::default());
            ex.spawn(sched_woken_task(signal.clone())).detach();
            ex.spawn(sched_self_wake_task()).detach();
            ex.spawn(sched_hog_task(signal, Duration::from_millis(spin_ms))).detach();
            smol::block_on(ex.run(std::future::pending::<()>()));
        })
        .unwrap_or_else(|e| {
            eprintln!("wl-smol: cannot start the sched thread: {e}");
            std::process::exit(1);
        });
}
