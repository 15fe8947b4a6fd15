//! wl-join: cattop test workload for awaits inside join!/select! macros and
//! for tasks aborted while parked (issue #15).
//!
//! Runtime: tokio multi-thread, 2 workers; root future `async_main` by
//! `block_on`. Tasks (names and the lines marked `// AWAIT:` are asserted on
//! by tests/integration/test_macro_await.py):
//!   tokio_join_task    -> tokio::join!(join_left (sleep 400 ms), join_right (sleep 300 ms)), forever
//!   tokio_select_task  -> tokio::select!{ select_slow (sleep 400 ms), select_slower (sleep 900 ms) }, forever
//!   futures_join_task  -> futures::join!(join_left, join_right), forever
//!   futures_select_task-> futures::select!{ select_slow, select_slower }, forever
//!   abort_task         -> every 50 ms spawns doomed(i) (doomed -> doomed_inner, sleep 10 s)
//!                         and aborts the one spawned 100 ms earlier, parked 2 deep
//!
//! Prints `ready pid=<pid>` once everything is spawned; exits 0 after
//! --seconds (default 30).

use std::io::Write;
use std::time::Duration;

use futures::FutureExt;
use tokio::time::sleep;

#[inline(never)]
async fn join_left() {
    sleep(Duration::from_millis(400)).await;
}

#[inline(never)]
async fn join_right() {
    sleep(Duration::from_millis(300)).await;
}

#[inline(never)]
async fn select_slow() {
    sleep(Duration::from_millis(400)).await;
}

#[inline(never)]
async fn select_slower() {
    sleep(Duration::from_millis(900)).await;
}

#[inline(never)]
async fn tokio_join_task() {
    loop {
        tokio::join!(join_left(), join_right()); // AWAIT: tokio_join
    }
}

#[inline(never)]
async fn tokio_select_task() {
    loop {
        tokio::select! { // AWAIT: tokio_select
            _ = select_slow() => {}
            _ = select_slower() => {}
        }
    }
}

#[inline(never)]
async fn futures_join_task() {
    loop {
        futures::join!(join_left(), join_right()); // AWAIT: futures_join
    }
}

#[inline(never)]
async fn futures_select_task() {
    loop {
        let slow = select_slow().fuse();
        let slower = select_slower().fuse();
        futures::pin_mut!(slow, slower);
        futures::select! { // AWAIT: futures_select
            _ = slow => {}
            _ = slower => {}
        }
    }
}

// ----------------------------------------------------------------- abort ---

#[inline(never)]
async fn doomed_inner() {
    sleep(Duration::from_secs(10)).await;
}

#[inline(never)]
async fn doomed(_i: u64) {
    doomed_inner().await;
}

#[inline(never)]
async fn abort_task() {
    let mut previous: Option<tokio::task::JoinHandle<()>> = None;
    let mut i = 0u64;
    loop {
        let next = tokio::spawn(doomed(i));
        i += 1;
        sleep(Duration::from_millis(100)).await;
        if let Some(h) = previous.take() {
            h.abort();
        }
        previous = Some(next);
    }
}

fn parse_seconds() -> u64 {
    let mut argv = std::env::args();
    let prog = argv.next().unwrap_or_default();
    let mut seconds = 30;
    while let Some(a) = argv.next() {
        let v = if a == "--seconds" {
            argv.next()
        } else {
            a.strip_prefix("--seconds=").map(str::to_string)
        };
        match v.and_then(|v| v.parse().ok()) {
            Some(n) => seconds = n,
            None => {
                eprintln!("{prog}: bad argument {a}\nusage: {prog} [--seconds N]");
                std::process::exit(2);
            }
        }
    }
    seconds
}

#[inline(never)]
async fn async_main(seconds: u64) {
    tokio::spawn(tokio_join_task());
    tokio::spawn(tokio_select_task());
    tokio::spawn(futures_join_task());
    tokio::spawn(futures_select_task());
    tokio::spawn(abort_task());
    println!("ready pid={}", std::process::id());
    let _ = std::io::stdout().flush();
    sleep(Duration::from_secs(seconds)).await;
    std::process::exit(0);
}

fn main() {
    let seconds = parse_seconds();
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(async_main(seconds));
}
