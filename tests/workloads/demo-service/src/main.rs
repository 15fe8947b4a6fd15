//! demo-service: a small HTTP-ish TCP server on tokio with a built-in load
//! generator and a deliberate blocking bug, for demonstrating cattop.
//!
//!   demo-service [--port P] [--seconds N] [--no-load]
//!
//!   --port P      listen on 127.0.0.1:P (default 7878; 0 = pick a free port)
//!   --seconds N   exit 0 after N seconds (default: run forever)
//!   --no-load     do not start the in-process load generator
//!
//! Prints `ready pid=<pid> port=<port>` once listening (and the load
//! generator, if any, is spawned).
//!
//! Runtime: tokio multi-thread, exactly 2 worker threads; the root future
//! `async_main` runs on the main thread via `block_on`.
//!
//! Tasks and futures (names are meant to be seen in cattop):
//!   accept_loop                      accepts and spawns one task per connection
//!   handle_connection(stream)        per-connection task
//!     RateLimit                      hand-written Future (token bucket; waits on a tokio Sleep)
//!     parse_request(reader)          reads "GET /user/<id> HTTP/1.1" + headers
//!       lookup_user(id)              simulated 1 ms async DB query, and on every
//!                                    10th lookup a std::thread::sleep(25 ms): the
//!                                    deliberately blocking handler bug
//!     then writes a small HTTP/1.1 response and closes.
//!   load_client(n, addr) x4          one request every 20 ms each (new connection per request)
//!     send_request(addr, user_id)

use std::future::Future;
use std::io::Write;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::OwnedReadHalf;
use tokio::net::{TcpListener, TcpStream};
use tokio::time::{sleep, Sleep};

const LOAD_CLIENTS: u64 = 4;
const LOAD_INTERVAL: Duration = Duration::from_millis(20);
const BLOCK_EVERY: u64 = 10;
const BLOCK_FOR: Duration = Duration::from_millis(25);

/// Number of lookup_user calls so far (every BLOCK_EVERY-th one blocks).
static LOOKUPS: AtomicU64 = AtomicU64::new(0);

// ------------------------------------------------------------- arguments ---

struct Args {
    port: u16,
    seconds: Option<u64>,
    load: bool,
}

fn usage() -> &'static str {
    "usage: demo-service [--port P] [--seconds N] [--no-load]"
}

fn fail(msg: String) -> ! {
    eprintln!("demo-service: {msg}\n{}", usage());
    std::process::exit(2);
}

fn parse_args() -> Args {
    let mut args = Args { port: 7878, seconds: None, load: true };
    let mut argv = std::env::args().skip(1);
    while let Some(arg) = argv.next() {
        let (name, inline_value) = match arg.split_once('=') {
            Some((n, v)) => (n.to_string(), Some(v.to_string())),
            None => (arg.clone(), None),
        };
        let mut value = |name: &str| -> String {
            inline_value
                .clone()
                .or_else(|| argv.next())
                .unwrap_or_else(|| fail(format!("{name} needs a value")))
        };
        match name.as_str() {
            "-h" | "--help" => {
                println!("{}", usage());
                std::process::exit(0);
            }
            "--no-load" => args.load = false,
            "--port" => {
                let v = value("--port");
                args.port = v.parse().unwrap_or_else(|_| fail(format!("--port: bad port '{v}'")));
            }
            "--seconds" => {
                let v = value("--seconds");
                args.seconds =
                    Some(v.parse().unwrap_or_else(|_| fail(format!("--seconds: bad value '{v}'"))));
            }
            _ => fail(format!("unknown argument '{arg}'")),
        }
    }
    args
}

// ------------------------------------------------------------ rate limit ---

/// Token bucket shared by all connections: RATE tokens per second, BURST max.
struct Bucket {
    tokens: f64,
    last: Option<Instant>,
}

const RATE: f64 = 2000.0;
const BURST: f64 = 200.0;

static BUCKET: Mutex<Bucket> = Mutex::new(Bucket { tokens: BURST, last: None });

/// Takes one token, or says how long to wait for the next one.
fn take_token() -> Result<(), Duration> {
    let mut b = BUCKET.lock().unwrap_or_else(|e| e.into_inner());
    let now = Instant::now();
    if let Some(last) = b.last {
        let refill = now.duration_since(last).as_secs_f64() * RATE;
        b.tokens = (b.tokens + refill).min(BURST);
    }
    b.last = Some(now);
    if b.tokens >= 1.0 {
        b.tokens -= 1.0;
        Ok(())
    } else {
        Err(Duration::from_secs_f64((1.0 - b.tokens) / RATE))
    }
}

/// Hand-written future: resolves once the global token bucket grants a token,
/// waiting on a tokio Sleep in between. Under the built-in load (200 req/s)
/// it practically always resolves on its first poll.
pub struct RateLimit {
    delay: Option<Pin<Box<Sleep>>>,
}

impl RateLimit {
    pub fn new() -> Self {
        RateLimit { delay: None }
    }
}

impl Default for RateLimit {
    fn default() -> Self {
        Self::new()
    }
}

impl Future for RateLimit {
    type Output = ();

    #[inline(never)]
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            if let Some(delay) = self.delay.as_mut() {
                if delay.as_mut().poll(cx).is_pending() {
                    return Poll::Pending;
                }
                self.delay = None;
            }
            match take_token() {
                Ok(()) => return Poll::Ready(()),
                Err(wait) => self.delay = Some(Box::pin(sleep(wait))),
            }
        }
    }
}

// ---------------------------------------------------------------- server ---

struct User {
    id: u64,
    name: String,
}

enum Outcome {
    Found(User),
    NotFound,
    BadRequest(&'static str),
}

#[inline(never)]
async fn accept_loop(listener: TcpListener) {
    loop {
        match listener.accept().await {
            Ok((stream, _peer)) => {
                tokio::spawn(handle_connection(stream));
            }
            Err(e) => {
                eprintln!("demo-service: accept: {e}");
                sleep(Duration::from_millis(10)).await;
            }
        }
    }
}

#[inline(never)]
async fn handle_connection(stream: TcpStream) {
    let (rd, mut wr) = stream.into_split();
    RateLimit::new().await;
    let mut reader = BufReader::new(rd);
    let (status, body) = match parse_request(&mut reader).await {
        Outcome::Found(user) => ("200 OK", format!("{{\"id\":{},\"name\":\"{}\"}}\n", user.id, user.name)),
        Outcome::NotFound => ("404 Not Found", "not found\n".to_string()),
        Outcome::BadRequest(why) => ("400 Bad Request", format!("{why}\n")),
    };
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    // The client may already be gone; nothing useful to do about errors here.
    let _ = wr.write_all(response.as_bytes()).await;
    let _ = wr.shutdown().await;
}

/// "/user/<id>" -> id
fn parse_user_path(path: &str) -> Option<u64> {
    match path.strip_prefix("/user/") {
        Some(id) => id.parse::<u64>().ok(),
        None => None,
    }
}

/// Reads the request line and headers, then resolves the user it names.
#[inline(never)]
async fn parse_request(reader: &mut BufReader<OwnedReadHalf>) -> Outcome {
    let mut line = String::new();
    match reader.read_line(&mut line).await {
        Ok(0) | Err(_) => return Outcome::BadRequest("empty request"),
        Ok(_) => {}
    }
    // Skip headers up to the blank line.
    loop {
        let mut header = String::new();
        match reader.read_line(&mut header).await {
            Ok(0) | Err(_) => break,
            Ok(_) if header == "\r\n" || header == "\n" => break,
            Ok(_) => {}
        }
    }
    let mut parts = line.split_whitespace();
    let (method, path) = match (parts.next(), parts.next()) {
        (Some(m), Some(p)) => (m, p),
        _ => return Outcome::BadRequest("malformed request line"),
    };
    if method != "GET" {
        return Outcome::BadRequest("only GET is supported");
    }
    let id = match parse_user_path(path) {
        Some(id) => id,
        None => return Outcome::BadRequest("expected /user/<id>"),
    };
    match lookup_user(id).await {
        Some(user) => Outcome::Found(user),
        None => Outcome::NotFound,
    }
}

/// Simulated database lookup. BUG (deliberate): every 10th call does a
/// blocking std::thread::sleep on the runtime worker thread.
#[inline(never)]
async fn lookup_user(id: u64) -> Option<User> {
    sleep(Duration::from_millis(1)).await; // the "async query"
    let n = LOOKUPS.fetch_add(1, Ordering::Relaxed) + 1;
    if n.is_multiple_of(BLOCK_EVERY) {
        // "cache refresh" done with a blocking call: stalls this worker thread
        std::thread::sleep(BLOCK_FOR);
    }
    if id >= 10_000 {
        return None;
    }
    Some(User { id, name: format!("user{id}") })
}

// -------------------------------------------------------- load generator ---

#[inline(never)]
async fn load_client(n: u64, addr: SocketAddr) {
    let mut i: u64 = 0;
    let mut reported = false;
    loop {
        let user_id = n * 1000 + i % 1000;
        if let Err(e) = send_request(addr, user_id).await {
            if !reported {
                eprintln!("demo-service: load_client {n}: {e} (further errors not shown)");
                reported = true;
            }
        }
        i += 1;
        sleep(LOAD_INTERVAL).await;
    }
}

#[inline(never)]
async fn send_request(addr: SocketAddr, user_id: u64) -> std::io::Result<()> {
    let mut stream = TcpStream::connect(addr).await?;
    let request = format!("GET /user/{user_id} HTTP/1.1\r\nHost: {addr}\r\nUser-Agent: demo-load\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut response = Vec::with_capacity(256);
    stream.read_to_end(&mut response).await?;
    if !response.starts_with(b"HTTP/1.1 200") {
        return Err(std::io::Error::other("unexpected response"));
    }
    Ok(())
}

// ------------------------------------------------------------------ main ---

#[inline(never)]
async fn async_main(args: Args) {
    // (No closures inside async fns here: a closure's symbol, `...::{{closure}}`,
    // would look just like a nested async block to a symbol-based tool.)
    let listener = match TcpListener::bind(("127.0.0.1", args.port)).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("demo-service: cannot listen on 127.0.0.1:{}: {e}", args.port);
            std::process::exit(1);
        }
    };
    let addr = match listener.local_addr() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("demo-service: local_addr: {e}");
            std::process::exit(1);
        }
    };
    tokio::spawn(accept_loop(listener));
    if args.load {
        for n in 0..LOAD_CLIENTS {
            tokio::spawn(load_client(n, addr));
        }
    }

    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "ready pid={} port={}", std::process::id(), addr.port());
    let _ = out.flush();
    drop(out);

    match args.seconds {
        Some(s) => sleep(Duration::from_secs(s)).await,
        None => std::future::pending::<()>().await,
    }
    let _ = std::io::stdout().flush();
    std::process::exit(0);
}

fn main() {
    let args = parse_args();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap_or_else(|e| {
            eprintln!("demo-service: cannot build runtime: {e}");
            std::process::exit(1);
        });
    rt.block_on(async_main(args));
}
