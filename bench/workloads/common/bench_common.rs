// Shared by the benchmark servers (bench-tokio, bench-tokio-tracing,
// bench-async-std, bench-smol). Included by each with
// `#[path = "../../common/bench_common.rs"] mod common;`, so its futures are
// compiled into each server crate (symbols `<crate>::common::ChecksumFuture`,
// `<crate>::common::WithTimeout`) and count as the application's futures.
//
// Wire protocol (bench-client speaks it too, over persistent TCP
// connections, one request in flight per connection):
//   request  16 bytes: id u64 LE, rounds u32 LE (0 = server default), flags u32 LE
//   response 16 bytes: id u64 LE, value u64 LE
//
// Control: the server prints `ready pid=<pid> port=<port>` (flushed) once it
// listens. It reads stdin: a line `go` starts the scale/flood phases; at EOF it
// prints its counters (`served=N ...`) on stdout and exits 0, so a server
// whose parent dies never outlives it.

#![allow(dead_code)]

use std::future::Future;
use std::io::{BufRead, Write};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

pub use bench_kernel::mix_rounds;

pub const REQ_LEN: usize = 16;
pub const RESP_LEN: usize = 16;
/// ~40 us of work per request on the bench VM (mix_rounds: ~2.7 ns a round).
pub const DEFAULT_ROUNDS: u32 = 15_000;
/// Every request runs under this deadline: one runtime timer per request.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// Requests answered, for the exit line.
pub static SERVED: AtomicU64 = AtomicU64::new(0);

#[derive(Clone, Copy, Debug)]
pub struct Request {
    pub id: u64,
    pub rounds: u32,
    pub flags: u32,
}

impl Request {
    pub fn decode(b: &[u8; REQ_LEN], default_rounds: u32) -> Request {
        let id = u64::from_le_bytes(b[0..8].try_into().unwrap());
        let mut rounds = u32::from_le_bytes(b[8..12].try_into().unwrap());
        if rounds == 0 {
            rounds = default_rounds;
        }
        let flags = u32::from_le_bytes(b[12..16].try_into().unwrap());
        Request { id, rounds, flags }
    }
}

#[derive(Clone, Copy, Debug)]
pub struct Response {
    pub id: u64,
    pub value: u64,
}

impl Response {
    pub fn encode(&self) -> [u8; RESP_LEN] {
        let mut b = [0u8; RESP_LEN];
        b[0..8].copy_from_slice(&self.id.to_le_bytes());
        b[8..16].copy_from_slice(&self.value.to_le_bytes());
        b
    }
}

// ------------------------------------------------------- hand-written futures ---

/// Hand-written future: the checksum stage of a request. Its first poll does
/// half the work, wakes itself and returns Pending (it yields to the
/// scheduler); the second poll does the rest and is Ready.
pub struct ChecksumFuture {
    acc: u64,
    rounds: u32,
    first_done: bool,
}

impl ChecksumFuture {
    #[inline(never)]
    pub fn new(seed: u64, rounds: u32) -> Self {
        ChecksumFuture { acc: seed, rounds, first_done: false }
    }
}

impl Future for ChecksumFuture {
    type Output = u64;

    #[inline(never)]
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u64> {
        if !self.first_done {
            let half = self.rounds / 2;
            self.acc = mix_rounds(self.acc, half);
            self.first_done = true;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        let rest = self.rounds - self.rounds / 2;
        Poll::Ready(mix_rounds(self.acc, rest))
    }
}

/// Hand-written future: `fut` under a deadline (`delay` is the runtime's
/// timer future). Ready(None) if the timer fires first.
pub struct WithTimeout<F, D> {
    fut: F,
    delay: D,
}

impl<F, D> WithTimeout<F, D> {
    pub fn new(fut: F, delay: D) -> Self {
        WithTimeout { fut, delay }
    }
}

impl<F: Future, D: Future> Future for WithTimeout<F, D> {
    type Output = Option<F::Output>;

    #[inline(never)]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // Structural pinning: neither field is moved out of the pinned struct.
        let this = unsafe { self.get_unchecked_mut() };
        let fut = unsafe { Pin::new_unchecked(&mut this.fut) };
        if let Poll::Ready(v) = fut.poll(cx) {
            return Poll::Ready(Some(v));
        }
        let delay = unsafe { Pin::new_unchecked(&mut this.delay) };
        if delay.poll(cx).is_ready() {
            return Poll::Ready(None);
        }
        Poll::Pending
    }
}

// ------------------------------------------------------------------ arguments ---

#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Mode {
    /// TCP request server (the default).
    Serve,
    /// 10k idle tasks + 100k short ones, for cattop's memory (bench-tokio only).
    Scale,
    /// Many tiny polls per second, for cattop's event rate (bench-tokio only).
    Flood,
}

#[derive(Clone, Debug)]
pub struct Args {
    pub mode: Mode,
    pub port: u16,
    pub rounds: u32,
    pub workers: usize,
    /// scale: tasks alive all the time, each woken every `idle_wake_ms`
    pub idle_tasks: u64,
    pub idle_wake_ms: u64,
    /// scale: short tasks spawned in all, and how many a second
    pub short_tasks: u64,
    pub short_rate: u64,
    /// flood: tasks, total polls a second (0 = as fast as possible), seconds
    pub flood_tasks: u64,
    pub flood_rate: u64,
    pub seconds: f64,
}

fn usage(prog: &str) -> String {
    format!(
        "usage: {prog} [--mode serve|scale|flood] [--port P] [--rounds R] [--workers W]\n\
         \x20      scale: [--idle-tasks N] [--idle-wake-ms MS] [--short-tasks N] [--short-rate PER_S]\n\
         \x20      flood: [--flood-tasks N] [--flood-rate POLLS_PER_S|0] [--seconds S]"
    )
}

fn fail(prog: &str, msg: &str) -> ! {
    eprintln!("{prog}: {msg}\n{}", usage(prog));
    std::process::exit(2);
}

pub fn parse_args() -> Args {
    let mut argv = std::env::args();
    let prog = argv.next().unwrap_or_else(|| "bench-server".into());
    let mut a = Args {
        mode: Mode::Serve,
        port: 0,
        rounds: DEFAULT_ROUNDS,
        workers: 2,
        idle_tasks: 10_000,
        idle_wake_ms: 1000,
        short_tasks: 100_000,
        short_rate: 5_000,
        flood_tasks: 16,
        flood_rate: 0,
        seconds: 5.0,
    };
    let rest: Vec<String> = argv.collect();
    let mut i = 0;
    while i < rest.len() {
        let (flag, inline) = match rest[i].split_once('=') {
            Some((f, v)) => (f.to_string(), Some(v.to_string())),
            None => (rest[i].clone(), None),
        };
        if flag == "-h" || flag == "--help" {
            println!("{}", usage(&prog));
            std::process::exit(0);
        }
        let val = match inline {
            Some(v) => v,
            None => {
                i += 1;
                rest.get(i).cloned().unwrap_or_else(|| fail(&prog, &format!("{flag} needs a value")))
            }
        };
        let num = |v: &str| -> u64 {
            v.parse::<u64>().unwrap_or_else(|_| fail(&prog, &format!("bad value for {flag}: {v}")))
        };
        match flag.as_str() {
            "--mode" => {
                a.mode = match val.as_str() {
                    "serve" => Mode::Serve,
                    "scale" => Mode::Scale,
                    "flood" => Mode::Flood,
                    _ => fail(&prog, &format!("bad mode {val}")),
                }
            }
            "--port" => a.port = num(&val) as u16,
            "--rounds" => a.rounds = num(&val) as u32,
            "--workers" => a.workers = num(&val).max(1) as usize,
            "--idle-tasks" => a.idle_tasks = num(&val),
            "--idle-wake-ms" => a.idle_wake_ms = num(&val).max(1),
            "--short-tasks" => a.short_tasks = num(&val),
            "--short-rate" => a.short_rate = num(&val).max(1),
            "--flood-tasks" => a.flood_tasks = num(&val).max(1),
            "--flood-rate" => a.flood_rate = num(&val),
            "--seconds" => {
                a.seconds = val
                    .parse::<f64>()
                    .unwrap_or_else(|_| fail(&prog, &format!("bad value for --seconds: {val}")))
            }
            _ => fail(&prog, &format!("unknown option {flag}")),
        }
        i += 1;
    }
    a
}

// -------------------------------------------------------------------- control ---

pub fn print_ready(port: u16) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "ready pid={} port={}", std::process::id(), port);
    let _ = out.flush();
}

pub fn print_line(s: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{s}");
    let _ = out.flush();
}

/// Watches stdin on a plain thread: `go` calls `on_go` (once); at EOF (the
/// parent closed the pipe or died) `at_exit` runs, then the process exits 0.
pub fn stdin_control<G, X>(on_go: G, at_exit: X)
where
    G: FnOnce() + Send + 'static,
    X: FnOnce() + Send + 'static,
{
    std::thread::Builder::new()
        .name("stdin-control".into())
        .spawn(move || {
            let mut on_go = Some(on_go);
            let stdin = std::io::stdin();
            for line in stdin.lock().lines() {
                match line {
                    Ok(l) if l.trim() == "go" => {
                        if let Some(g) = on_go.take() {
                            g();
                        }
                    }
                    Ok(_) => {}
                    Err(_) => break,
                }
            }
            at_exit();
            print_line(&format!("served={}", SERVED.load(Ordering::Relaxed)));
            std::process::exit(0);
        })
        .expect("spawn stdin-control thread");
}
