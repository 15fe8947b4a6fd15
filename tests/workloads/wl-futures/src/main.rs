//! wl-futures: cattop test workload on futures-rs's own executors, the ones
//! the CAT paper (Section 2.2.3) names: no tokio, async-std or smol.
//!
//! - `ThreadPool` ("pool-0", "pool-1"): pool_task -> pool_work, which blocks
//!   its thread 2 ms (std::thread::sleep), then waits 10 ms.
//! - `LocalPool` on thread "local-pool": local_task -> local_work (1 ms
//!   sleep), then waits 10 ms.
//! - `block_on` on the main thread: async_main, which spawns the above and
//!   waits out --seconds.
//!
//! Waiting is a oneshot channel a helper thread completes (futures has no
//! timer). Prints `ready pid=<pid>` once everything is spawned; exits 0 after
//! --seconds. Names and lines are asserted on by tests/integration.

use std::io::Write;
use std::time::{Duration, Instant};

#[allow(dead_code)] // the wedge options are not used here
#[path = "../../common/args.rs"]
mod args;

use futures::channel::oneshot;
use futures::executor::{block_on, LocalPool, ThreadPool};
use futures::task::{LocalSpawnExt, SpawnExt};

/// Completes after dur: a helper thread sleeps, then sends.
fn delay(dur: Duration) -> oneshot::Receiver<()> {
    let (tx, rx) = oneshot::channel();
    std::thread::spawn(move || {
        std::thread::sleep(dur);
        let _ = tx.send(());
    });
    rx
}

#[inline(never)]
async fn pool_task() {
    loop {
        pool_work().await;
        let _ = delay(Duration::from_millis(10)).await;
    }
}

#[inline(never)]
async fn pool_work() {
    std::thread::sleep(Duration::from_millis(2));
}

#[inline(never)]
async fn local_task() {
    loop {
        local_work().await;
        let _ = delay(Duration::from_millis(10)).await;
    }
}

#[inline(never)]
async fn local_work() {
    std::thread::sleep(Duration::from_millis(1));
}

#[inline(never)]
async fn async_main(
    pool: ThreadPool,
    run_time: Duration,
) {
    pool.spawn(pool_task()).expect("spawn on the thread pool");
    std::thread::Builder::new()
        .name("local-pool".into())
        .spawn(|| {
            let mut local = LocalPool::new();
            local.spawner().spawn_local(local_task()).expect("spawn on the local pool");
            local.run();
        })
        .expect("local pool thread");
    println!("ready pid={}", std::process::id());
    let _ = std::io::stdout().flush();
    let start = Instant::now();
    while start.elapsed() < run_time {
        let _ = delay(Duration::from_millis(20)).await;
    }
}

fn main() {
    let args = args::parse();
    let pool = ThreadPool::builder()
        .pool_size(2)
        .name_prefix("pool-")
        .create()
        .expect("thread pool");
    block_on(async_main(pool, args.run_time()));
}
