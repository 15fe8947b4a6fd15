//! bench-client: sends a fixed number of requests to a bench server and
//! exits. Plain blocking std threads, no async runtime (so it is the same
//! client for every server): --concurrency threads, each with one persistent
//! TCP connection and one request in flight. Connections are made before
//! the clock starts.
//!
//!   bench-client --port P [--host 127.0.0.1] [--requests N] [--concurrency C] [--rounds R]
//!
//! Prints one line:
//!   requests=N concurrency=C wall_s=S rps=R p50_us=.. p90_us=.. p99_us=.. max_us=.. errors=E
//! Exit status 1 if any request failed.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Barrier};
use std::time::Instant;

const REQ_LEN: usize = 16;

fn fail(msg: &str) -> ! {
    eprintln!("bench-client: {msg}");
    eprintln!("usage: bench-client --port P [--host H] [--requests N] [--concurrency C] [--rounds R]");
    std::process::exit(2);
}

fn main() {
    let mut host = "127.0.0.1".to_string();
    let mut port: u16 = 0;
    let mut requests: u64 = 20_000;
    let mut conc: u64 = 8;
    let mut rounds: u32 = 0;
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < argv.len() {
        let (flag, val) = match argv[i].split_once('=') {
            Some((f, v)) => (f.to_string(), v.to_string()),
            None => {
                i += 1;
                (argv[i - 1].clone(), argv.get(i).cloned().unwrap_or_else(|| fail("missing value")))
            }
        };
        let num = |v: &str| v.parse::<u64>().unwrap_or_else(|_| fail(&format!("bad value {v}")));
        match flag.as_str() {
            "--host" => host = val,
            "--port" => port = num(&val) as u16,
            "--requests" => requests = num(&val),
            "--concurrency" => conc = num(&val).max(1),
            "--rounds" => rounds = num(&val) as u32,
            _ => fail(&format!("unknown option {flag}")),
        }
        i += 1;
    }
    if port == 0 {
        fail("--port is required");
    }
    let conc = conc.min(requests.max(1));
    let mut streams = Vec::new();
    for _ in 0..conc {
        let s = TcpStream::connect((host.as_str(), port))
            .unwrap_or_else(|e| fail(&format!("connect {host}:{port}: {e}")));
        s.set_nodelay(true).ok();
        streams.push(s);
    }
    let barrier = Arc::new(Barrier::new(conc as usize + 1));
    let mut threads = Vec::new();
    for (t, mut s) in streams.into_iter().enumerate() {
        let n = requests / conc + if (t as u64) < requests % conc { 1 } else { 0 };
        let barrier = barrier.clone();
        threads.push(std::thread::spawn(move || {
            let mut lat = Vec::with_capacity(n as usize);
            let mut errors = 0u64;
            let mut req = [0u8; REQ_LEN];
            let mut resp = [0u8; 16];
            barrier.wait();
            for k in 0..n {
                let id = ((t as u64) << 40) | (k + 1);
                req[0..8].copy_from_slice(&id.to_le_bytes());
                req[8..12].copy_from_slice(&rounds.to_le_bytes());
                let t0 = Instant::now();
                if s.write_all(&req).is_err() || s.read_exact(&mut resp).is_err() {
                    errors += n - k;
                    break;
                }
                lat.push(t0.elapsed().as_nanos() as u64);
                if u64::from_le_bytes(resp[0..8].try_into().unwrap()) != id {
                    errors += 1;
                }
            }
            (lat, errors)
        }));
    }
    barrier.wait();
    let start = Instant::now();
    let mut lat = Vec::with_capacity(requests as usize);
    let mut errors = 0;
    for th in threads {
        let (l, e) = th.join().unwrap_or_else(|_| (Vec::new(), 1));
        lat.extend(l);
        errors += e;
    }
    let wall = start.elapsed().as_secs_f64();
    lat.sort_unstable();
    let pct = |p: f64| -> f64 {
        if lat.is_empty() {
            0.0
        } else {
            lat[((lat.len() - 1) as f64 * p) as usize] as f64 / 1e3
        }
    };
    println!(
        "requests={} concurrency={} wall_s={:.6} rps={:.1} p50_us={:.1} p90_us={:.1} p99_us={:.1} max_us={:.1} errors={}",
        lat.len(),
        conc,
        wall,
        lat.len() as f64 / wall,
        pct(0.5),
        pct(0.9),
        pct(0.99),
        pct(1.0),
        errors
    );
    std::process::exit(if errors > 0 { 1 } else { 0 });
}
