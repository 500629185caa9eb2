//! The driver behind `#[inline_callbacks]`: a generator that yields Deferreds.
//!
//! The generator's body runs synchronously until it waits on a Deferred without a result.
//! `yield_!` on a Deferred that already has one takes it on the spot, without suspending,
//! so a body that yields a million fired Deferreds is a plain loop. On a pending one, the
//! generator suspends and the driver becomes a step of the function's outer chain, waiting
//! on the awaited Deferred exactly as a callback that returned it would: its result resumes
//! the generator, a cancel of the outer chain reaches it, and nothing recurses.
//!
//! With the `tracing` feature, every run of the body (the first, and each resumption by
//! whoever fires the awaited Deferred) happens inside the span that was current when the
//! function was called, as `tracing::Instrument` does for a future.

use std::future::Future;
use std::marker::PhantomData;
use std::rc::Rc;

use genawaiter::rc::{Co, Gen};
use genawaiter::GeneratorState;

use crate::debug::trace_if_debugging;
use crate::deferred::output::Produced;
use crate::deferred::Deferred;
use crate::engine::{callback_step, Callback, Chain, Continuation, Next, Outcome};
use crate::failure::{AsyncFrame, Failure};
use crate::guard::guarded;
use crate::tracing_support::CallerSpan;

/// A place in the source: an `#[inline_callbacks]` function, or a `yield_!` in it.
#[doc(hidden)]
#[derive(Debug)]
pub struct Site {
    pub function: &'static str,
    pub file: &'static str,
    pub line: u32,
}

/// What the generator hands the driver when it suspends.
#[doc(hidden)]
pub struct Suspend {
    chain: Rc<Chain>,
    site: &'static Site,
}

impl std::fmt::Debug for Suspend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Suspend at {:?}", self.site)
    }
}

/// The generator's handle for suspending, passed to the body by the macro.
#[doc(hidden)]
pub type Yielder = Co<Suspend, Option<Outcome>>;

/// A yielded Deferred that has no result yet.
#[doc(hidden)]
pub struct Pending<U> {
    chain: Rc<Chain>,
    value: PhantomData<fn() -> U>,
}

impl<U> std::fmt::Debug for Pending<U> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Pending({:?})", self.chain)
    }
}

/// What `yield_!` takes: a Deferred, and nothing else. Its own trait so that anything else
/// is refused with a message at the user's expression that says how to make a Deferred.
/// (A type parameter rather than an associated type: nothing to normalize, so one error.)
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`yield_!` waits for a `Deferred<_>`, not `{Self}`",
    label = "this is `{Self}`, not a `Deferred<_>`",
    note = "wrap a value with `Deferred::succeed(..)`, and turn a future into a Deferred with `ensure_deferred(..)` (or `spawn_deferred(..)` on the event loop)"
)]
pub trait Yieldable<U> {
    fn into_deferred(self) -> Deferred<U>;
}

impl<U: 'static> Yieldable<U> for Deferred<U> {
    #[inline]
    fn into_deferred(self) -> Deferred<U> {
        self
    }
}

/// The result of `d` if it has one now (no suspension), else what to wait on.
#[doc(hidden)]
#[allow(clippy::result_large_err)]
#[inline(always)]
pub fn take_now<U: 'static>(d: Deferred<U>) -> Result<Result<U, Failure>, Pending<U>> {
    match d.into_produced() {
        Produced::Ready(result) => Ok(result),
        Produced::Chain(chain) => take_from_chain(chain),
    }
}

/// The result of a shared chain if it has one now, else the chain to wait on.
#[allow(clippy::result_large_err)]
#[inline(never)]
fn take_from_chain<U: 'static>(chain: Rc<Chain>) -> Result<Result<U, Failure>, Pending<U>> {
    match chain.take_result() {
        Some(outcome) => Ok(outcome.into_result()),
        None => Err(Pending {
            chain,
            value: PhantomData,
        }),
    }
}

/// Suspends the generator until `pending` has a result, and returns that result.
#[doc(hidden)]
pub async fn wait<U: 'static>(
    yielder: &Yielder,
    pending: Pending<U>,
    site: &'static Site,
) -> Result<U, Failure> {
    let suspend = Suspend {
        chain: pending.chain,
        site,
    };
    match yielder.yield_(suspend).await {
        Some(outcome) => outcome.into_result(),
        None => unreachable!("a suspended coroutine is resumed with a result"),
    }
}

/// The declared return type of an `#[inline_callbacks]` function: `Result<T, E>` with
/// `E: Into<Failure>` (named by the macro as written, so aliases such as `io::Result<T>`
/// work).
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "an #[inline_callbacks] function must return `Result<T, E>` with `E: Into<Failure>`, not `{Self}`",
    note = "any `std::error::Error + Send + Sync + 'static` converts into a Failure"
)]
pub trait InlineResult {
    type Value: 'static;
    type Error: Into<Failure>;
    fn into_result(self) -> Result<Self::Value, Self::Error>;
}

impl<T: 'static, E: Into<Failure>> InlineResult for Result<T, E> {
    type Value = T;
    type Error = E;

    fn into_result(self) -> Result<T, E> {
        self
    }
}

/// Runs an `#[inline_callbacks]` body as a generator and gives its outer Deferred.
#[doc(hidden)]
#[track_caller]
pub fn inline_callbacks<R, F>(
    function: &'static Site,
    body: impl FnOnce(Yielder) -> F,
) -> Deferred<R::Value>
where
    R: InlineResult + 'static,
    F: Future<Output = R> + 'static,
{
    let created = trace_if_debugging();
    let mut driver = Box::new(Driver {
        generator: Some(Gen::new(body)),
        function,
        waiting_at: function,
        span: CallerSpan::current(),
        output: PhantomData,
    });
    match driver.resume(None) {
        Resumed::Finished(result) => Deferred::from_result(result),
        Resumed::Waiting(inner) => {
            Deferred::from_chain(Chain::waiting(Some(callback_step(driver)), inner, created))
        }
    }
}

struct Driver<R, F: Future> {
    /// `None` once the body has panicked: a panicked generator cannot be resumed.
    generator: Option<Gen<Suspend, Option<Outcome>, F>>,
    function: &'static Site,
    waiting_at: &'static Site,
    /// Entered around every run of the body, the first included (zero-sized without the
    /// `tracing` feature).
    span: CallerSpan,
    output: PhantomData<fn() -> R>,
}

enum Resumed<T> {
    Finished(Result<T, Failure>),
    Waiting(Rc<Chain>),
}

impl<R: InlineResult, F: Future<Output = R>> Driver<R, F> {
    /// Runs the body until it finishes or waits on a Deferred without a result. `input` is
    /// the awaited Deferred's result (`None` to start the body).
    fn resume(&mut self, input: Option<Outcome>) -> Resumed<R::Value> {
        let Some(generator) = self.generator.as_mut() else {
            unreachable!("a finished coroutine is not resumed");
        };
        let state = self
            .span
            .in_scope(|| guarded(|| generator.resume_with(input)));
        let result = match state {
            Ok(GeneratorState::Yielded(Suspend { chain, site })) => {
                self.waiting_at = site;
                return Resumed::Waiting(chain);
            }
            Ok(GeneratorState::Complete(result)) => result.into_result().map_err(Into::into),
            Err(panicked) => {
                self.generator = None;
                Err(panicked)
            }
        };
        let site = self.waiting_at;
        let frame = AsyncFrame::new(self.function.function, site.file, site.line);
        Resumed::Finished(result.map_err(|mut failure| {
            failure.push_frame(frame);
            failure
        }))
    }
}

/// The driver stays in its box from yield to yield: the box is one word, so the step that
/// resumes it holds the box itself, and waiting again allocates nothing.
impl<R: InlineResult + 'static, F: Future<Output = R> + 'static> Callback for Box<Driver<R, F>> {
    fn call(mut self, input: Outcome, _chain: &Chain) -> Next {
        match self.resume(Some(input)) {
            Resumed::Finished(result) => Next::Done(Outcome::from_result(result)),
            Resumed::Waiting(inner) => Next::Wait(inner, Some(Continuation::new(self))),
        }
    }
}
