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

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use tokio::time::sleep;

use crate::SpinFuture;

/// One flag: set() wakes the task waiting in Wait (std only: the workload
/// builds without tokio's "sync" feature).
#[derive(Default)]
pub struct Signal {
    state: Mutex<(bool, Option<Waker>)>,
}

impl Signal {
    fn set(&self) {
        let waker = {
            let mut s = self.state.lock().unwrap();
            s.0 = true;
            s.1.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}

struct Wait<'a>(&'a Signal);

impl Future for Wait<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut s = self.0.state.lock().unwrap();
        if s.0 {
            s.0 = false;
            return Poll::Ready(());
        }
        s.1 = Some(cx.waker().clone());
        Poll::Pending
    }
}

#[inline(never)]
async fn sched_hog_task(signal: Arc<Signal>, spin: Duration) {
    loop {
        signal.set();
        SpinFuture::new(spin).await;
        sleep(Duration::from_millis(5)).await;
    }
}

#[inline(never)]
async fn sched_woken_task(signal: Arc<Signal>) {
    loop {
        Wait(&signal).await;
    }
}

/// Pending once, after waking itself: a self-wake inside its own poll.
struct SelfWake(bool);

impl Future for SelfWake {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

#[inline(never)]
async fn sched_self_wake_task() {
    loop {
        SelfWake(false).await;
        sleep(Duration::from_millis(10)).await;
    }
}

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
