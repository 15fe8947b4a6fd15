//! wl-async-std: cattop test workload on async-std's global executor.
//!
//! Runtime: async-std 1.12 runs its tasks on async-global-executor; the number
//! of executor threads ("async-std/runtime") is read from ASYNC_STD_THREAD_COUNT
//! when the runtime is first used. `main` sets ASYNC_STD_THREAD_COUNT=2 (always,
//! overriding the environment) before any async-std call, so there are exactly
//! 2 worker threads. The root future `async_main` is driven by
//! `async_std::task::block_on` on the main thread (not a worker). async-io's
//! reactor thread ("async-io") drives timers when no worker does.
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
//! With --sched-spin-ms S, also the tasks of sched.rs on an executor of their own.
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

use async_std::task::sleep;

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

#[inline(never)]
async fn spawner_task() {
    let mut i: u64 = 0;
    loop {
        let handle = async_std::task::spawn(short_lived(i));
        drop(handle); // dropping an async-std JoinHandle detaches the task
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
    use async_std::task::spawn;
    spawn(ticker_task());
    spawn(parked_task());
    spawn(blocker_task());
    spawn(spinner_task());
    spawn(wedged_task(args.wedge_after(), args.wedge(), args.wedge_file.clone()));
    spawn(spawner_task());
    spawn(fast_task());

    let _hung_sender = if args.hung > 0 { Some(spawn_hung(args.hung).await) } else { None };

    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "ready pid={}", std::process::id());
    let _ = out.flush();
    drop(out);

    sleep(args.run_time()).await;
    // Exit right away: do not wait for anything (a worker may be wedged).
    let _ = std::io::stdout().flush();
    std::process::exit(0);
}

// --hung N: known truth for the task-list walk (cattop issue #14). The tasks
// are spawned on the runtime's global executor, each polled once until it
// parks for good (nobody ever sends or unlocks), before the ready line.

static HUNG_PARKED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Waits for a message that never comes (the main task keeps the sender).
#[inline(never)]
async fn hung_recv_task(rx: async_std::channel::Receiver<u64>) {
    HUNG_PARKED.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let msg = rx.recv().await;
    std::hint::black_box(msg.ok());
}

/// Takes `first`, meets the other (each tells, then hears), then waits forever for
/// `second` (the other's first).
#[inline(never)]
async fn hung_deadlock_a(
    first: std::sync::Arc<async_std::sync::Mutex<u64>>,
    second: std::sync::Arc<async_std::sync::Mutex<u64>>,
    tell: async_std::channel::Sender<()>,
    hear: async_std::channel::Receiver<()>,
) {
    let held = first.lock().await;
    // Both hold their first lock before either asks for its second.
    let _ = tell.send(()).await;
    let _ = hear.recv().await;
    HUNG_PARKED.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let other = second.lock().await;
    std::hint::black_box((*held, *other));
}

#[inline(never)]
async fn hung_deadlock_b(
    first: std::sync::Arc<async_std::sync::Mutex<u64>>,
    second: std::sync::Arc<async_std::sync::Mutex<u64>>,
    tell: async_std::channel::Sender<()>,
    hear: async_std::channel::Receiver<()>,
) {
    let held = first.lock().await;
    // Both hold their first lock before either asks for its second.
    let _ = tell.send(()).await;
    let _ = hear.recv().await;
    HUNG_PARKED.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let other = second.lock().await;
    std::hint::black_box((*held, *other));
}

/// Spawns the --hung tasks and waits until all are parked; returns the
/// sender, to be kept (a dropped sender would end the receivers).
async fn spawn_hung(n: u64) -> async_std::channel::Sender<u64> {
    let (tx, rx) = async_std::channel::unbounded::<u64>();
    for _ in 0..n {
        async_std::task::spawn(hung_recv_task(rx.clone()));
    }
    let a = std::sync::Arc::new(async_std::sync::Mutex::new(0u64));
    let b = std::sync::Arc::new(async_std::sync::Mutex::new(0u64));
    let (tell_a, hear_b) = async_std::channel::bounded::<()>(1);
    let (tell_b, hear_a) = async_std::channel::bounded::<()>(1);
    async_std::task::spawn(hung_deadlock_a(a.clone(), b.clone(), tell_a, hear_a));
    async_std::task::spawn(hung_deadlock_b(b, a, tell_b, hear_b));
    while HUNG_PARKED.load(std::sync::atomic::Ordering::SeqCst) < n + 2 {
        sleep(Duration::from_millis(5)).await;
    }
    // Parked means about to await: let the last ones reach their await.
    sleep(Duration::from_millis(50)).await;
    tx
}

fn main() {
    let args = args::parse();
    // Must happen before the first async-std call: the global runtime reads it
    // once, lazily, on first use.
    std::env::set_var("ASYNC_STD_THREAD_COUNT", "2");
    async_std::task::block_on(async_main(args));
}
