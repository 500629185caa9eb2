//! The pod bay doors: "do this only when that has finished", with Deferreds.
//!
//! In synchronous code the order of lines is the order of execution:
//!
//! ```text
//! pod_bay_doors.open()
//! pod.launch()
//! ```
//!
//! Here opening the doors takes time, so `open` returns at once with a `Deferred`: a
//! placeholder for the doors being open. We add the launch as a callback, and a report as an
//! errback, then let time pass. A `TestClock` stands in for the event loop, so the run is the
//! same every time.
//!
//! Run it with `cargo run --example pod_bay`.

use std::time::Duration;

use deferreds::{defer_later, testing, Clock, Deferred, Failure, TestClock};

#[derive(Debug, thiserror::Error)]
#[error("I'm sorry, Dave. I'm afraid I can't do that.")]
struct DoorsJammed;

/// Starts opening the doors and returns at once; the Deferred fires when they are open.
fn open_pod_bay_doors(clock: &TestClock, cooperative_computer: bool) -> Deferred<&'static str> {
    println!(
        "[{:>4.1}s] asked the computer to open the pod bay doors",
        secs(clock)
    );
    defer_later(
        clock,
        Duration::from_secs(2),
        move || match cooperative_computer {
            true => Ok("pod bay 1"),
            false => Err(DoorsJammed.into()),
        },
    )
}

/// What to do once the doors are open: launch, and pass on what happened.
fn launch_pod(clock: TestClock) -> impl FnOnce(&'static str) -> Result<String, Failure> {
    move |bay| {
        println!(
            "[{:>4.1}s] doors of {bay} open: launching the pod",
            secs(&clock)
        );
        Ok(format!("pod launched from {bay}"))
    }
}

fn secs(clock: &TestClock) -> f64 {
    clock.seconds().as_secs_f64()
}

fn mission(cooperative_computer: bool) {
    let clock = TestClock::new();

    // `d` is the plan: launch once the doors are open; if they will not open, say why.
    let d = open_pod_bay_doors(&clock, cooperative_computer)
        .add_callback(launch_pod(clock.clone()))
        .add_errback(|failure: Failure| Ok(format!("mission aborted: {failure}")));
    println!(
        "[{:>4.1}s] plan made; the pod has not launched yet",
        secs(&clock)
    );
    testing::assert_no_result(&d);

    // Time passes; the doors open (or do not), and the plan runs in the order we encoded.
    clock.advance(Duration::from_secs(2));
    println!(
        "[{:>4.1}s] outcome: {}",
        secs(&clock),
        testing::success_result_of(d)
    );
}

fn main() {
    println!("-- a cooperative computer");
    mission(true);
    println!("\n-- HAL 9000");
    mission(false);
}
