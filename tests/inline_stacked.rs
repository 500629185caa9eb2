//! `#[inline_callbacks]` functions waiting on one another: Twisted's
//! `StackedInlineCallbacksTests` (catalogue P), and error context that accumulates along the
//! way (catalogue R, `ForwardTraceBackTests`, as async frames).

use std::cell::RefCell;
use std::rc::Rc;

use deferreds::testing::{failure_result_of, success_result_of};
use deferreds::{inline_callbacks, Deferred, Failure, Resolver};

#[derive(Debug, thiserror::Error)]
#[error("my exception")]
struct MyError;

/// Deferreds waiting to be fired, with the value for each.
type Waiting = Vec<(Resolver<u32>, u32)>;

/// What the stacked functions record, and the Deferreds they wait on, fired by the test in
/// order (the list grows while it is being worked through, as in Twisted's tests).
#[derive(Clone, Default)]
struct World {
    log: Rc<RefCell<Vec<String>>>,
    pending: Rc<RefCell<Waiting>>,
}

impl World {
    fn note(&self, entry: String) {
        self.log.borrow_mut().push(entry);
    }

    /// Fires the waiting Deferreds, first in first out, until none is left.
    fn fire_all(&self) {
        let mut next = 0;
        loop {
            let entry = {
                let mut pending = self.pending.borrow_mut();
                (next < pending.len()).then(|| {
                    let (resolver, value) =
                        std::mem::replace(&mut pending[next], (Deferred::<u32>::new().1, 0));
                    (resolver, value)
                })
            };
            match entry {
                Some((resolver, value)) => resolver.callback(value),
                None => break,
            }
            next += 1;
        }
    }

    fn log(&self) -> Vec<String> {
        self.log.borrow().clone()
    }
}

/// f1: waits on a pending Deferred of `x`, then adds 1.
#[inline_callbacks]
fn f1(world: World, x: u32) -> Result<u32, Failure> {
    world.note(format!("f1 enter {x}"));
    let (d, resolver) = Deferred::new();
    world.pending.borrow_mut().push((resolver, x));
    let x = yield_!(d)? + 1;
    world.note(format!("f1 exit {x}"));
    Ok(x)
}

/// f2: waits on f1 `times` times, then adds 2.
#[inline_callbacks]
fn f2(world: World, x: u32, times: u32) -> Result<u32, Failure> {
    world.note(format!("f2 enter {x}"));
    let mut x = x;
    for _ in 0..times {
        x = yield_!(f1(world.clone(), x))?;
    }
    x += 2;
    world.note(format!("f2 exit {x}"));
    Ok(x)
}

/// f3: waits on f2 `times` times, then adds 4.
#[inline_callbacks]
fn f3(world: World, x: u32, times: u32) -> Result<u32, Failure> {
    world.note(format!("f3 enter {x}"));
    let mut x = x;
    for _ in 0..times {
        x = yield_!(f2(world.clone(), x, times))?;
    }
    x += 4;
    world.note(format!("f3 exit {x}"));
    Ok(x)
}

/// What one wait through each of three levels records (P.172 and P.173).
const SINGLE_YIELD_LOG: [&str; 6] = [
    "f3 enter 1",
    "f2 enter 1",
    "f1 enter 1",
    "f1 exit 2",
    "f2 exit 4",
    "f3 exit 8",
];

/// Catalogue P.172: f3 waits on f2, which waits on f1, which waits on a pending Deferred.
#[test]
fn single_yield_through_three_levels() {
    let world = World::default();
    let d = f3(world.clone(), 1, 1);
    world.fire_all();
    assert_eq!(success_result_of(d), 8);
    assert_eq!(world.log(), SINGLE_YIELD_LOG);
}

/// Catalogue P.173: the same with the middle level an async block driven by
/// `ensure_deferred` (Twisted's coroutine).
#[test]
fn single_yield_with_a_future_in_the_middle() {
    #[inline_callbacks]
    fn f3_over_future(world: World, x: u32) -> Result<u32, Failure> {
        world.note(format!("f3 enter {x}"));
        let inner = world.clone();
        let middle = deferreds::ensure_deferred(async move {
            inner.note(format!("f2 enter {x}"));
            let x = f1(inner.clone(), x).await? + 2;
            inner.note(format!("f2 exit {x}"));
            Ok::<_, Failure>(x)
        });
        let x = yield_!(middle)? + 4;
        world.note(format!("f3 exit {x}"));
        Ok(x)
    }
    let world = World::default();
    let d = f3_over_future(world.clone(), 1);
    world.fire_all();
    assert_eq!(success_result_of(d), 8);
    assert_eq!(world.log(), SINGLE_YIELD_LOG);
}

/// Catalogue P.174: three yields at each level give 20, with the log interleaved exactly.
#[test]
fn multiple_yields_through_three_levels() {
    let world = World::default();
    let d = f3(world.clone(), 1, 3);
    world.fire_all();
    assert_eq!(success_result_of(d), 20);
    let expected = [
        "f3 enter 1",
        "f2 enter 1",
        "f1 enter 1",
        "f1 exit 2",
        "f1 enter 2",
        "f1 exit 3",
        "f1 enter 3",
        "f1 exit 4",
        "f2 exit 6",
        "f2 enter 6",
        "f1 enter 6",
        "f1 exit 7",
        "f1 enter 7",
        "f1 exit 8",
        "f1 enter 8",
        "f1 exit 9",
        "f2 exit 11",
        "f2 enter 11",
        "f1 enter 11",
        "f1 exit 12",
        "f1 enter 12",
        "f1 exit 13",
        "f1 enter 13",
        "f1 exit 14",
        "f2 exit 16",
        "f3 exit 20",
    ];
    assert_eq!(world.log(), expected);
}

/// What f3 records around f1 with the plain f2 added as a callback (P.176 and P.177).
const ADDED_CALLBACK_LOG: [&str; 6] = [
    "f3 enter 1",
    "f1 enter 1",
    "f1 exit 2",
    "f2 enter 2",
    "f2 exit 4",
    "f3 exit 8",
];

/// f2 as a plain callback: adds 2.
fn plain_f2(world: &World) -> impl FnOnce(u32) -> Result<u32, Failure> {
    let world = world.clone();
    move |x| {
        world.note(format!("f2 enter {x}"));
        world.note(format!("f2 exit {}", x + 2));
        Ok(x + 2)
    }
}

/// Catalogue P.176: a callback added to an inline function's Deferred runs before the
/// waiting function resumes.
#[test]
fn a_callback_added_to_the_inner_deferred_runs_first() {
    #[inline_callbacks]
    fn f1_no_wait(world: World, x: u32) -> Result<u32, Failure> {
        world.note(format!("f1 enter {x}"));
        let x = yield_!(Deferred::succeed(x))? + 1;
        world.note(format!("f1 exit {x}"));
        Ok(x)
    }
    #[inline_callbacks]
    fn outer(world: World, x: u32) -> Result<u32, Failure> {
        world.note(format!("f3 enter {x}"));
        let d = f1_no_wait(world.clone(), x).add_callback(plain_f2(&world));
        let x = yield_!(d)? + 4;
        world.note(format!("f3 exit {x}"));
        Ok(x)
    }
    let world = World::default();
    assert_eq!(success_result_of(outer(world.clone(), 1)), 8);
    assert_eq!(world.log(), ADDED_CALLBACK_LOG);
}

/// Catalogue P.177: the same when the inner function waits on a pending Deferred.
#[test]
fn a_callback_added_to_a_waiting_inner_deferred_runs_first() {
    #[inline_callbacks]
    fn outer(world: World, x: u32) -> Result<u32, Failure> {
        world.note(format!("f3 enter {x}"));
        let d = f1(world.clone(), x).add_callback(plain_f2(&world));
        let x = yield_!(d)? + 4;
        world.note(format!("f3 exit {x}"));
        Ok(x)
    }
    let world = World::default();
    let d = outer(world.clone(), 1);
    world.fire_all();
    assert_eq!(success_result_of(d), 8);
    assert_eq!(world.log(), ADDED_CALLBACK_LOG);
}

/// Catalogue P.178: first a plain wait on f1, then f1 with a callback added.
#[test]
fn a_callback_added_on_the_second_yield() {
    #[inline_callbacks]
    fn outer(world: World, x: u32) -> Result<u32, Failure> {
        let x = yield_!(f1(world.clone(), x))?;
        let plain = world.clone();
        let d = f1(world.clone(), x).add_callback(move |x| {
            plain.note(format!("f2 {x} -> {}", x + 2));
            Ok(x + 2)
        });
        let x = yield_!(d)? + 4;
        world.note(format!("f3 exit {x}"));
        Ok(x)
    }
    let world = World::default();
    let d = outer(world.clone(), 1);
    world.fire_all();
    assert_eq!(success_result_of(d), 9);
    assert_eq!(
        world.log(),
        [
            "f1 enter 1",
            "f1 exit 2",
            "f1 enter 2",
            "f1 exit 3",
            "f2 3 -> 5",
            "f3 exit 9"
        ]
    );
}

/// Catalogue P.179: the inner function's awaited Deferred fails; the outer catches it and
/// goes on; the inner never records its exit.
#[test]
fn a_failure_from_the_inner_wait_is_caught_outside() {
    #[inline_callbacks]
    fn inner(world: World, d: Deferred<u32>) -> Result<u32, Failure> {
        world.note("f2 enter".into());
        let x = yield_!(d)?;
        world.note("f2 exit".into());
        Ok(x)
    }
    #[inline_callbacks]
    fn outer(world: World, d: Deferred<u32>) -> Result<u32, Failure> {
        let mut x = 1;
        match yield_!(inner(world.clone(), d)) {
            Ok(v) => x = v,
            Err(failure) => {
                failure.trap::<MyError>()?;
            }
        }
        x += 4;
        Ok(x)
    }
    let world = World::default();
    let (d, fail) = Deferred::new();
    let result = outer(world.clone(), d);
    fail.errback(MyError);
    assert_eq!(success_result_of(result), 5);
    assert_eq!(world.log(), ["f2 enter"]);
}

/// Catalogue P.180: a first wait succeeds, a second fails and is caught.
#[test]
fn the_second_wait_fails_and_is_caught() {
    #[inline_callbacks]
    fn outer(world: World) -> Result<u32, Failure> {
        let mut x = yield_!(f1(world.clone(), 1))?;
        if let Err(failure) = yield_!(Deferred::<u32>::fail(MyError)) {
            failure.trap::<MyError>()?;
            x += 4;
        }
        Ok(x)
    }
    let world = World::default();
    let d = outer(world.clone());
    world.fire_all();
    assert_eq!(success_result_of(d), 6);
}

/// One level of a tall stack: waits on the level below, adds one.
#[inline_callbacks]
fn level(below: Deferred<u32>) -> Result<u32, Failure> {
    Ok(yield_!(below)? + 1)
}

/// 100,000 levels on a pending bottom Deferred, and the resolver that fires it.
fn tall_stack() -> (Deferred<u32>, Resolver<u32>) {
    let (bottom, fire) = Deferred::new();
    let top = (0..100_000).fold(bottom, |below, _| level(below));
    (top, fire)
}

/// 100,000 functions stacked, each waiting on the one below, the bottom one on a pending
/// Deferred: firing it resumes them all, without recursion.
#[test]
fn a_hundred_thousand_stacked_functions() {
    let (top, fire) = tall_stack();
    fire.callback(0);
    assert_eq!(success_result_of(top), 100_000);
}

/// The same with a failure at the bottom: it comes out at the top, through every level.
#[test]
fn a_failure_through_a_hundred_thousand_stacked_functions() {
    let (top, fire) = tall_stack();
    fire.errback(MyError);
    let failure = failure_result_of(top);
    assert!(failure.check::<MyError>());
    assert_eq!(failure.async_frames().len(), 100_000);
}

// ---------------------------------------------------------------------------------------------
// Catalogue R: the failure's path through the functions

#[inline_callbacks]
fn erroring() -> Result<(), Failure> {
    yield_!(Deferred::succeed(()))?;
    Err(Failure::msg("Error Marker"))
}

#[inline_callbacks]
fn calling() -> Result<(), Failure> {
    yield_!(erroring())
}

#[inline_callbacks]
fn calling2() -> Result<(), Failure> {
    yield_!(calling())
}

#[inline_callbacks]
fn calling3() -> Result<(), Failure> {
    yield_!(calling2())
}

fn path(failure: &Failure) -> Vec<&'static str> {
    failure
        .async_frames()
        .iter()
        .map(|frame| frame.function())
        .collect()
}

/// Catalogue R.187: the failure records both functions, innermost first, and shows them
/// with the message.
#[test]
fn the_failure_records_each_function() {
    let failure = failure_result_of(calling());
    assert_eq!(path(&failure), ["erroring", "calling"]);
    let shown = format!("{failure:?}");
    for part in ["Error Marker", "in erroring", "in calling"] {
        assert!(shown.contains(part), "{part} missing from {shown}");
    }
    assert!(format!("{failure:#}").contains("in erroring"));
}

/// Catalogue R.188: four levels, all recorded, each with the line of its `yield_!`.
#[test]
fn four_levels_are_recorded() {
    let failure = failure_result_of(calling3());
    assert_eq!(
        path(&failure),
        ["erroring", "calling", "calling2", "calling3"]
    );
    for frame in failure.async_frames() {
        assert!(frame.file().ends_with("inline_stacked.rs"));
        assert!(frame.line() > 0);
    }
}

/// Catalogue R.189: an already-failed Deferred passed through untouched gets no frames; only
/// the inline functions it travels out of add theirs.
#[test]
fn a_failure_not_through_inline_functions_has_no_frames() {
    let failure = failure_result_of(Deferred::<()>::fail(Failure::msg("plain")));
    assert!(failure.async_frames().is_empty());
    #[inline_callbacks]
    fn passes_on(d: Deferred<()>) -> Result<(), Failure> {
        yield_!(d)
    }
    let failure = failure_result_of(passes_on(Deferred::fail(Failure::msg("plain"))));
    assert_eq!(path(&failure), ["passes_on"]);
}

/// The frames also reach the unhandled-error report.
#[test]
fn unhandled_reports_show_the_path() {
    let reports = deferreds::testing::capture_unhandled(|| drop(calling2()));
    assert_eq!(reports.len(), 1);
    let report = format!("{:?}", reports[0].failure());
    assert!(
        report.contains("in erroring") && report.contains("in calling2"),
        "{report}"
    );
}

/// A failure kept and returned again and again (a cached error) starts each journey afresh:
/// each returned clone shows only the function it left, and the kept one gains nothing, so
/// a million returns use no more memory than one.
#[test]
fn a_cached_failure_returned_a_million_times_keeps_its_trail() {
    #[inline_callbacks]
    fn cached(failure: Failure) -> Result<(), Failure> {
        Err(failure)
    }
    let cache = Failure::msg("host not found");
    for _ in 0..1_000_000 {
        let returned = failure_result_of(cached(cache.clone()));
        assert!(returned.ptr_eq(&cache));
        assert_eq!(path(&returned), ["cached"]);
    }
    assert!(cache.async_frames().is_empty());
}

/// Clones of one failure travel separately: each gains the frames of the functions it
/// leaves, and none of another's.
#[test]
fn clones_of_a_failure_keep_separate_trails() {
    #[inline_callbacks]
    fn left(d: Deferred<()>) -> Result<(), Failure> {
        yield_!(d)
    }
    #[inline_callbacks]
    fn right(d: Deferred<()>) -> Result<(), Failure> {
        yield_!(d)
    }
    let failure = failure_result_of(erroring());
    let from_left = failure_result_of(left(Deferred::fail(failure.clone())));
    let from_right = failure_result_of(right(Deferred::fail(failure.clone())));
    assert_eq!(path(&failure), ["erroring"]);
    assert_eq!(path(&from_left), ["erroring", "left"]);
    assert_eq!(path(&from_right), ["erroring", "right"]);
    assert!(format!("{from_left:#}").contains("in left"));
    assert!(!format!("{from_left:#}").contains("in right"));
}
