//! bench-tokio: cattop's benchmark server on tokio (2 worker threads).
//! Also built, from this same file, as bench-tokio-tracing (feature
//! `tracing`: every future below inside a `tracing` span, timed by the
//! in-process subscriber in span_timing.rs).
//!
//! --mode serve (default): TCP server on 127.0.0.1:--port (0 = any), one
//! `conn_loop` task per connection, one `handle_request` task per request:
//!
//!   handle_request                      task root, async fn
//!   └─ WithTimeout                      hand-written future (tokio Sleep as the deadline)
//!      └─ process_request               async fn
//!         ├─ decode_stage               async fn
//!         │  └─ lookup_stage            async fn: tokio::task::yield_now()
//!         ├─ ChecksumFuture             hand-written future, yields once
//!         └─ async block ("encode")
//!
//! --mode scale: after `go` on stdin, --idle-tasks tasks (`idle_task`, woken
//! every --idle-wake-ms) and --short-tasks short tasks (`short_task` ->
//! `short_inner`) spawned at --short-rate a second.
//! --mode flood: after `go`, --flood-tasks `flood_task`s polling
//! `flood_step` (one yield each) at --flood-rate polls/s in all (0 = flat
//! out) for --seconds; then prints `flood polls=N secs=S rate=R`.
//!
//! Names are used by bench/*.py: keep them.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::sleep;

#[path = "../../common/bench_common.rs"]
mod common;
use common::*;

#[cfg(feature = "tracing")]
mod span_timing;

/// `instr!(future, "name")`: the future inside a tracing span in the
/// tracing build, the bare future otherwise.
#[cfg(feature = "tracing")]
macro_rules! instr {
    ($f:expr, $name:literal) => {
        tracing::Instrument::instrument($f, tracing::info_span!($name))
    };
}
#[cfg(not(feature = "tracing"))]
macro_rules! instr {
    ($f:expr, $name:literal) => {
        $f
    };
}

// ------------------------------------------------------------------ serve ---

#[inline(never)]
#[cfg_attr(feature = "tracing", tracing::instrument(level = "info", skip_all))]
async fn accept_loop(listener: TcpListener, rounds: u32) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                let _ = stream.set_nodelay(true);
                tokio::spawn(conn_loop(stream, rounds));
            }
            Err(e) => {
                eprintln!("bench-tokio: accept: {e}");
                sleep(Duration::from_millis(10)).await;
            }
        }
    }
}

/// One task per connection: read a request, run it as its own task, answer.
#[inline(never)]
#[cfg_attr(feature = "tracing", tracing::instrument(level = "info", skip_all))]
async fn conn_loop(mut stream: TcpStream, rounds: u32) {
    let mut buf = [0u8; REQ_LEN];
    loop {
        if stream.read_exact(&mut buf).await.is_err() {
            break;
        }
        let req = Request::decode(&buf, rounds);
        let resp = match tokio::spawn(handle_request(req)).await {
            Ok(r) => r,
            Err(_) => break,
        };
        // Counted before the write: once the client has the answer, it is counted.
        SERVED.fetch_add(1, Ordering::Relaxed);
        if stream.write_all(&resp.encode()).await.is_err() {
            break;
        }
    }
}

#[inline(never)]
#[cfg_attr(feature = "tracing", tracing::instrument(level = "info", skip_all, fields(req = req.id)))]
async fn handle_request(req: Request) -> Response {
    let value = WithTimeout::new(process_request(req), sleep(REQUEST_TIMEOUT))
        .await
        .unwrap_or(u64::MAX);
    Response { id: req.id, value }
}

#[inline(never)]
#[cfg_attr(feature = "tracing", tracing::instrument(level = "info", skip_all))]
async fn process_request(req: Request) -> u64 {
    let quarter = req.rounds / 4;
    let key = decode_stage(req).await;
    let sum = instr!(ChecksumFuture::new(key, quarter), "checksum").await;
    let rest = req.rounds - 3 * quarter;
    let encoded = instr!(async move { mix_rounds(sum ^ req.id, rest) }, "encode").await;
    encoded
}

#[inline(never)]
#[cfg_attr(feature = "tracing", tracing::instrument(level = "info", skip_all))]
async fn decode_stage(req: Request) -> u64 {
    let quarter = req.rounds / 4;
    let k = mix_rounds(req.id.wrapping_add(req.flags as u64), quarter);
    lookup_stage(k, quarter).await
}

#[inline(never)]
#[cfg_attr(feature = "tracing", tracing::instrument(level = "info", skip_all))]
async fn lookup_stage(key: u64, rounds: u32) -> u64 {
    tokio::task::yield_now().await;
    mix_rounds(key, rounds)
}

async fn serve(args: Args) {
    let listener = match TcpListener::bind(("127.0.0.1", args.port)).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("bench-tokio: bind 127.0.0.1:{}: {e}", args.port);
            std::process::exit(1);
        }
    };
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
    stdin_control(|| {}, at_exit);
    print_ready(port);
    accept_loop(listener, args.rounds).await;
}

// ------------------------------------------------------------------ scale ---

static SHORT_DONE: AtomicU64 = AtomicU64::new(0);

#[inline(never)]
async fn idle_task(i: u64, wake: Duration) {
    // Spread the wakeups over the period.
    sleep(Duration::from_micros((i * 7919) % (wake.as_micros() as u64).max(1))).await;
    loop {
        sleep(wake).await;
    }
}

#[inline(never)]
async fn short_task(i: u64) {
    short_inner(i).await;
    SHORT_DONE.fetch_add(1, Ordering::Relaxed);
}

#[inline(never)]
async fn short_inner(i: u64) {
    tokio::task::yield_now().await;
    std::hint::black_box(mix_rounds(i, 64));
}

#[inline(never)]
async fn short_spawner(total: u64, per_sec: u64) {
    let start = Instant::now();
    let mut spawned: u64 = 0;
    let tick = Duration::from_millis(10);
    let mut next = start;
    while spawned < total {
        next += tick;
        // Catch up to where the rate says we should be.
        let due = ((next - start).as_secs_f64() * per_sec as f64) as u64;
        while spawned < total.min(due) {
            drop(tokio::spawn(short_task(spawned)));
            spawned += 1;
        }
        tokio::time::sleep_until(next.into()).await;
    }
    print_line(&format!(
        "scale short_spawned={spawned} secs={:.3}",
        start.elapsed().as_secs_f64()
    ));
}

async fn scale(args: Args, go: tokio::sync::oneshot::Receiver<()>) {
    print_ready(0);
    let _ = go.await;
    let wake = Duration::from_millis(args.idle_wake_ms);
    for i in 0..args.idle_tasks {
        drop(tokio::spawn(idle_task(i, wake)));
    }
    print_line(&format!("scale idle_spawned={}", args.idle_tasks));
    short_spawner(args.short_tasks, args.short_rate).await;
    std::future::pending::<()>().await;
}

// ------------------------------------------------------------------ flood ---

#[inline(never)]
async fn flood_step() {
    tokio::task::yield_now().await;
}

/// `per_tick` polls every 10 ms (0: back to back) until `end`.
#[inline(never)]
async fn flood_task(per_tick: u64, end: Instant, count: Arc<AtomicU64>) {
    let tick = Duration::from_millis(10);
    let mut next = Instant::now();
    let mut n: u64 = 0;
    while Instant::now() < end {
        if per_tick == 0 {
            for _ in 0..64 {
                flood_step().await;
            }
            n += 64;
        } else {
            for _ in 0..per_tick {
                flood_step().await;
            }
            n += per_tick;
            next += tick;
            tokio::time::sleep_until(next.into()).await;
        }
    }
    count.fetch_add(n, Ordering::Relaxed);
}

async fn flood(args: Args, go: tokio::sync::oneshot::Receiver<()>) {
    print_ready(0);
    let _ = go.await;
    let start = Instant::now();
    let end = start + Duration::from_secs_f64(args.seconds);
    let per_tick = if args.flood_rate == 0 {
        0
    } else {
        (args.flood_rate / 100 / args.flood_tasks).max(1)
    };
    let count = Arc::new(AtomicU64::new(0));
    let handles: Vec<_> = (0..args.flood_tasks)
        .map(|_| tokio::spawn(flood_task(per_tick, end, count.clone())))
        .collect();
    for h in handles {
        let _ = h.await;
    }
    let secs = start.elapsed().as_secs_f64();
    let n = count.load(Ordering::Relaxed);
    print_line(&format!("flood polls={n} secs={secs:.3} rate={:.0}", n as f64 / secs));
    std::future::pending::<()>().await;
}

// ------------------------------------------------------------------- main ---

fn at_exit() {
    #[cfg(feature = "tracing")]
    {
        let s = tracing::dispatcher::get_default(|d| {
            d.downcast_ref::<span_timing::SpanTiming>().map(|s| s.summary())
        });
        if let Some(s) = s {
            eprintln!("{s}");
        }
    }
    let done = SHORT_DONE.load(Ordering::Relaxed);
    if done > 0 {
        print_line(&format!("scale short_done={done}"));
    }
}

fn run<F: Future<Output = ()>>(workers: usize, f: F) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .expect("tokio runtime");
    rt.block_on(f);
}

fn main() {
    let args = parse_args();
    #[cfg(feature = "tracing")]
    tracing::subscriber::set_global_default(span_timing::SpanTiming::new())
        .expect("set the tracing subscriber");
    let workers = args.workers;
    match args.mode {
        Mode::Serve => run(workers, serve(args)),
        Mode::Scale | Mode::Flood => {
            let (tx, rx) = tokio::sync::oneshot::channel::<()>();
            stdin_control(
                move || {
                    let _ = tx.send(());
                },
                at_exit,
            );
            if args.mode == Mode::Scale {
                run(workers, scale(args, rx))
            } else {
                run(workers, flood(args, rx))
            }
        }
    }
}
