//! [`FanOut`]: one Deferred's result for any number of independent waiters.

use std::cell::{Cell, OnceCell, RefCell};
use std::fmt;
use std::rc::{Rc, Weak};

use super::watch::{watch, Sink};
use crate::deferred::resolver::Resolver;
use crate::deferred::Deferred;
use crate::engine::{Chain, Fires};
use crate::errors::CancelledError;
use crate::failure::Failure;
use crate::guard::guarded;

/// One Deferred's result for any number of independent waiters: each
/// [`waiter`](Self::waiter) is a new Deferred, with a chain of its own, that fires with a
/// clone of the result.
///
/// A Deferred's chain is a single line: its callbacks take the result in turn, and what one
/// does to it, the next one sees. A `FanOut` takes over a source Deferred and gives each
/// waiter its own copy, so nothing one waiter's callbacks do (change the value, fail,
/// recover) reaches another. Twisted has no such helper; its users write their own.
///
/// - Waiters may be taken before or after the source fires. Those taken before fire when it
///   does, in the order they were taken; those taken after have the result at once.
/// - Each waiter gets a clone of the value, so `T: Clone` (a value that shares state, like an
///   `Rc<RefCell<_>>`, shares it as its `Clone` does). A failure is given to each waiter as a
///   clone of the [`Failure`], which shares the one underlying error, and also its
///   [`async_frames`](Failure::async_frames) trail: a frame one waiter's
///   `#[inline_callbacks]` function adds shows in the other waiters' copies too.
/// - The fan-out handles the source's failure on its waiters' behalf: a waiter that gets it
///   reports it as unhandled if its own chain does not handle it. If no waiter gets it at
///   all, it is reported when the last `FanOut` handle goes.
///
/// # Cancelling
///
/// - Cancelling a waiter fails that waiter alone, with [`CancelledError`]; the source and the
///   other waiters carry on.
/// - Once every waiter taken has been cancelled and no `FanOut` handle is left to take
///   another, nobody can see the source's result any more, and the source is cancelled (its
///   result is then dropped quietly). Dropping waiters or handles alone never cancels the
///   source, just as dropping a Deferred does not cancel it.
/// - [`FanOut::cancel`] cancels the source: every waiter still waiting gets what that gives
///   (a [`CancelledError`], or what the source's canceller fired it with).
///
/// ```
/// use deferreds::{testing, Deferred, FanOut};
///
/// let (hosts, fire_hosts) = Deferred::<Vec<&str>>::new();
/// let hosts = FanOut::new(hosts);
///
/// let server = hosts.waiter().add_callback(|mut hosts| {
///     hosts.push("localhost"); // changes this waiter's copy only
///     Ok(hosts.len())
/// });
/// let logger = hosts.waiter().add_callback(|hosts| Ok(hosts.join(",")));
///
/// fire_hosts.callback(vec!["a", "b"]);
/// assert_eq!(testing::success_result_of(server), 3);
/// assert_eq!(testing::success_result_of(logger), "a,b");
/// assert_eq!(testing::success_result_of(hosts.waiter()), ["a", "b"]); // later waiters too
/// ```
pub struct FanOut<T: 'static> {
    shared: Rc<FanShared<T>>,
}

pub(super) struct FanShared<T: 'static> {
    /// The source's result, kept for waiters taken later (if any handle was left to take
    /// one when it came).
    result: OnceCell<Result<T, Failure>>,
    /// Waiters taken before the source fired, in order; `None` once cancelled.
    waiters: RefCell<Vec<Option<Resolver<T>>>>,
    /// Waiters taken before the source fired and not cancelled.
    live: Cell<usize>,
    any_cancelled: Cell<bool>,
    /// `FanOut` handles alive.
    handles: Cell<usize>,
    /// The source, while it has no result, for cancelling it.
    source: RefCell<Option<Rc<Chain>>>,
    /// A failure result has been given to a waiter.
    seen: Cell<bool>,
    /// The fan-out cancelled the source because nobody waited any more.
    quiet: Cell<bool>,
}

impl<T: Clone + 'static> FanOut<T> {
    /// Takes over `source`; its result goes to the waiters.
    ///
    /// ```
    /// use deferreds::{testing, Deferred, FanOut};
    /// let fan = FanOut::new(Deferred::succeed(7));
    /// assert_eq!(testing::success_result_of(fan.waiter()), 7);
    /// assert_eq!(testing::success_result_of(fan.waiter()), 7);
    /// ```
    pub fn new(source: Deferred<T>) -> Self {
        let shared = Rc::new(FanShared {
            result: OnceCell::new(),
            waiters: RefCell::new(Vec::new()),
            live: Cell::new(0),
            any_cancelled: Cell::new(false),
            handles: Cell::new(1),
            source: RefCell::new(None),
            seen: Cell::new(false),
            quiet: Cell::new(false),
        });
        let pending = watch(
            source,
            FanSource {
                shared: shared.clone(),
            },
            0,
        );
        *shared.source.borrow_mut() = pending;
        FanOut { shared }
    }

    /// A new Deferred that fires with a clone of the source's result: when the source fires,
    /// or at once if it has.
    ///
    /// ```
    /// use deferreds::{testing, Deferred, Failure, FanOut};
    ///
    /// let (source, fire) = Deferred::<u8>::new();
    /// let fan = FanOut::new(source);
    /// let early = fan.waiter();
    /// testing::assert_no_result(&early);
    /// fire.errback(Failure::msg("unreachable host"));
    /// assert_eq!(testing::failure_result_of(early).error_message(), "unreachable host");
    /// assert_eq!(testing::failure_result_of(fan.waiter()).error_message(), "unreachable host");
    /// ```
    #[track_caller]
    pub fn waiter(&self) -> Deferred<T> {
        let shared = &self.shared;
        if let Some(result) = shared.result.get() {
            if result.is_err() {
                shared.seen.set(true);
            }
            return Deferred::from_result(copy_for_waiter(result));
        }
        let index = shared.waiters.borrow().len();
        let canceller = Rc::downgrade(shared);
        let (waiter, resolver) =
            Deferred::with_stopper(move |own| cancel_waiter(&canceller, index, own));
        shared.waiters.borrow_mut().push(Some(resolver));
        shared.live.set(shared.live.get() + 1);
        waiter
    }

    /// Cancels the source, if it has no result yet (see [`Deferred::cancel`]): the waiters
    /// get whatever that gives it.
    ///
    /// ```
    /// use deferreds::{testing, CancelledError, Deferred, FanOut};
    ///
    /// let (source, _fire) = Deferred::<u8>::new();
    /// let fan = FanOut::new(source);
    /// let waiter = fan.waiter();
    /// fan.cancel();
    /// assert!(testing::failure_result_of(waiter).check::<CancelledError>());
    /// ```
    pub fn cancel(&self) {
        let source = self.shared.source.borrow().clone();
        if let Some(source) = source {
            source.cancel();
        }
    }

    /// Has the source fired with its result (so new waiters have it at once)?
    ///
    /// ```
    /// use deferreds::{Deferred, FanOut};
    /// let (source, fire) = Deferred::<u8>::new();
    /// let fan = FanOut::new(source);
    /// assert!(!fan.has_result());
    /// fire.callback(1);
    /// assert!(fan.has_result());
    /// ```
    pub fn has_result(&self) -> bool {
        self.shared.result.get().is_some()
    }
}

impl<T: Clone + 'static> Deferred<T> {
    /// Hands this Deferred's result to any number of independent waiters: the same as
    /// [`FanOut::new`].
    ///
    /// ```
    /// use deferreds::{testing, Deferred};
    ///
    /// let (d, resolver) = Deferred::<String>::new();
    /// let fan = d.fan_out();
    /// let shout = fan.waiter().add_callback(|s| Ok(s.to_uppercase()));
    /// let count = fan.waiter().add_callback(|s| Ok(s.len()));
    /// resolver.callback("hello".to_string());
    /// assert_eq!(testing::success_result_of(shout), "HELLO");
    /// assert_eq!(testing::success_result_of(count), 5);
    /// ```
    pub fn fan_out(self) -> FanOut<T> {
        FanOut::new(self)
    }
}

/// The same as [`FanOut::new`].
///
/// ```
/// use deferreds::{testing, Deferred, FanOut};
/// let fan: FanOut<u8> = Deferred::succeed(1).into();
/// assert_eq!(testing::success_result_of(fan.waiter()), 1);
/// ```
impl<T: Clone + 'static> From<Deferred<T>> for FanOut<T> {
    fn from(source: Deferred<T>) -> Self {
        FanOut::new(source)
    }
}

/// Another handle to the same fan-out: waiters taken from either get the same result.
impl<T: 'static> Clone for FanOut<T> {
    fn clone(&self) -> Self {
        self.shared.handles.set(self.shared.handles.get() + 1);
        FanOut {
            shared: self.shared.clone(),
        }
    }
}

/// The last handle going away cancels the source if every waiter taken was cancelled.
impl<T: 'static> Drop for FanOut<T> {
    fn drop(&mut self) {
        let shared = &self.shared;
        shared.handles.set(shared.handles.get() - 1);
        if shared.handles.get() == 0 {
            shared.cancel_source_if_unwanted();
        }
    }
}

/// Shows whether the source has fired and how many waiters wait for it.
impl<T: 'static> fmt::Debug for FanOut<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.shared.result.get() {
            Some(Ok(_)) => "has a result",
            Some(Err(_)) => "failed",
            None => "pending",
        };
        write!(
            f,
            "FanOut<{}> {{ {state}, {} waiting }}",
            std::any::type_name::<T>(),
            self.shared.live.get()
        )
    }
}

impl<T: 'static> FanShared<T> {
    fn cancel_source_if_unwanted(&self) {
        if self.handles.get() > 0 || self.live.get() > 0 || !self.any_cancelled.get() {
            return;
        }
        let source = self.source.borrow_mut().take();
        if let Some(source) = source {
            self.quiet.set(true);
            source.cancel(); // a canceller that panics is reported by the cancel
        }
    }
}

impl<T: Clone + 'static> FanShared<T> {
    /// The source's result has come: hand it to the waiters.
    fn deliver(&self, result: Result<T, Failure>, fires: &mut Fires) -> Option<Failure> {
        drop(self.source.borrow_mut().take());
        let waiters: Vec<Resolver<T>> = self.waiters.take().into_iter().flatten().collect();
        self.live.set(0);
        if result.is_err() && !waiters.is_empty() {
            self.seen.set(true);
        }
        if self.handles.get() > 0 {
            // More waiters may come: keep the result, and give everyone a clone.
            let result = self.result.get_or_init(|| result);
            for waiter in waiters {
                waiter.resolve_into(copy_for_waiter(result), fires);
            }
            return None;
        }
        // Nobody can take a waiter any more: the last one gets the result itself.
        let mut waiters = waiters.into_iter();
        let Some(last) = waiters.next_back() else {
            return match result {
                Err(failure) if !self.quiet.get() => Some(failure), // nobody will see it
                _ => None,
            };
        };
        for waiter in waiters {
            waiter.resolve_into(copy_for_waiter(&result), fires);
        }
        last.resolve_into(result, fires);
        None
    }
}

/// A copy of the source's result for one waiter: a `Clone` that panics fails that waiter
/// alone, with the panic as a [`PanicError`](crate::PanicError).
fn copy_for_waiter<T: Clone>(result: &Result<T, Failure>) -> Result<T, Failure> {
    guarded(|| result.clone()).unwrap_or_else(Err)
}

/// A failure nobody was given is reported when the fan-out goes.
impl<T: 'static> Drop for FanShared<T> {
    fn drop(&mut self) {
        if let Some(Err(failure)) = self.result.take() {
            if !self.seen.get() {
                crate::unhandled::report(failure, None);
            }
        }
    }
}

/// A waiter's canceller: it fails alone, and the source is cancelled if nobody waits any more.
pub(super) fn cancel_waiter<T: 'static>(
    shared: &Weak<FanShared<T>>,
    index: usize,
    own: Resolver<T>,
) {
    own.errback(Failure::of_library(CancelledError));
    let Some(shared) = shared.upgrade() else {
        return;
    };
    // The waiter fired above, so dropping its first resolver does not abandon it.
    let stored = shared
        .waiters
        .borrow_mut()
        .get_mut(index)
        .and_then(Option::take);
    if let Some(stored) = stored {
        drop(stored);
        shared.live.set(shared.live.get() - 1);
        shared.any_cancelled.set(true);
        shared.cancel_source_if_unwanted();
    }
}

/// Watches a fan-out's source.
pub(super) struct FanSource<T: 'static> {
    shared: Rc<FanShared<T>>,
}

impl<T: Clone + 'static> Sink<T> for FanSource<T> {
    fn take(self, _: u32, result: Result<T, Failure>, fires: &mut Fires) -> Option<Failure> {
        self.shared.deliver(result, fires)
    }
}
