//! wl-tokio: cattop test workload on tokio's multi-threaded runtime.
//!
//! Runtime: `tokio::runtime::Builder::new_multi_thread().worker_threads(2)`,
//! i.e. exactly 2 worker threads ("tokio-runtime-worker"); the root future
//! `async_main` is driven by `block_on` on the main thread (not a worker).
//!
//! Tasks (names are asserted on by tests/integration, do not rename):
//!   ticker_task  -> nested_outer -> nested_middle -> nested_inner (sleep 1 ms); then sleep 10 ms
//!   parked_task  -> parked_outer -> parked_inner (sleep 300 ms), forever
//!   blocker_task -> inline async block doing std::thread::sleep(2 ms); then sleep 20 ms
//!   spinner_task -> SpinFuture (one poll, busy-waits 3 ms of CPU time); then sleep 20 ms
//!   wedged_task  -> sleep --wedge-after-ms (and wait for --wedge-file), then wedged_loop spins
//!                   --wedge-ms without yielding; ends
//!   spawner_task -> every 50 ms spawns a detached short_lived(i) task (sleep 5 ms, return)
//!   fast_task    -> sleep 1 ms + trivial computation, forever
//!
//! With --sched-spin-ms S, also the tasks of sched.rs on a runtime of their own.
//! With --yield-loops N, also N yield_loop_task: `loop { yield_now().await }`,
//! woken by nobody but itself (tokio-console's self-wake lint), a worker busy.
//!
//! Prints `ready pid=<pid>` once everything is spawned; exits 0 after --seconds.

use std::future::Future;
use std::io::Write;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

#[path = "../../common/args.rs"]
mod args;
#[path = "../../common/thread_cpu.rs"]
mod thread_cpu;
mod sched;

use tokio::time::sleep;

// ---------------------------------------------------------------- ticker ---

#[inline(never)]
async fn ticker_task() {
    loop {
        nested_outer().await;
        sleep(Duration::from_millis(10)).await;
    }
}

#[inline(never)]
async fn nested_outer() {
    nested_middle().await;
}

#[inline(never)]
async fn nested_middle() {
    nested_inner().await;
}

#[inline(never)]
async fn nested_inner() {
    sleep(Duration::from_millis(1)).await;
}

// --------------------------------------------------------------- blocker ---

#[inline(never)]
async fn blocker_task() {
    loop {
        // Deliberately blocking call inside an async block nested in blocker_task:
        // every poll of this block takes ~2 ms.
        let blocking = async {
            std::thread::sleep(Duration::from_millis(2));
        };
        blocking.await;
        sleep(Duration::from_millis(20)).await;
    }
}

// --------------------------------------------------------------- spinner ---

/// Hand-written future: a single poll that busy-waits for `dur` of the
/// thread's CPU time (not wall time: see thread_cpu.rs), then Ready.
pub struct SpinFuture {
    dur: Duration,
}

impl SpinFuture {
    #[inline(never)]
    pub fn new(dur: Duration) -> Self {
        SpinFuture { dur }
    }
}

impl Future for SpinFuture {
    type Output = ();

    #[inline(never)]
    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        let start = thread_cpu::thread_cpu_time();
        while thread_cpu::thread_cpu_time() - start < self.dur {
            std::hint::spin_loop();
        }
        Poll::Ready(())
    }
}

#[inline(never)]
async fn spinner_task() {
    loop {
        SpinFuture::new(Duration::from_millis(3)).await;
        sleep(Duration::from_millis(20)).await;
    }
}

// ---------------------------------------------------------------- wedged ---

#[inline(never)]
async fn wedged_task(after: Duration, dur: Duration, start_file: Option<String>) {
    sleep(after).await;
    // With --wedge-file the wedge also waits for the test to create that
    // file, once cattop is attached (however long that took under load).
    if let Some(path) = start_file {
        while !std::path::Path::new(&path).exists() {
            sleep(Duration::from_millis(10)).await;
        }
    }
    wedged_loop(dur).await;
}

/// Spins for `dur` without ever awaiting: wedges the worker thread.
#[inline(never)]
async fn wedged_loop(dur: Duration) {
    let start = Instant::now();
    let mut x: u64 = 0;
    while start.elapsed() < dur {
        x = std::hint::black_box(x.wrapping_add(1));
    }
    std::hint::black_box(x);
}

// ----------------------------------------------------- short-lived tasks ---

/// One of --idle-tasks: alive for the whole run, one short poll a period
/// (--idle-period-ms, a second by default).
#[inline(never)]
async fn idle_task(i: u64, period_ms: u64) {
    let period_us = period_ms.max(1) * 1000;
    // Spread the wakeups over the period instead of all at once.
    sleep(Duration::from_micros((i * 7919) % period_us)).await;
    loop {
        sleep(Duration::from_micros(period_us)).await;
    }
}

#[inline(never)]
async fn spawner_task() {
    let mut i: u64 = 0;
    loop {
        let handle = tokio::spawn(short_lived(i));
        drop(handle); // dropping a tokio JoinHandle detaches the task
        i += 1;
        sleep(Duration::from_millis(50)).await;
    }
}

#[inline(never)]
async fn short_lived(i: u64) {
    sleep(Duration::from_millis(5)).await;
    std::hint::black_box(i);
}

// ------------------------------------------------------------------ fast ---

#[inline(never)]
async fn fast_task() {
    let mut acc: u64 = 0;
    let mut i: u64 = 0;
    loop {
        sleep(Duration::from_millis(1)).await;
        i += 1;
        acc = std::hint::black_box(acc.wrapping_mul(31).wrapping_add(i));
    }
}

// ------------------------------------------------------------ yield loop ---

/// Yields and does nothing else: every wake is its own, every poll one
/// yield; its worker runs it all the time it does not run another task.
#[inline(never)]
async fn yield_loop_task() {
    let mut yields: u64 = 0;
    loop {
        tokio::task::yield_now().await;
        yields = std::hint::black_box(yields + 1);
    }
}

// --------------------------------------------------------------- sleeper ---

/// Parked almost all the time three async fns deep: parked_inner's 300 ms
/// sleep; an idle task whose await stack the tests know line by line.
#[inline(never)]
async fn parked_task() {
    loop {
        parked_outer().await;
    }
}

#[inline(never)]
async fn parked_outer() {
    parked_inner().await;
}

#[inline(never)]
async fn parked_inner() {
    sleep(Duration::from_millis(300)).await;
}

// ------------------------------------------------------------------ main ---

#[inline(never)]
async fn async_main(args: args::Args) {
    if args.sched_spin_ms > 0 {
        sched::start(args.sched_spin_ms);
    }
    for i in 0..args.idle_tasks {
        tokio::spawn(idle_task(i, args.idle_period_ms));
    }
    tokio::spawn(ticker_task());
    tokio::spawn(parked_task());
    tokio::spawn(blocker_task());
    tokio::spawn(spinner_task());
    tokio::spawn(wedged_task(args.wedge_after(), args.wedge(), args.wedge_file.clone()));
    tokio::spawn(spawner_task());
    tokio::spawn(fast_task());
    for _ in 0..args.yield_loops {
        tokio::spawn(yield_loop_task());
    }

    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "ready pid={}", std::process::id());
    let _ = out.flush();
    drop(out);

    sleep(args.run_time()).await;
    // Exit right away: do not wait for runtime shutdown (a worker may be wedged).
    let _ = std::io::stdout().flush();
    std::process::exit(0);
}

fn main() {
    let args = args::parse();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .unwrap_or_else(|e| {
            eprintln!("wl-tokio: cannot build runtime: {e}");
            std::process::exit(1);
        });
    rt.block_on(async_main(args));
}
