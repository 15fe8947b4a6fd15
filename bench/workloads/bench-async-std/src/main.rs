//! bench-async-std: cattop's benchmark server on async-std (2 worker
//! threads via ASYNC_STD_THREAD_COUNT). Same request pipeline as bench-tokio:
//!
//!   handle_request                      task root, async fn
//!   └─ WithTimeout                      hand-written future (async-io Timer as the deadline)
//!      └─ process_request               async fn
//!         ├─ decode_stage               async fn
//!         │  └─ lookup_stage            async fn: async_std::task::yield_now()
//!         ├─ ChecksumFuture             hand-written future, yields once
//!         └─ async block ("encode")
//!
//! Only --mode serve. Names are used by bench/*.py: keep them.

use std::sync::atomic::Ordering;
use std::time::Duration;

use async_std::io::{ReadExt, WriteExt};
use async_std::net::{TcpListener, TcpStream};

#[path = "../../common/bench_common.rs"]
mod common;
use common::*;

#[inline(never)]
async fn accept_loop(listener: TcpListener, rounds: u32) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                let _ = stream.set_nodelay(true);
                drop(async_std::task::spawn(conn_loop(stream, rounds)));
            }
            Err(e) => {
                eprintln!("bench-async-std: accept: {e}");
                async_std::task::sleep(Duration::from_millis(10)).await;
            }
        }
    }
}

#[inline(never)]
async fn conn_loop(mut stream: TcpStream, rounds: u32) {
    let mut buf = [0u8; REQ_LEN];
    loop {
        if stream.read_exact(&mut buf).await.is_err() {
            break;
        }
        let req = Request::decode(&buf, rounds);
        let resp = async_std::task::spawn(handle_request(req)).await;
        // Counted before the write: once the client has the answer, it is counted.
        SERVED.fetch_add(1, Ordering::Relaxed);
        if stream.write_all(&resp.encode()).await.is_err() {
            break;
        }
    }
}

#[inline(never)]
async fn handle_request(req: Request) -> Response {
    let value = WithTimeout::new(process_request(req), async_io::Timer::after(REQUEST_TIMEOUT))
        .await
        .unwrap_or(u64::MAX);
    Response { id: req.id, value }
}

#[inline(never)]
async fn process_request(req: Request) -> u64 {
    let quarter = req.rounds / 4;
    let key = decode_stage(req).await;
    let sum = ChecksumFuture::new(key, quarter).await;
    let rest = req.rounds - 3 * quarter;
    let encoded = async move { mix_rounds(sum ^ req.id, rest) }.await;
    encoded
}

#[inline(never)]
async fn decode_stage(req: Request) -> u64 {
    let quarter = req.rounds / 4;
    let k = mix_rounds(req.id.wrapping_add(req.flags as u64), quarter);
    lookup_stage(k, quarter).await
}

#[inline(never)]
async fn lookup_stage(key: u64, rounds: u32) -> u64 {
    async_std::task::yield_now().await;
    mix_rounds(key, rounds)
}

async fn serve(args: Args) {
    let listener = match TcpListener::bind(("127.0.0.1", args.port)).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("bench-async-std: bind 127.0.0.1:{}: {e}", args.port);
            std::process::exit(1);
        }
    };
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
    stdin_control(|| {}, || {});
    print_ready(port);
    accept_loop(listener, args.rounds).await;
}

fn main() {
    let args = parse_args();
    if args.mode != Mode::Serve {
        eprintln!("bench-async-std: only --mode serve (scale and flood are in bench-tokio)");
        std::process::exit(2);
    }
    // Read once, lazily, by the global runtime: set before the first async-std call.
    std::env::set_var("ASYNC_STD_THREAD_COUNT", args.workers.to_string());
    async_std::task::block_on(serve(args));
}
