//! Several slow lookups at once, on the deterministic test clock: at most two run at a time
//! (a `DeferredSemaphore`), each under its own timeout (`add_timeout`), and the results are
//! gathered in order (`DeferredList`), so one slow lookup costs its own answer, not the
//! others'. Then the same lookups all or nothing, as `gather_results` would.
//!
//! Run it with `cargo run --example lookups`.

use std::time::Duration;

use deferreds::{
    add_timeout, defer_later, testing, Clock, Deferred, DeferredList, DeferredSemaphore, Failure,
    TestClock, TimeoutError,
};

/// How long each host takes to answer, in seconds.
const HOSTS: [(&str, u64); 5] = [
    ("alpha.example", 1),
    ("bravo.example", 2),
    ("charlie.example", 9), // too slow
    ("delta.example", 1),
    ("echo.example", 3),
];

/// The patience for each lookup, counted from when it starts.
const TIMEOUT: Duration = Duration::from_secs(4);

fn say(clock: &TestClock, what: String) {
    println!("[{:>2}s] {what}", clock.seconds().as_secs());
}

/// One lookup: waits for a free slot, then for the (simulated) answer, or gives up.
fn lookup(
    clock: &TestClock,
    slots: &DeferredSemaphore,
    host: &'static str,
    secs: u64,
) -> Deferred<String> {
    let clock = clock.clone();
    slots.run(move || {
        say(&clock, format!("asking {host}"));
        let answer = defer_later(&clock, Duration::from_secs(secs), move || {
            Ok(format!("{host} is at 10.0.0.{secs}"))
        });
        let reporter = clock.clone();
        add_timeout(answer, TIMEOUT, &clock).add_both(move |result| {
            match &result {
                Ok(address) => say(&reporter, format!("answer: {address}")),
                Err(failure) => say(&reporter, format!("{host}: {failure}")),
            }
            result
        })
    })
}

fn main() -> Result<(), Failure> {
    let clock = TestClock::new();
    let slots = DeferredSemaphore::new(2)?;

    // Every result, in order, whether it succeeded or not.
    let lookups = HOSTS.map(|(host, secs)| lookup(&clock, &slots, host, secs));
    let everything = DeferredList::new(lookups).consume_errors(true).all();

    // Let time pass, one second at a time.
    while !everything.has_result() {
        clock.advance(Duration::from_secs(1));
    }
    println!("\nall lookups done at {}s:", clock.seconds().as_secs());
    for ((host, _), result) in HOSTS.iter().zip(testing::success_result_of(everything)) {
        match result {
            Ok(address) => println!("  {host:<16} {address}"),
            Err(failure) if failure.check::<TimeoutError>() => println!("  {host:<16} timed out"),
            Err(failure) => println!("  {host:<16} failed: {failure}"),
        }
    }

    // All or nothing instead: the first failure (the timeout) fails the whole. This is
    // `gather_results` with the inputs' errors consumed, so the timeout is not also reported
    // as unhandled in the lookup's own chain.
    println!();
    let clock = TestClock::new();
    let slots = DeferredSemaphore::new(2)?;
    let lookups = HOSTS.map(|(host, secs)| lookup(&clock, &slots, host, secs));
    let all_or_nothing = DeferredList::new(lookups)
        .consume_errors(true)
        .fire_on_one_errback();
    clock.pump(&[Duration::from_secs(1); 12]);
    let failure = testing::failure_result_of(all_or_nothing);
    println!("\nall or nothing: {failure}");
    Ok(())
}
