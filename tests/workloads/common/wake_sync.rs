// Futures with known wakes, shared by the sched modules of wl-tokio,
// wl-async-std and wl-smol. Included with
// `#[path = "../../common/wake_sync.rs"] mod wake_sync;` inside `sched`.
//
//   Signal / Wait -> set() wakes the task waiting in Wait (a std Mutex flag + waker)
//   SelfWake      -> Pending once after waking itself (wake_by_ref) inside its poll

use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll, Waker};

/// One flag: set() wakes the task waiting in Wait.
#[derive(Default)]
pub struct Signal {
    state: Mutex<(bool, Option<Waker>)>,
}

impl Signal {
    pub fn set(&self) {
        let waker = {
            let mut s = self.state.lock().unwrap();
            s.0 = true;
            s.1.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}

pub struct Wait<'a>(pub &'a Signal);

impl Future for Wait<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut s = self.0.state.lock().unwrap();
        if s.0 {
            s.0 = false;
            return Poll::Ready(());
        }
        s.1 = Some(cx.waker().clone());
        Poll::Pending
    }
}

/// Pending once, after waking itself: a self-wake inside its own poll.
pub struct SelfWake(pub bool);

impl Future for SelfWake {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
