//! wl-faults: the target of cattop's fault tests (tests/integration/test_faults.py).
//!
//! One binary, one fault per `--mode`. Runtime: tokio multi-thread, 2 workers,
//! root future `async_main` driven by `block_on` on the main thread. Every
//! mode also runs `ticker_task` (tick_outer -> tick_inner -> sleep 2 ms, in a
//! loop), a steady reference whose numbers the tests check are still right.
//!
//! Modes (names of the futures are asserted on by the tests):
//!   tick     only the ticker
//!   panic    panic_task: every --panic-every-ms (default 50; 0: at once) spawns
//!            panic_outer -> panic_middle -> panic_inner, which panics in its second
//!            poll; tokio catches it (JoinError).
//!            catch_task: the same chain inside CatchUnwind, a hand-written future that
//!            catches the panic inside its own poll, so the task goes on polling.
//!            --panic-threads N adds N std threads ("panicker-I"), each running
//!            catch_task on a current-thread runtime of its own: many threads panic at
//!            once. n = panics caught. The progress line adds `stall_max_us=S stalls=K`:
//!            a thread at real-time priority (when allowed) sleeps 1 ms in a loop; S is
//!            its longest overshoot, K how many overshoots passed 50 ms (the process
//!            held stopped or frozen, not merely busy).
//!   deep     deep_task: deep_level(--depth) -> deep_level(depth-1) -> ... -> deep_level(0)
//!            (Box::pin recursion, depth+1 nested async fn polls), the innermost sleeps
//!            1 ms. n = complete descents.
//!   threads  blocking_churn_task: rounds of 8 spawn_blocking jobs, with a 1 ms thread
//!            keep-alive, so blocking threads start and end all the time;
//!            thread_churn_task: every 10 ms a std thread that runs its own
//!            current-thread runtime: block_on(thread_job) -> spawned thread_subtask.
//!            n = std threads finished.
//!   fork     parent_task ticks (parent only). After --fork-after-ms (and once --start-file
//!            exists, if given) a plain std thread
//!            forks: the child runs a current-thread runtime with ticker_task (the same,
//!            probed, code) and child_task (a name only the child runs) for
//!            --child-seconds, then exits 0. sleep_task runs /bin/sleep 0.01 every
//!            100 ms (fork+exec from inside a poll); fork_in_poll forks in a poll and the
//!            child _exits at once. n = /bin/sleep runs that succeeded.
//!   exec     after --exec-after-ms (and once --start-file exists, if given) async_main
//!            execs /bin/sleep <rest of --seconds>, or with --exec-self this binary again
//!            in mode tick.
//!   flood    --flood-tasks tasks (default 2): flood_task -> flood_step (yield_now) in a
//!            tight loop: a few hundred thousand polls a second. n = flood_step calls.
//!   tasks    task_spawner spawns --rate tiny_task -> tiny_inner tasks a second (default
//!            10000, in bursts every 10 ms, at most 2000 unfinished); each is polled
//!            once and ends.
//!            n = tiny tasks finished.
//!
//! Output (stdout, each line flushed): `ready pid=N` once everything is spawned;
//! then `progress n=N ticks=T ms=M` every 200 ms from a plain thread (so a stalled
//! runtime shows as counts that stop); fork mode adds `forked child=PID` and
//! `child exited status=S` (S = exit code, or 128+signal), and the child writes
//! `child done ticks=T` before it exits. After --seconds: `done n=N ticks=T`, exit 0.
//! Bad arguments: message on stderr, exit 2.

use std::future::Future;
use std::io::Write;
use std::os::unix::process::CommandExt;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use tokio::time::sleep;

static WORK: AtomicU64 = AtomicU64::new(0);
static TICKS: AtomicU64 = AtomicU64::new(0);

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Tick,
    Panic,
    Deep,
    Threads,
    Fork,
    Exec,
    Flood,
    Tasks,
}

#[derive(Clone)]
struct Args {
    mode: Mode,
    seconds: u64,
    depth: u64,
    exec_after_ms: u64,
    exec_self: bool,
    start_file: Option<String>,
    fork_after_ms: u64,
    child_seconds: u64,
    rate: u64,
    flood_tasks: u64,
    panic_every_ms: u64,
    panic_threads: u64,
}

fn usage() -> &'static str {
    "usage: wl-faults --mode tick|panic|deep|threads|fork|exec|flood|tasks [--seconds N] \
     [--depth N] [--exec-after-ms M] [--exec-self] [--start-file PATH] [--fork-after-ms M] \
     [--child-seconds N] [--rate N] [--flood-tasks N] [--panic-every-ms M] [--panic-threads N]"
}

fn fail(msg: String) -> ! {
    eprintln!("wl-faults: {msg}\n{}", usage());
    std::process::exit(2);
}

fn parse_args() -> Args {
    let mut a = Args {
        mode: Mode::Tick,
        seconds: 30,
        depth: 100,
        exec_after_ms: 2000,
        exec_self: false,
        start_file: None,
        fork_after_ms: 1000,
        child_seconds: 4,
        rate: 10000,
        flood_tasks: 2,
        panic_every_ms: 50,
        panic_threads: 0,
    };
    let mut mode_set = false;
    let mut argv = std::env::args().skip(1);
    while let Some(arg) = argv.next() {
        if arg == "-h" || arg == "--help" {
            println!("{}", usage());
            std::process::exit(0);
        }
        if arg == "--exec-self" {
            a.exec_self = true;
            continue;
        }
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) => (n.to_string(), Some(v.to_string())),
            None => (arg.clone(), None),
        };
        let value = match inline.or_else(|| argv.next()) {
            Some(v) => v,
            None => fail(format!("{name} needs a value")),
        };
        if name == "--mode" {
            a.mode = match value.as_str() {
                "tick" => Mode::Tick,
                "panic" => Mode::Panic,
                "deep" => Mode::Deep,
                "threads" => Mode::Threads,
                "fork" => Mode::Fork,
                "exec" => Mode::Exec,
                "flood" => Mode::Flood,
                "tasks" => Mode::Tasks,
                _ => fail(format!("unknown mode '{value}'")),
            };
            mode_set = true;
            continue;
        }
        if name == "--start-file" {
            a.start_file = Some(value);
            continue;
        }
        let slot = match name.as_str() {
            "--seconds" => &mut a.seconds,
            "--depth" => &mut a.depth,
            "--exec-after-ms" => &mut a.exec_after_ms,
            "--fork-after-ms" => &mut a.fork_after_ms,
            "--child-seconds" => &mut a.child_seconds,
            "--rate" => &mut a.rate,
            "--flood-tasks" => &mut a.flood_tasks,
            "--panic-every-ms" => &mut a.panic_every_ms,
            "--panic-threads" => &mut a.panic_threads,
            _ => fail(format!("unknown argument '{arg}'")),
        };
        *slot = value
            .parse::<u64>()
            .unwrap_or_else(|_| fail(format!("{name}: '{value}' is not a non-negative integer")));
    }
    if !mode_set {
        fail("--mode is required".to_string());
    }
    a
}

fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// Writes with write(2) only: safe in a forked child, where another thread
/// of the parent may have held stdout's lock at the fork.
fn raw_say(line: &str) {
    let s = format!("{line}\n");
    unsafe {
        libc::write(1, s.as_ptr() as *const libc::c_void, s.len());
    }
}

// ---------------------------------------------------------------- ticker ---

#[inline(never)]
async fn ticker_task() {
    loop {
        tick_outer().await;
        TICKS.fetch_add(1, Relaxed);
    }
}

#[inline(never)]
async fn tick_outer() {
    tick_inner().await;
}

#[inline(never)]
async fn tick_inner() {
    sleep(Duration::from_millis(2)).await;
}

// ----------------------------------------------------------------- panic ---

static PANIC_EVERY_MS: AtomicU64 = AtomicU64::new(50);

async fn pause_between_panics() {
    match PANIC_EVERY_MS.load(Relaxed) {
        0 => tokio::task::yield_now().await,
        ms => sleep(Duration::from_millis(ms)).await,
    }
}

#[inline(never)]
async fn panic_task() {
    let mut i: u64 = 0;
    loop {
        let handle = tokio::spawn(panic_outer(i));
        if let Err(e) = handle.await {
            if e.is_panic() {
                WORK.fetch_add(1, Relaxed);
            }
        }
        i += 1;
        pause_between_panics().await;
    }
}

#[inline(never)]
async fn panic_outer(i: u64) {
    panic_middle(i).await;
}

#[inline(never)]
async fn panic_middle(i: u64) {
    panic_inner(i).await;
}

#[inline(never)]
async fn panic_inner(i: u64) {
    sleep(Duration::from_millis(1)).await;
    if std::hint::black_box(true) {
        panic!("wl-faults: planned panic {i}");
    }
}

/// Polls its inner future under catch_unwind: a panic unwinds through the
/// inner futures' polls and stops here, inside the task's poll.
pub struct CatchUnwind {
    inner: Pin<Box<dyn Future<Output = ()> + Send>>,
}

impl Future for CatchUnwind {
    type Output = bool; // true: it panicked

    #[inline(never)]
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<bool> {
        let inner = &mut self.inner;
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| inner.as_mut().poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(())) => Poll::Ready(false),
            Err(_) => Poll::Ready(true),
        }
    }
}

#[inline(never)]
async fn catch_task() {
    let mut i: u64 = 0;
    loop {
        let panicked = CatchUnwind { inner: Box::pin(panic_outer(i)) }.await;
        if panicked {
            WORK.fetch_add(1, Relaxed);
        }
        i += 1;
        pause_between_panics().await;
    }
}

/// A std thread of its own, panicking in catch_task on its own runtime.
fn panicker_thread() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    rt.block_on(catch_task());
}

static STALL_MAX_US: AtomicU64 = AtomicU64::new(0);
static STALLS: AtomicU64 = AtomicU64::new(0);

/// Sleeps 1 ms in a loop at real-time priority (when allowed, so that a
/// busy machine does not delay it) and records how far each wake-up
/// overshoots: a long one means the whole process was held.
fn stall_meter() {
    unsafe {
        let param = libc::sched_param { sched_priority: 1 };
        libc::sched_setscheduler(0, libc::SCHED_FIFO, &param);
    }
    let mut last = Instant::now();
    loop {
        std::thread::sleep(Duration::from_millis(1));
        let now = Instant::now();
        let over = now.duration_since(last).saturating_sub(Duration::from_millis(1));
        let us = over.as_micros() as u64;
        STALL_MAX_US.fetch_max(us, Relaxed);
        if us > 50_000 {
            STALLS.fetch_add(1, Relaxed);
        }
        last = now;
    }
}

// ------------------------------------------------------------------ deep ---

fn deep(n: u64) -> Pin<Box<dyn Future<Output = ()> + Send>> {
    Box::pin(deep_level(n))
}

#[inline(never)]
async fn deep_level(n: u64) {
    if n == 0 {
        sleep(Duration::from_millis(1)).await;
    } else {
        deep(n - 1).await;
    }
}

#[inline(never)]
async fn deep_task(depth: u64) {
    loop {
        deep(depth).await;
        WORK.fetch_add(1, Relaxed);
    }
}

// --------------------------------------------------------------- threads ---

#[inline(never)]
fn blocking_job() {
    std::thread::sleep(Duration::from_micros(500));
}

#[inline(never)]
async fn blocking_churn_task() {
    loop {
        let handles: Vec<_> = (0..8).map(|_| tokio::task::spawn_blocking(blocking_job)).collect();
        for h in handles {
            let _ = h.await;
        }
        // Longer than the 1 ms keep-alive: the blocking threads end.
        sleep(Duration::from_millis(20)).await;
    }
}

#[inline(never)]
async fn thread_subtask(i: u64) {
    sleep(Duration::from_millis(1)).await;
    std::hint::black_box(i);
}

#[inline(never)]
async fn thread_job(i: u64) {
    let _ = tokio::spawn(thread_subtask(i)).await;
}

fn thread_main(i: u64) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    rt.block_on(thread_job(i));
    drop(rt);
    WORK.fetch_add(1, Relaxed);
}

#[inline(never)]
async fn thread_churn_task() {
    let mut i: u64 = 0;
    loop {
        if let Err(e) = std::thread::Builder::new().name("wl-churn".into()).spawn(move || thread_main(i)) {
            eprintln!("wl-faults: thread spawn: {e}");
        }
        i += 1;
        sleep(Duration::from_millis(10)).await;
    }
}

// ------------------------------------------------------------------ fork ---

#[inline(never)]
async fn parent_task() {
    loop {
        sleep(Duration::from_millis(5)).await;
    }
}

#[inline(never)]
async fn child_task() {
    loop {
        sleep(Duration::from_millis(5)).await;
    }
}

#[inline(never)]
async fn child_main(seconds: u64) {
    tokio::spawn(ticker_task());
    tokio::spawn(child_task());
    sleep(Duration::from_secs(seconds)).await;
}

/// In the child of fork(): only the forking thread exists, outside any runtime.
fn run_child(seconds: u64) -> ! {
    TICKS.store(0, Relaxed);
    let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    rt.block_on(child_main(seconds));
    raw_say(&format!("child done ticks={}", TICKS.load(Relaxed)));
    unsafe { libc::_exit(0) }
}

fn wait_status(pid: libc::pid_t) -> i32 {
    let mut status = 0;
    unsafe {
        if libc::waitpid(pid, &mut status, 0) != pid {
            return -1;
        }
    }
    if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        128 + libc::WTERMSIG(status)
    }
}

fn forker(after: Duration, child_seconds: u64, start_file: Option<String>) {
    std::thread::sleep(after);
    if let Some(path) = start_file {
        while !std::path::Path::new(&path).exists() {
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        run_child(child_seconds);
    }
    if pid < 0 {
        say("fork failed");
        return;
    }
    say(&format!("forked child={pid}"));
    let status = wait_status(pid);
    say(&format!("child exited status={status}"));
}

#[inline(never)]
async fn run_sleep() -> bool {
    // std's Command: fork (or vfork) + exec, from inside this poll.
    std::process::Command::new("/bin/sleep").arg("0.01").status().map(|s| s.success()).unwrap_or(false)
}

#[inline(never)]
async fn fork_in_poll() {
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        unsafe { libc::_exit(0) }
    }
    if pid > 0 {
        wait_status(pid);
    }
}

#[inline(never)]
async fn sleep_task() {
    loop {
        if run_sleep().await {
            WORK.fetch_add(1, Relaxed);
        }
        fork_in_poll().await;
        sleep(Duration::from_millis(100)).await;
    }
}

// ----------------------------------------------------------------- flood ---

#[inline(never)]
async fn flood_step() {
    tokio::task::yield_now().await;
}

#[inline(never)]
async fn flood_task() {
    loop {
        flood_step().await;
        WORK.fetch_add(1, Relaxed);
    }
}

// ----------------------------------------------------------------- tasks ---

#[inline(never)]
async fn tiny_inner(i: u64) {
    std::hint::black_box(i);
}

#[inline(never)]
async fn tiny_task(i: u64) {
    tiny_inner(i).await;
    WORK.fetch_add(1, Relaxed);
}

const MAX_TINY_IN_FLIGHT: u64 = 2000;

#[inline(never)]
async fn task_spawner(rate: u64) {
    let per_burst = (rate / 100).max(1);
    let mut i: u64 = 0;
    let start = tokio::time::Instant::now();
    let mut burst: u32 = 0;
    loop {
        // At most MAX_TINY_IN_FLIGHT spawned and not finished: on a loaded
        // machine the runtime falls behind and the schedule below would
        // otherwise pile up a backlog of any size (every one a live task
        // cattop must show, so its memory follows the backlog, not a leak).
        while i.saturating_sub(WORK.load(Relaxed)) >= MAX_TINY_IN_FLIGHT {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        for _ in 0..per_burst {
            drop(tokio::spawn(tiny_task(i)));
            i += 1;
        }
        burst += 1;
        tokio::time::sleep_until(start + Duration::from_millis(10) * burst).await;
    }
}

// ------------------------------------------------------------------ main ---

fn reporter(seconds: u64, start: Instant) {
    let end = start + Duration::from_secs(seconds);
    loop {
        let now = Instant::now();
        if now >= end {
            break;
        }
        std::thread::sleep((end - now).min(Duration::from_millis(200)));
        say(&format!(
            "progress n={} ticks={} ms={} stall_max_us={} stalls={}",
            WORK.load(Relaxed),
            TICKS.load(Relaxed),
            start.elapsed().as_millis(),
            STALL_MAX_US.load(Relaxed),
            STALLS.load(Relaxed)
        ));
    }
    say(&format!("done n={} ticks={}", WORK.load(Relaxed), TICKS.load(Relaxed)));
    std::process::exit(0);
}

#[inline(never)]
async fn async_main(args: Args) {
    let start = Instant::now();
    tokio::spawn(ticker_task());
    match args.mode {
        Mode::Tick | Mode::Exec => {}
        Mode::Panic => {
            std::panic::set_hook(Box::new(|_| {})); // planned panics: no noise
            PANIC_EVERY_MS.store(args.panic_every_ms, Relaxed);
            tokio::spawn(panic_task());
            tokio::spawn(catch_task());
            for i in 0..args.panic_threads {
                std::thread::Builder::new()
                    .name(format!("panicker-{i}"))
                    .spawn(panicker_thread)
                    .unwrap();
            }
            std::thread::Builder::new().name("stall-meter".into()).spawn(stall_meter).unwrap();
        }
        Mode::Deep => {
            tokio::spawn(deep_task(args.depth));
        }
        Mode::Threads => {
            tokio::spawn(blocking_churn_task());
            tokio::spawn(thread_churn_task());
        }
        Mode::Fork => {
            tokio::spawn(parent_task());
            tokio::spawn(sleep_task());
            let (after, secs) = (Duration::from_millis(args.fork_after_ms), args.child_seconds);
            let start_file = args.start_file.clone();
            std::thread::spawn(move || forker(after, secs, start_file));
        }
        Mode::Flood => {
            for _ in 0..args.flood_tasks {
                tokio::spawn(flood_task());
            }
        }
        Mode::Tasks => {
            tokio::spawn(task_spawner(args.rate));
        }
    }
    say(&format!("ready pid={}", std::process::id()));
    let seconds = args.seconds;
    std::thread::spawn(move || reporter(seconds, start));

    if args.mode == Mode::Exec {
        sleep(Duration::from_millis(args.exec_after_ms)).await;
        // With --start-file, also wait for the test to create that file:
        // it does once cattop has seen enough (however long that took).
        if let Some(path) = &args.start_file {
            while !std::path::Path::new(path).exists() {
                sleep(Duration::from_millis(10)).await;
            }
        }
        let rest = args.seconds.saturating_sub(args.exec_after_ms / 1000).max(1).to_string();
        say("exec");
        let err = if args.exec_self {
            std::process::Command::new("/proc/self/exe")
                .args(["--mode", "tick", "--seconds", &rest])
                .exec()
        } else {
            std::process::Command::new("/bin/sleep").arg(&rest).exec()
        };
        eprintln!("wl-faults: exec: {err}");
        std::process::exit(1);
    }
    std::future::pending::<()>().await;
}

fn main() {
    let args = parse_args();
    let mut b = tokio::runtime::Builder::new_multi_thread();
    b.worker_threads(2).enable_time();
    if args.mode == Mode::Threads {
        b.max_blocking_threads(16).thread_keep_alive(Duration::from_millis(1));
    }
    let rt = b.build().unwrap_or_else(|e| {
        eprintln!("wl-faults: cannot build runtime: {e}");
        std::process::exit(1);
    });
    rt.block_on(async_main(args));
}
