//! Cancelling an `#[inline_callbacks]` function's Deferred: Twisted's inlineCallbacks
//! `CancellationTests` (catalogue Q). Each scenario runs with the child Deferred waited on
//! directly, through a stacked inline function, through an async block (Twisted's
//! coroutine), and through each stacked kind after a first wait has already finished.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use deferreds::testing::{assert_no_result, failure_result_of, success_result_of};
use deferreds::{inline_callbacks, CancelledError, Deferred, Failure, Resolver};

mod support;
use support::{note, Log};

#[derive(Debug, thiserror::Error)]
#[error("untranslated")]
struct UntranslatedError;

#[derive(Debug, thiserror::Error)]
#[error("translated")]
struct TranslatedError;

#[derive(Debug, thiserror::Error)]
#[error("don't fail: {0}")]
struct DontFail(u32);

/// How the function under test reaches the child Deferred.
#[derive(Clone, Copy, Debug)]
enum Stack {
    NotStacked,
    StackedInline,
    StackedFuture,
    StackedInlineOnSecond,
    StackedFutureOnSecond,
}

impl Stack {
    /// Through `ensure_deferred`, whose cancel drops the future (async Rust's way of
    /// cancelling): the child is cancelled by the drop, but what its canceller makes of it no
    /// longer reaches anyone, and the outer fails with `CancelledError`. Twisted's coroutines
    /// instead see the child's outcome at their `await` (a deliberate difference; a body that
    /// must handle its own cancellation is an `#[inline_callbacks]` function).
    fn drops_on_cancel(self) -> bool {
        matches!(self, Stack::StackedFuture | Stack::StackedFutureOnSecond)
    }
}

const STACKS: [Stack; 5] = [
    Stack::NotStacked,
    Stack::StackedInline,
    Stack::StackedFuture,
    Stack::StackedInlineOnSecond,
    Stack::StackedFutureOnSecond,
];

#[inline_callbacks]
fn stacked_inline(child: Deferred<u32>) -> Result<u32, Failure> {
    yield_!(child)
}

/// Twisted's `sampleInlineCB`: optionally waits on a first, already-fired Deferred; then on
/// the child (however stacked); translates `UntranslatedError`, recovers from `DontFail`,
/// and returns the value plus one.
#[inline_callbacks]
fn sample(stack: Stack, child: Deferred<u32>) -> Result<u32, Failure> {
    if matches!(
        stack,
        Stack::StackedInlineOnSecond | Stack::StackedFutureOnSecond
    ) {
        let (first, fire_first) = Deferred::<()>::new();
        fire_first.callback(());
        yield_!(first)?;
    }
    let waited = match stack {
        Stack::NotStacked => child,
        Stack::StackedInline | Stack::StackedInlineOnSecond => stacked_inline(child),
        Stack::StackedFuture | Stack::StackedFutureOnSecond => {
            deferreds::ensure_deferred(async move { child.await })
        }
    };
    let x = match yield_!(waited) {
        Ok(x) => x,
        Err(failure) if failure.check::<UntranslatedError>() => return Err(TranslatedError.into()),
        Err(failure) => match failure.downcast_ref::<DontFail>() {
            Some(DontFail(actual)) => actual - 2,
            None => return Err(failure),
        },
    };
    Ok(x + 1)
}

/// Catalogue Q.181: cancelling the outer Deferred cancels the innermost one waited on.
#[test]
fn cancel_cascades_to_the_child() {
    for stack in STACKS {
        let saw_cancel = Rc::new(Cell::new(false));
        let (child, _keep) = Deferred::<u32>::new();
        let child = child.add_errback({
            let saw_cancel = saw_cancel.clone();
            move |failure| {
                saw_cancel.set(failure.check::<CancelledError>());
                Err(failure)
            }
        });
        let d = sample(stack, child);
        d.cancel();
        assert!(saw_cancel.get(), "{stack:?}");
        assert!(failure_result_of(d).check::<CancelledError>(), "{stack:?}");
    }
}

/// Catalogue Q.182: with a plain child, the outer fails with `CancelledError`.
#[test]
fn cancel_fails_with_cancelled_error() {
    for stack in STACKS {
        let (child, _keep) = Deferred::<u32>::new();
        let d = sample(stack, child);
        assert_no_result(&d);
        d.cancel();
        assert!(failure_result_of(d).check::<CancelledError>(), "{stack:?}");
    }
}

/// Catalogue Q.183: the child's canceller fails it with an error the body translates.
#[test]
fn error_to_error_translation() {
    for stack in STACKS {
        let (child, _keep) =
            Deferred::<u32>::with_canceller(|resolver| resolver.errback(UntranslatedError));
        let d = sample(stack, child);
        d.cancel();
        let failure = failure_result_of(d);
        match stack.drops_on_cancel() {
            true => assert!(failure.check::<CancelledError>(), "{stack:?}"),
            false => assert!(failure.check::<TranslatedError>(), "{stack:?}"),
        }
    }
}

/// Catalogue Q.184: the child's canceller fails it with an error the body recovers from:
/// the outer Deferred succeeds with the body's value.
#[test]
fn error_to_success_translation() {
    for stack in STACKS {
        let (child, _keep) =
            Deferred::<u32>::with_canceller(|resolver| resolver.errback(DontFail(4321)));
        let d = sample(stack, child);
        d.cancel();
        match stack.drops_on_cancel() {
            true => assert!(failure_result_of(d).check::<CancelledError>(), "{stack:?}"),
            false => assert_eq!(success_result_of(d), 4320, "{stack:?}"),
        }
    }
}

/// Catalogue Q.185: the child's errback turns the cancellation into another wait; the outer
/// waits for it and then succeeds.
#[test]
fn asynchronous_cancellation() {
    for stack in STACKS {
        let (more, fire_more) = Deferred::<u32>::new();
        let more = Rc::new(RefCell::new(Some(more)));
        let (child, _keep) = Deferred::<u32>::new();
        let child = child.add_errback({
            let more = more.clone();
            move |failure| match failure.trap::<CancelledError>() {
                Ok(_) => more.borrow_mut().take().expect("one cancellation"),
                Err(other) => Deferred::fail(other),
            }
        });
        let d = sample(stack, child);
        d.cancel();
        if stack.drops_on_cancel() {
            assert!(failure_result_of(d).check::<CancelledError>(), "{stack:?}");
            continue;
        }
        assert_no_result(&d);
        fire_more.callback(6543);
        assert_eq!(success_result_of(d), 6544, "{stack:?}");
    }
}

/// Catalogue Q.186: the first cancel hits the first wait, which the body survives; the
/// second cancel hits the second wait, which it does not.
#[test]
fn each_cancel_hits_the_current_wait() {
    let cancelled: Rc<RefCell<Vec<&str>>> = Rc::default();
    let canceller = |name: &'static str| {
        let cancelled = cancelled.clone();
        move |_: Resolver<()>| cancelled.borrow_mut().push(name)
    };
    let (d1, _keep1) = Deferred::<()>::with_canceller(canceller("d1"));
    let (d2, _keep2) = Deferred::<()>::with_canceller(canceller("d2"));

    #[inline_callbacks]
    fn two_waits(d1: Deferred<()>, d2: Deferred<()>) -> Result<(), Failure> {
        let _ = yield_!(d1); // whatever happens, go on
        yield_!(d2)
    }
    let mut d = two_waits(d1, d2);
    let controller = d.controller();
    assert!(cancelled.borrow().is_empty());

    controller.cancel();
    assert_eq!(*cancelled.borrow(), ["d1"]);
    assert_no_result(&d);

    controller.cancel();
    assert_eq!(*cancelled.borrow(), ["d1", "d2"]);
    assert!(failure_result_of(d).check::<CancelledError>());
}

/// Cancelling after the function finished does nothing.
#[test]
fn cancel_after_completion_does_nothing() {
    #[inline_callbacks]
    fn done() -> Result<u8, Failure> {
        Ok(yield_!(Deferred::succeed(3))?)
    }
    let d = done();
    d.cancel();
    assert_eq!(success_result_of(d), 3);
}

/// A body that handles the cancellation and returns a value: the outer fires with it, as in
/// Twisted.
#[test]
fn a_body_that_handles_cancellation_succeeds() {
    #[inline_callbacks]
    fn stubborn(child: Deferred<u8>, log: Rc<RefCell<Vec<&'static str>>>) -> Result<u8, Failure> {
        match yield_!(child) {
            Ok(v) => Ok(v),
            Err(failure) if failure.check::<CancelledError>() => {
                log.borrow_mut().push("saw the cancel");
                Ok(0)
            }
            Err(failure) => Err(failure),
        }
    }
    let log = Rc::default();
    let (child, _keep) = Deferred::new();
    let d = stubborn(child, Rc::clone(&log));
    d.cancel();
    assert_eq!(success_result_of(d), 0);
    assert_eq!(*log.borrow(), ["saw the cancel"]);
}

/// A body that catches the cancellation and waits on something else: cancelling again
/// cancels that, and a body that re-raises fails the outer.
#[test]
fn a_body_may_wait_again_after_a_cancel() {
    #[inline_callbacks]
    fn retries(first: Deferred<u8>, second: Deferred<u8>) -> Result<u8, Failure> {
        if let Ok(v) = yield_!(first) {
            return Ok(v);
        }
        let v = yield_!(second)?;
        Ok(v + 100)
    }
    let (first, _keep1) = Deferred::new();
    let (second, fire_second) = Deferred::new();
    let d = retries(first, second);
    d.cancel();
    assert_no_result(&d);
    fire_second.callback(1);
    assert_eq!(success_result_of(d), 101);
}

/// Cancelling an inline function that waits on another inline function cancels that one's
/// wait too, and both see `CancelledError`.
#[test]
fn cancel_reaches_through_stacked_functions() {
    let seen: Rc<RefCell<Vec<&'static str>>> = Rc::default();
    #[inline_callbacks]
    fn inner(child: Deferred<u8>, seen: Rc<RefCell<Vec<&'static str>>>) -> Result<u8, Failure> {
        let result = yield_!(child);
        if result.as_ref().is_err_and(|f| f.check::<CancelledError>()) {
            seen.borrow_mut().push("inner");
        }
        result
    }
    #[inline_callbacks]
    fn outer(child: Deferred<u8>, seen: Rc<RefCell<Vec<&'static str>>>) -> Result<u8, Failure> {
        let result = yield_!(inner(child, seen.clone()));
        if result.as_ref().is_err_and(|f| f.check::<CancelledError>()) {
            seen.borrow_mut().push("outer");
        }
        result
    }
    let (child, _keep) = Deferred::new();
    let d = outer(child, seen.clone());
    d.cancel();
    assert!(failure_result_of(d).check::<CancelledError>());
    assert_eq!(*seen.borrow(), ["inner", "outer"]);
}

/// Cancelling from inside the body (through a controller it was given) while it runs does
/// not cancel the Deferred it already got: the function goes on to its result.
#[test]
fn cancel_from_inside_the_running_body() {
    #[inline_callbacks]
    fn self_cancelling(
        controller: Rc<RefCell<Option<deferreds::Controller>>>,
    ) -> Result<&'static str, Failure> {
        yield_!(Deferred::succeed(()))?;
        if let Some(controller) = controller.borrow().as_ref() {
            controller.cancel();
        }
        Ok("finished")
    }
    let slot = Rc::new(RefCell::new(None));
    let (gate, open) = Deferred::<()>::new();
    // Wait first, so the controller exists before the body runs on.
    let mut d = gate.add_callback({
        let slot = slot.clone();
        move |()| self_cancelling(slot)
    });
    *slot.borrow_mut() = Some(d.controller());
    open.callback(());
    assert_eq!(success_result_of(d), "finished");
}

/// Notes in the log when it is dropped, as a permit would be released.
struct Guard(&'static str, Log);

impl Drop for Guard {
    fn drop(&mut self) {
        note(&self.1, format!("drop {}", self.0));
    }
}

/// A cancelled body holds its parameters, named or not, until it ends: the cancel reaches
/// the wait first, and the permits go as the body returns.
#[test]
fn a_cancelled_body_holds_its_parameters_until_it_ends() {
    #[inline_callbacks]
    fn holds(_permit: Guard, _: Guard, child: Deferred<u8>, log: Log) -> Result<u8, Failure> {
        let waited = yield_!(child);
        note(&log, format!("body saw cancelled: {}", waited.is_err()));
        waited
    }
    let log = Log::default();
    let (child, _resolver) = Deferred::with_canceller({
        let log = log.clone();
        move |_| note(&log, "child cancelled")
    });
    let d = holds(
        Guard("permit", log.clone()),
        Guard("_", log.clone()),
        child,
        log.clone(),
    );
    assert!(log.borrow().is_empty(), "{:?}", log.borrow());
    d.cancel();
    assert!(failure_result_of(d).check::<CancelledError>());
    assert_eq!(
        *log.borrow(),
        [
            "child cancelled",
            "body saw cancelled: true",
            "drop _",
            "drop permit"
        ]
    );
}
