//! A minimal `tracing` subscriber that really records span timings (what
//! tracing-subscriber's Registry + a timing layer would do, in ~150 lines):
//! every new span gets a record (name, parent, first integer field); every
//! enter/exit pair adds the time spent inside to it; when the last handle of
//! a span is dropped its record is folded into per-name totals. Printed by
//! `summary()` when the server exits.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use tracing_core::field::{Field, Visit};
use tracing_core::span::{Attributes, Id, Record};
use tracing_core::subscriber::{Interest, Subscriber};
use tracing_core::{Event, Metadata};

const SHARDS: usize = 32;

struct SpanRec {
    name: &'static str,
    parent: u64,
    field: u64,
    refs: usize,
    enters: u64,
    busy_ns: u64,
    created: Instant,
}

#[derive(Default, Clone, Copy)]
struct Totals {
    spans: u64,
    enters: u64,
    busy_ns: u64,
    max_busy_ns: u64,
    life_ns: u64,
}

pub struct SpanTiming {
    next_id: AtomicU64,
    shards: Vec<Mutex<HashMap<u64, SpanRec>>>,
    totals: Mutex<HashMap<&'static str, Totals>>,
    events: AtomicU64,
}

thread_local! {
    /// Spans entered on this thread, innermost last, with their enter time.
    static ENTERED: RefCell<Vec<(u64, Instant)>> = RefCell::new(Vec::with_capacity(16));
}

struct FirstU64(u64);

impl Visit for FirstU64 {
    fn record_u64(&mut self, _: &Field, v: u64) {
        if self.0 == 0 {
            self.0 = v;
        }
    }
    fn record_i64(&mut self, _: &Field, v: i64) {
        if self.0 == 0 {
            self.0 = v as u64;
        }
    }
    fn record_debug(&mut self, _: &Field, _: &dyn std::fmt::Debug) {}
}

impl SpanTiming {
    pub fn new() -> Self {
        SpanTiming {
            next_id: AtomicU64::new(1),
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            totals: Mutex::new(HashMap::new()),
            events: AtomicU64::new(0),
        }
    }

    fn shard(&self, id: u64) -> &Mutex<HashMap<u64, SpanRec>> {
        &self.shards[(id as usize) % SHARDS]
    }

    pub fn summary(&self) -> String {
        let totals = self.totals.lock().unwrap();
        let mut names: Vec<_> = totals.iter().collect();
        names.sort_by_key(|(n, _)| *n);
        let mut open = 0;
        for s in &self.shards {
            open += s.lock().unwrap().len();
        }
        let mut out = String::new();
        let all_spans: u64 = names.iter().map(|(_, t)| t.spans).sum();
        let all_enters: u64 = names.iter().map(|(_, t)| t.enters).sum();
        let _ = write!(out, "tracing spans_closed={all_spans} enters={all_enters} open={open} events={}",
                       self.events.load(Ordering::Relaxed));
        for (n, t) in names {
            let _ = write!(out, "\ntracing span={n} closed={} enters={} busy_ms={:.1} mean_busy_us={:.2} max_busy_us={:.1} mean_life_us={:.1}",
                           t.spans, t.enters, t.busy_ns as f64 / 1e6,
                           t.busy_ns as f64 / 1e3 / t.spans.max(1) as f64,
                           t.max_busy_ns as f64 / 1e3,
                           t.life_ns as f64 / 1e3 / t.spans.max(1) as f64);
        }
        out
    }
}

impl Subscriber for SpanTiming {
    fn register_callsite(&self, _: &'static Metadata<'static>) -> Interest {
        Interest::always()
    }

    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, attrs: &Attributes<'_>) -> Id {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut field = FirstU64(0);
        attrs.record(&mut field);
        let parent = if let Some(p) = attrs.parent() {
            p.into_u64()
        } else if attrs.is_contextual() {
            ENTERED.with(|e| e.borrow().last().map(|(p, _)| *p).unwrap_or(0))
        } else {
            0
        };
        let rec = SpanRec {
            name: attrs.metadata().name(),
            parent,
            field: field.0,
            refs: 1,
            enters: 0,
            busy_ns: 0,
            created: Instant::now(),
        };
        self.shard(id).lock().unwrap().insert(id, rec);
        Id::from_u64(id)
    }

    fn record(&self, span: &Id, values: &Record<'_>) {
        let mut field = FirstU64(0);
        values.record(&mut field);
        if field.0 != 0 {
            if let Some(r) = self.shard(span.into_u64()).lock().unwrap().get_mut(&span.into_u64()) {
                r.field = field.0;
            }
        }
    }

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, _: &Event<'_>) {
        self.events.fetch_add(1, Ordering::Relaxed);
    }

    fn enter(&self, span: &Id) {
        let now = Instant::now();
        ENTERED.with(|e| e.borrow_mut().push((span.into_u64(), now)));
    }

    fn exit(&self, span: &Id) {
        let id = span.into_u64();
        let now = Instant::now();
        let start = ENTERED.with(|e| {
            let mut e = e.borrow_mut();
            match e.iter().rposition(|(s, _)| *s == id) {
                Some(i) => Some(e.remove(i).1),
                None => None,
            }
        });
        if let Some(start) = start {
            let ns = now.duration_since(start).as_nanos() as u64;
            if let Some(r) = self.shard(id).lock().unwrap().get_mut(&id) {
                r.enters += 1;
                r.busy_ns += ns;
            }
        }
    }

    fn clone_span(&self, span: &Id) -> Id {
        let id = span.into_u64();
        if let Some(r) = self.shard(id).lock().unwrap().get_mut(&id) {
            r.refs += 1;
        }
        span.clone()
    }

    fn try_close(&self, span: Id) -> bool {
        let id = span.into_u64();
        let done = {
            let mut shard = self.shard(id).lock().unwrap();
            match shard.get_mut(&id) {
                Some(r) if r.refs > 1 => {
                    r.refs -= 1;
                    None
                }
                Some(_) => shard.remove(&id),
                None => None,
            }
        };
        match done {
            Some(r) => {
                let life = r.created.elapsed().as_nanos() as u64;
                let mut totals = self.totals.lock().unwrap();
                let t = totals.entry(r.name).or_default();
                t.spans += 1;
                t.enters += r.enters;
                t.busy_ns += r.busy_ns;
                t.max_busy_ns = t.max_busy_ns.max(r.busy_ns);
                t.life_ns += life;
                std::hint::black_box((r.parent, r.field));
                true
            }
            None => false,
        }
    }
}
