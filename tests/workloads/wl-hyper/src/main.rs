//! wl-hyper: cattop test workload on a real library (issue #15): a hyper
//! 0.14 hello server on tokio 1.24 (Debian's crates), 2 worker threads.
//!
//! Listens on 127.0.0.1:0 (a free port) and prints `ready pid=<pid>
//! port=<port>` once listening; exits 0 after --seconds (default 30).
//! Every connection is a hyper task (`NewSvcTask`, then its connection
//! future) running the service `service_fn(hello)`:
//!   GET /      -> hello: "hello\n", no await of its own
//!   GET /slow  -> hello awaits slow_work(), whose one poll blocks the worker
//!                 5 ms in std::thread::sleep (on purpose: a slow poll)
//! Names and the `async fn hello(` / `async fn slow_work(` lines are asserted
//! on by tests/integration/test_hyper.py.

use std::convert::Infallible;
use std::io::Write;
use std::net::SocketAddr;
use std::time::Duration;

use hyper::service::{make_service_fn, service_fn};
use hyper::{Body, Request, Response, Server};

/// Blocks the worker thread 5 ms inside one poll (the known slow poll).
#[inline(never)]
async fn slow_work() -> &'static str {
    std::thread::sleep(Duration::from_millis(5));
    "slow\n"
}

#[inline(never)]
async fn hello(req: Request<Body>) -> Result<Response<Body>, Infallible> {
    let body = if req.uri().path() == "/slow" {
        slow_work().await
    } else {
        "hello\n"
    };
    Ok(Response::new(Body::from(body)))
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
    let addr = SocketAddr::from(([127, 0, 0, 1], 0));
    let make_svc =
        make_service_fn(|_conn| async { Ok::<_, Infallible>(service_fn(hello)) });
    let server = Server::bind(&addr).serve(make_svc);
    println!("ready pid={} port={}", std::process::id(), server.local_addr().port());
    let _ = std::io::stdout().flush();
    tokio::spawn(async move {
        let _ = server.await;
    });
    tokio::time::sleep(Duration::from_secs(seconds)).await;
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
