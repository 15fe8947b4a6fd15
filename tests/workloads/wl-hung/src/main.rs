//! wl-hung: a hung tokio service with known truth (cattop issue #14).
//!
//! Runtime: `tokio::runtime::Builder::new_multi_thread().worker_threads(2)`
//! (2 workers, no timer, no I/O driver). Every task is spawned from the main
//! thread with `Runtime::spawn` within the first ~200 ms; after that nothing
//! is ever polled again (nobody wakes anything):
//!
//!   deadlock_a      locks LOCK_A, meets deadlock_b at a barrier, then
//!                   `LOCK_B.lock().await` forever
//!   deadlock_b      locks LOCK_B, meets deadlock_a at the barrier, then
//!                   `LOCK_A.lock().await` forever
//!   connection_task (--idle N of them, default 100) `rx.recv().await` on an
//!                   mpsc channel whose sender the main thread keeps and never
//!                   sends on
//!   lost_waker_task (--lost N of them, default 0) awaits
//!                   `std::future::pending()`, which keeps no waker: nothing
//!                   can ever wake it (tokio-console's "lost waker"); its
//!                   JoinHandle is dropped
//!
//! Output (stdout, flushed): `ready pid=<pid> tasks=<T> deadlocked=2 idle=<N> lost=<M>`
//! once all tasks are spawned, have been polled once and are parked, then
//! `progress live=<L> parked=<P>` every 200 ms from the main thread: L = live
//! tasks (each holds a clone of one Arc: strong count - 1), P = tasks parked
//! at their final await. After --seconds (default 30): `done live=<L>`, exit 0
//! (no runtime shutdown: the deadlocked tasks would never finish).
//! Bad arguments: message on stderr, exit 2.

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, Barrier, Mutex};

static PARKED: AtomicU64 = AtomicU64::new(0);

struct Args {
    seconds: u64,
    idle: u64,
    lost: u64,
}

fn usage() -> &'static str {
    "usage: wl-hung [--seconds N] [--idle N] [--lost N]"
}

fn fail(msg: String) -> ! {
    eprintln!("wl-hung: {msg}\n{}", usage());
    std::process::exit(2);
}

fn parse_args() -> Args {
    let mut args = Args { seconds: 30, idle: 100, lost: 0 };
    let mut argv = std::env::args().skip(1);
    while let Some(arg) = argv.next() {
        if arg == "-h" || arg == "--help" {
            println!("{}", usage());
            std::process::exit(0);
        }
        let (name, inline_value) = match arg.split_once('=') {
            Some((n, v)) => (n.to_string(), Some(v.to_string())),
            None => (arg.clone(), None),
        };
        let slot = match name.as_str() {
            "--seconds" => &mut args.seconds,
            "--idle" => &mut args.idle,
            "--lost" => &mut args.lost,
            _ => fail(format!("unknown argument '{arg}'")),
        };
        let value = inline_value
            .or_else(|| argv.next())
            .unwrap_or_else(|| fail(format!("{name} needs a value")));
        *slot = value
            .parse::<u64>()
            .unwrap_or_else(|_| fail(format!("{name}: '{value}' is not a non-negative integer")));
    }
    args
}

/// Takes `first`, waits until the other task holds its first lock too, then
/// waits forever for `second` (the other task's first).
#[inline(never)]
async fn deadlock_a(
    first: Arc<Mutex<u64>>,
    second: Arc<Mutex<u64>>,
    barrier: Arc<Barrier>,
    _alive: Arc<()>,
) {
    let held = first.lock().await;
    barrier.wait().await;
    PARKED.fetch_add(1, Ordering::SeqCst);
    let other = second.lock().await;
    std::hint::black_box((*held, *other));
}

#[inline(never)]
async fn deadlock_b(
    first: Arc<Mutex<u64>>,
    second: Arc<Mutex<u64>>,
    barrier: Arc<Barrier>,
    _alive: Arc<()>,
) {
    let held = first.lock().await;
    barrier.wait().await;
    PARKED.fetch_add(1, Ordering::SeqCst);
    let other = second.lock().await;
    std::hint::black_box((*held, *other));
}

/// A connection waiting for a request that never comes.
#[inline(never)]
async fn connection_task(mut rx: mpsc::Receiver<u64>, _alive: Arc<()>) {
    PARKED.fetch_add(1, Ordering::SeqCst);
    let request = rx.recv().await;
    std::hint::black_box(request);
}

/// Parked where no waker is kept: it can never be polled again.
#[inline(never)]
async fn lost_waker_task(_alive: Arc<()>) {
    PARKED.fetch_add(1, Ordering::SeqCst);
    std::future::pending::<()>().await;
}

fn live_tasks(alive: &Arc<()>) -> usize {
    Arc::strong_count(alive) - 1
}

fn main() {
    let args = parse_args();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap_or_else(|e| {
            eprintln!("wl-hung: cannot build runtime: {e}");
            std::process::exit(1);
        });
    let alive = Arc::new(());
    let lock_a = Arc::new(Mutex::new(1u64));
    let lock_b = Arc::new(Mutex::new(2u64));
    let barrier = Arc::new(Barrier::new(2));
    rt.spawn(deadlock_a(lock_a.clone(), lock_b.clone(), barrier.clone(), alive.clone()));
    rt.spawn(deadlock_b(lock_b, lock_a, barrier, alive.clone()));
    // The senders stay alive (and silent) for the whole run.
    let mut senders = Vec::with_capacity(args.idle as usize);
    for _ in 0..args.idle {
        let (tx, rx) = mpsc::channel::<u64>(1);
        senders.push(tx);
        rt.spawn(connection_task(rx, alive.clone()));
    }
    for _ in 0..args.lost {
        drop(rt.spawn(lost_waker_task(alive.clone())));
    }
    let total = args.idle + 2 + args.lost;
    let start = Instant::now();
    while PARKED.load(Ordering::SeqCst) < total {
        if start.elapsed() > Duration::from_secs(10) {
            eprintln!("wl-hung: tasks not parked after 10 s");
            std::process::exit(1);
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "ready pid={} tasks={} deadlocked=2 idle={} lost={}",
        std::process::id(),
        total,
        args.idle,
        args.lost
    );
    let _ = out.flush();
    drop(out);
    let end = start + Duration::from_secs(args.seconds);
    while Instant::now() < end {
        std::thread::sleep(Duration::from_millis(200));
        let mut out = std::io::stdout().lock();
        let parked = PARKED.load(Ordering::SeqCst);
        let _ = writeln!(out, "progress live={} parked={}", live_tasks(&alive), parked);
        let _ = out.flush();
    }
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "done live={}", live_tasks(&alive));
    let _ = out.flush();
    std::hint::black_box(&senders);
    std::process::exit(0);
}
