// Command-line parsing shared by wl-tokio, wl-async-std and wl-smol.
// Included by each binary with `#[path = "../../common/args.rs"] mod args;`,
// so it is compiled into each crate separately (symbols: <crate>::args::*).
//
//   --seconds N          total run time in seconds, then exit 0   (default 30)
//   --wedge-after-ms M   delay before the wedged task starts spinning (default 1500)
//   --wedge-ms W         how long the wedged task spins without yielding (default 6000)
//   --idle-tasks N       also keep N tasks alive, each waking once a second (default 0;
//                        wl-tokio only: the scale test for cattop's own CPU)
//   --idle-period-ms P   the idle tasks wake every P ms instead (default 1000): a
//                        long period leaves most unpolled for seconds after attach
//   --sched-spin-ms S    also run a second, one-thread runtime/executor on its own thread,
//                        kept busy: a task spinning S ms wakes another before each
//                        spin (scheduled >= S ms), plus self-waking tasks (default 0:
//                        none; wl-tokio, wl-async-std, wl-smol: cattop's scheduled-time test)
//   --wedge-file PATH    the wedge also waits until PATH exists (checked every 10 ms):
//                        tests create it once cattop is attached, however long that took
//
// Both `--flag VALUE` and `--flag=VALUE` are accepted.

use std::time::Duration;

pub struct Args {
    pub seconds: u64,
    pub wedge_after_ms: u64,
    pub wedge_ms: u64,
    #[allow(dead_code)]
    pub idle_tasks: u64,
    #[allow(dead_code)]
    pub idle_period_ms: u64,
    /// --hung N (wl-async-std, wl-smol): N tasks parked forever on a channel
    /// recv and 2 deadlocked on async mutexes, on the runtime's global
    /// executor, all parked before the ready line (0: none, the default).
    #[allow(dead_code)]
    pub hung: u64,
    #[allow(dead_code)]
    pub sched_spin_ms: u64,
    /// --yield-loops N (wl-tokio): N tasks that loop on yield_now() and
    /// nothing else, each keeping a worker busy (0: none, the default).
    #[allow(dead_code)]
    pub yield_loops: u64,
    pub wedge_file: Option<String>,
}

impl Args {
    pub fn run_time(&self) -> Duration {
        Duration::from_secs(self.seconds)
    }
    pub fn wedge_after(&self) -> Duration {
        Duration::from_millis(self.wedge_after_ms)
    }
    pub fn wedge(&self) -> Duration {
        Duration::from_millis(self.wedge_ms)
    }
}

fn usage(prog: &str) -> String {
    format!(
        "usage: {prog} [--seconds N] [--wedge-after-ms M] [--wedge-ms W] [--idle-tasks N] \
         [--idle-period-ms P] [--sched-spin-ms S] [--yield-loops N] [--hung N] [--wedge-file PATH]"
    )
}

fn fail(prog: &str, msg: String) -> ! {
    eprintln!("{prog}: {msg}\n{}", usage(prog));
    std::process::exit(2);
}

/// Parses std::env::args(); prints a message and exits with status 2 on error.
pub fn parse() -> Args {
    let mut argv = std::env::args();
    let prog = argv.next().unwrap_or_else(|| "workload".to_string());
    let mut args = Args {
        seconds: 30,
        wedge_after_ms: 1500,
        wedge_ms: 6000,
        idle_tasks: 0,
        idle_period_ms: 1000,
        hung: 0,
        sched_spin_ms: 0,
        yield_loops: 0,
        wedge_file: None,
    };
    while let Some(arg) = argv.next() {
        if arg == "-h" || arg == "--help" {
            println!("{}", usage(&prog));
            std::process::exit(0);
        }
        let (name, inline_value) = match arg.split_once('=') {
            Some((n, v)) => (n.to_string(), Some(v.to_string())),
            None => (arg.clone(), None),
        };
        if name == "--wedge-file" {
            match inline_value.or_else(|| argv.next()) {
                Some(v) => args.wedge_file = Some(v),
                None => fail(&prog, format!("{name} needs a value")),
            }
            continue;
        }
        let slot = match name.as_str() {
            "--seconds" => &mut args.seconds,
            "--wedge-after-ms" => &mut args.wedge_after_ms,
            "--wedge-ms" => &mut args.wedge_ms,
            "--idle-tasks" => &mut args.idle_tasks,
            "--idle-period-ms" => &mut args.idle_period_ms,
            "--hung" => &mut args.hung,
            "--sched-spin-ms" => &mut args.sched_spin_ms,
            "--yield-loops" => &mut args.yield_loops,
            _ => fail(&prog, format!("unknown argument '{arg}'")),
        };
        let value = match inline_value.or_else(|| argv.next()) {
            Some(v) => v,
            None => fail(&prog, format!("{name} needs a value")),
        };
        *slot = match value.parse::<u64>() {
            Ok(v) => v,
            Err(_) => fail(&prog, format!("{name}: '{value}' is not a non-negative integer")),
        };
    }
    args
}
