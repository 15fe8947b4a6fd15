//! bench-smol: cattop's benchmark server on smol: one leaked
//! `smol::Executor` run by 2 threads ("smol-worker-N"); the main thread
//! only drives the accept loop with `smol::block_on`. Same request pipeline
//! as bench-tokio:
//!
//!   handle_request                      task root, async fn
//!   └─ WithTimeout                      hand-written future (smol::Timer as the deadline)
//!      └─ process_request               async fn
//!         ├─ decode_stage               async fn
//!         │  └─ lookup_stage            async fn: smol::future::yield_now()
//!         ├─ ChecksumFuture             hand-written future, yields once
//!         └─ async block ("encode")
//!
//! Only --mode serve. Names are used by bench/*.py: keep them.

use std::sync::atomic::Ordering;
use std::time::Duration;

use smol::io::{AsyncReadExt, AsyncWriteExt};
use smol::net::{TcpListener, TcpStream};
use smol::{Executor, Timer};

#[path = "../../common/bench_common.rs"]
mod common;
use common::*;

type Ex = &'static Executor<'static>;

#[inline(never)]
async fn accept_loop(ex: Ex, listener: TcpListener, rounds: u32) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                let _ = stream.set_nodelay(true);
                ex.spawn(conn_loop(ex, stream, rounds)).detach();
            }
            Err(e) => {
                eprintln!("bench-smol: accept: {e}");
                Timer::after(Duration::from_millis(10)).await;
            }
        }
    }
}

#[inline(never)]
async fn conn_loop(ex: Ex, mut stream: TcpStream, rounds: u32) {
    let mut buf = [0u8; REQ_LEN];
    loop {
        if stream.read_exact(&mut buf).await.is_err() {
            break;
        }
        let req = Request::decode(&buf, rounds);
        let resp = ex.spawn(handle_request(req)).await;
        // Counted before the write: once the client has the answer, it is counted.
        SERVED.fetch_add(1, Ordering::Relaxed);
        if stream.write_all(&resp.encode()).await.is_err() {
            break;
        }
    }
}

#[inline(never)]
async fn handle_request(req: Request) -> Response {
    let value = WithTimeout::new(process_request(req), Timer::after(REQUEST_TIMEOUT))
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
    smol::future::yield_now().await;
    mix_rounds(key, rounds)
}

async fn serve(ex: Ex, args: Args) {
    let listener = match TcpListener::bind(("127.0.0.1", args.port)).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("bench-smol: bind 127.0.0.1:{}: {e}", args.port);
            std::process::exit(1);
        }
    };
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
    stdin_control(|| {}, || {});
    print_ready(port);
    accept_loop(ex, listener, args.rounds).await;
}

fn main() {
    let args = parse_args();
    if args.mode != Mode::Serve {
        eprintln!("bench-smol: only --mode serve (scale and flood are in bench-tokio)");
        std::process::exit(2);
    }
    let ex: Ex = Box::leak(Box::new(Executor::new()));
    for n in 0..args.workers {
        std::thread::Builder::new()
            .name(format!("smol-worker-{n}"))
            .spawn(move || smol::block_on(ex.run(std::future::pending::<()>())))
            .expect("spawn smol worker");
    }
    smol::block_on(serve(ex, args));
}
