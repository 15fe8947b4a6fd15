// The calling thread's CPU time (CLOCK_THREAD_CPUTIME_ID), shared by
// wl-tokio, wl-async-std and wl-smol like args.rs. SpinFuture burns its
// 3 ms by this clock: a spin timed by the wall clock burns less CPU when
// the thread is preempted, and cattop does not count a poll's waits for a
// CPU as its time. So its polls take >= 3 ms of poll time (and of wall
// time) however busy the machine is.
//
// std links the C library already: clock_gettime needs no libc crate.

use std::time::Duration;

#[repr(C)]
struct Timespec {
    tv_sec: i64,
    tv_nsec: i64,
}

extern "C" {
    fn clock_gettime(clock: i32, ts: *mut Timespec) -> i32;
}

const CLOCK_THREAD_CPUTIME_ID: i32 = 3;

pub fn thread_cpu_time() -> Duration {
    let mut ts = Timespec { tv_sec: 0, tv_nsec: 0 };
    // Cannot fail for the calling thread's own clock.
    unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}
