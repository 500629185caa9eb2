//! Deferreds on a clock: `defer_later` and `add_timeout`.

use std::cell::{Cell, OnceCell};
use std::rc::{Rc, Weak};
use std::time::Duration;

use super::call::{CallInner, DelayedCall};
use super::{Clock, ClockExt};
use crate::deferred::output::CallbackOutput;
use crate::deferred::resolver::Resolver;
use crate::deferred::Deferred;
use crate::errors::{CancelledError, TimeoutError};
use crate::failure::Failure;

/// A Deferred that fires with the outcome of `f`, called `delay` from now on `clock`:
/// Twisted's `task.deferLater`.
///
/// `f` returns what a callback returns: `Ok(value)`, `Err(failure)` (or uses `?`), or a
/// `Deferred` to wait for; a panic in `f` fails the Deferred with a
/// [`PanicError`](crate::PanicError). For Twisted's `deferLater(clock, delay)` with no
/// callable, pass `|| Ok(())`.
///
/// Cancelling the Deferred before `delay` cancels the timer: `f` is never called and the
/// Deferred fails with [`CancelledError`]. Once `f` has returned a Deferred, cancelling
/// cancels that one. If the clock is dropped with the call still pending, the Deferred fails
/// with [`AbandonedError`](crate::AbandonedError).
///
/// ```
/// use std::time::Duration;
/// use deferreds::{defer_later, testing, CancelledError, TestClock};
///
/// let clock = TestClock::new();
/// let greeting = defer_later(&clock, Duration::from_secs(3), || Ok("hello".len()));
/// clock.advance(Duration::from_secs(2));
/// testing::assert_no_result(&greeting);
/// clock.advance(Duration::from_secs(1));
/// assert_eq!(testing::success_result_of(greeting), 5);
///
/// let never = defer_later(&clock, Duration::from_secs(3), || -> Result<(), _> { unreachable!() });
/// never.cancel();
/// assert!(testing::failure_result_of(never).check::<CancelledError>());
/// assert_eq!(clock.pending_calls(), 0);
/// ```
///
/// In an [`#[inline_callbacks]`](crate::inline_callbacks) function, it is a sleep:
///
/// ```
/// use std::time::Duration;
/// use deferreds::{defer_later, inline_callbacks, testing, Clock, Failure, TestClock};
///
/// #[inline_callbacks]
/// fn countdown(clock: TestClock) -> Result<Vec<u64>, Failure> {
///     let mut ticks = Vec::new();
///     for _ in 0..3 {
///         let now = yield_!(defer_later(&clock, Duration::from_secs(1), {
///             let clock = clock.clone();
///             move || Ok(clock.seconds().as_secs())
///         }))?;
///         ticks.push(now);
///     }
///     Ok(ticks)
/// }
///
/// let clock = TestClock::new();
/// let d = countdown(clock.clone());
/// clock.pump(&[Duration::from_secs(1); 3]);
/// assert_eq!(testing::success_result_of(d), [1, 2, 3]);
/// ```
#[track_caller]
pub fn defer_later<C, F, R>(clock: &C, delay: Duration, f: F) -> Deferred<R::Value>
where
    C: Clock + ?Sized,
    F: FnOnce() -> R + 'static,
    R: CallbackOutput,
{
    // The canceller is given before the timer exists; it finds the timer here. A weak
    // reference: the clock owns the call, and the call's function owns the resolver.
    let timer: Rc<OnceCell<Weak<CallInner>>> = Rc::new(OnceCell::new());
    let (d, resolver) = Deferred::<()>::with_stopper({
        let timer = timer.clone();
        move |cancelled: Resolver<()>| {
            let Some(call) = timer.get().and_then(DelayedCall::upgrade) else {
                return;
            };
            if let Ok(function) = call.cancel_keeping_function() {
                // The timer's function owns the Deferred's resolver: fail the Deferred
                // before dropping it, so that the drop does not count as abandoning it.
                cancelled.errback(Failure::of_library(CancelledError));
                drop(function);
            }
        }
    });
    let call = clock.call_later(delay, move || resolver.callback(()));
    let _ = timer.set(call.downgrade());
    d.add_callback(move |()| f())
}

/// Cancels `d` if it has no result after `timeout` on `clock`, and then fails it with a
/// [`TimeoutError`] instead of the [`CancelledError`]: Twisted's `Deferred.addTimeout`.
///
/// The timer is cancelled as soon as `d` has a result, so a Deferred that fired in time is
/// never cancelled later (nor is a Deferred its callbacks went on to wait for). When the
/// timeout cancels `d`, its canceller may fire it with a value or a failure of its own:
/// those pass through unchanged; only a [`CancelledError`] becomes a [`TimeoutError`].
///
/// As in Twisted, the timeout covers the callbacks added before this call (an inner
/// Deferred one of them returned is cancelled too), and callbacks added after see the
/// [`TimeoutError`]. Use [`add_timeout_with`] to decide what a timed-out Deferred gives.
///
/// ```
/// use std::time::Duration;
/// use deferreds::{add_timeout, testing, Deferred, TestClock, TimeoutError};
///
/// let clock = TestClock::new();
/// let (request, _resolver) = Deferred::<String>::new();
/// let request = add_timeout(request, Duration::from_secs(30), &clock);
/// clock.advance(Duration::from_secs(30));
/// let failure = testing::failure_result_of(request);
/// let timeout = failure.downcast_ref::<TimeoutError>().unwrap();
/// assert_eq!(timeout.timeout(), Duration::from_secs(30));
///
/// let (fast, resolver) = Deferred::new();
/// let fast = add_timeout(fast, Duration::from_secs(30), &clock);
/// resolver.callback("in time");
/// assert_eq!(clock.pending_calls(), 0); // the timer went when the Deferred fired
/// assert_eq!(testing::success_result_of(fast), "in time");
/// ```
///
/// On an [`#[inline_callbacks]`](crate::inline_callbacks) function's Deferred, the timeout
/// cancels what the body waits for; the body sees the [`CancelledError`] at its `yield_!`:
///
/// ```
/// use std::time::Duration;
/// use deferreds::{add_timeout, inline_callbacks, testing, CancelledError, Deferred, Failure};
/// use deferreds::{TestClock, TimeoutError};
///
/// #[inline_callbacks]
/// fn fetch(response: Deferred<u32>) -> Result<u32, Failure> {
///     match yield_!(response) {
///         Err(failure) if failure.check::<CancelledError>() => {
///             println!("giving up on the response");
///             Err(failure)
///         }
///         other => other,
///     }
/// }
///
/// let clock = TestClock::new();
/// let (response, _resolver) = Deferred::new();
/// let d = add_timeout(fetch(response), Duration::from_secs(5), &clock);
/// clock.advance(Duration::from_secs(5)); // prints "giving up on the response"
/// assert!(testing::failure_result_of(d).check::<TimeoutError>());
/// ```
pub fn add_timeout<T, C>(d: Deferred<T>, timeout: Duration, clock: &C) -> Deferred<T>
where
    T: 'static,
    C: Clock + ?Sized,
{
    add_timeout_with(d, timeout, clock, |result, timeout| match result {
        Err(failure) if failure.check::<CancelledError>() => {
            Err(Failure::of_library(TimeoutError::new(timeout)))
        }
        other => other,
    })
}

/// [`add_timeout`], with `on_timeout` deciding the result when the timeout fired: Twisted's
/// `addTimeout(timeout, clock, onTimeoutCancel)`.
///
/// `on_timeout(result, timeout)` is called only if the timeout cancelled `d` (not when `d`
/// fired in time, nor when someone else cancelled it first), with whatever result `d` has
/// then: usually the [`CancelledError`] failure, but also a value or failure that `d`'s
/// canceller or an earlier errback gave. What it returns becomes the result; a panic fails
/// the Deferred.
///
/// ```
/// use std::time::Duration;
/// use deferreds::{add_timeout_with, testing, Deferred, TestClock};
///
/// let clock = TestClock::new();
/// let (lookup, _resolver) = Deferred::<Vec<&str>>::new();
/// let lookup = add_timeout_with(lookup, Duration::from_secs(2), &clock, |_cancelled, _| {
///     Ok(vec!["cached entry"]) // fall back on the cache
/// });
/// clock.advance(Duration::from_secs(2));
/// assert_eq!(testing::success_result_of(lookup), ["cached entry"]);
/// ```
pub fn add_timeout_with<T, C, F>(
    mut d: Deferred<T>,
    timeout: Duration,
    clock: &C,
    on_timeout: F,
) -> Deferred<T>
where
    T: 'static,
    C: Clock + ?Sized,
    F: FnOnce(Result<T, Failure>, Duration) -> Result<T, Failure> + 'static,
{
    let controller = d.controller();
    let timed_out = Rc::new(Cell::new(false));
    let call = clock.call_later(timeout, {
        let timed_out = timed_out.clone();
        move || {
            timed_out.set(true);
            controller.cancel();
        }
    });
    // Weak: the clock owns the call, and the call's function owns a handle to this chain.
    let timer = call.downgrade();
    d.add_both(move |result| {
        // Fired in time (or cancelled by someone else): no late cancellation.
        DelayedCall::cancel_weak(&timer);
        match timed_out.get() {
            true => on_timeout(result, timeout),
            false => result,
        }
    })
}
