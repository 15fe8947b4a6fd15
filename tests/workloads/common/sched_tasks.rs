// The tasks every workload's sched module runs, with known wakes (see its
// header). Included with include!() so they stay items of that module
// (their names, e.g. wl_smol::sched::sched_woken_task, are what the tests
// look for); it brings Arc, Duration, sleep, SpinFuture and wake_sync's
// Signal, Wait and SelfWake into scope.

#[inline(never)]
async fn sched_hog_task(signal: Arc<Signal>, spin: Duration) {
    loop {
        signal.set();
        SpinFuture::new(spin).await;
        sleep(Duration::from_millis(5)).await;
    }
}

#[inline(never)]
async fn sched_woken_task(signal: Arc<Signal>) {
    loop {
        Wait(&signal).await;
    }
}

#[inline(never)]
async fn sched_self_wake_task() {
    loop {
        SelfWake(false).await;
        sleep(Duration::from_millis(10)).await;
    }
}
