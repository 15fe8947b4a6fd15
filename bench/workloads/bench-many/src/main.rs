//! bench-many: a target with thousands of async fns, for cattop's attach and
//! detach time (bench/scale.py). 2 tokio workers; `many_walker` calls every
//! generated `many::many_NNNN` in turn (through `many::many_call`), one every millisecond, so the probes
//! see some traffic. Prints `ready pid=<pid>`; exits at stdin EOF.

use std::io::{BufRead, Write};
use std::time::Duration;

mod many {
    include!(concat!(env!("OUT_DIR"), "/many.rs"));
}

#[inline(never)]
async fn many_walker() {
    let mut acc: u64 = 1;
    let mut i = 0;
    loop {
        acc = many::many_call(i, acc).await;
        i += 1;
        tokio::time::sleep(Duration::from_millis(1)).await;
        std::hint::black_box(acc);
    }
}

fn main() {
    std::thread::spawn(|| {
        for line in std::io::stdin().lock().lines() {
            if line.is_err() {
                break;
            }
        }
        std::process::exit(0);
    });
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    rt.block_on(async {
        let walker = tokio::spawn(many_walker());
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "ready pid={}", std::process::id());
        let _ = out.flush();
        drop(out);
        let _ = walker.await;
    });
}
