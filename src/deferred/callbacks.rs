//! The one step type behind `add_callback`, `add_errback`, `add_callbacks` and `add_both`.
//!
//! A step has two sides, as Twisted's `addCallbacks` has: one runs on a value, the other on
//! a failure, and exactly one of them runs (the other is dropped). `add_callback` is a step
//! whose failure side passes the failure on; `add_errback` one whose value side passes the
//! value on; `add_both` one whose two sides are the same function. Each kind is one small
//! [`Sides`] implementation, and both ways a step runs use it:
//!
//! - on a Deferred whose result sits inline in its handle, `add_*` runs [`Sides::run`] at
//!   once on that result;
//! - on a shared chain, the step is queued as a [`Queued`], which runs the same
//!   [`Sides::run`] when the chain's result reaches it.
//!
//! One shortcut stands beside them: [`Segment`], a run of queued callbacks that keep the
//! result's type, run in one loop with one panic guard.

use std::any::Any;
use std::marker::PhantomData;

use crate::deferred::output::{CallbackOutput, Produced};
use crate::engine::{callback_step, Callback, Chain, Continuation, Next, Outcome, Step, ValueBox};
use crate::failure::Failure;
use crate::guard::dispose;
use crate::guard::guarded;

/// The two sides of one step on a `Result<T, Failure>`. `Value` is the type the chain
/// carries on with.
pub(crate) trait Sides<T>: Sized + 'static {
    type Value: 'static;

    /// Runs the value side (or passes the value on).
    fn on_value(self, value: T) -> Produced<Self::Value>;

    /// Runs the failure side (or passes the failure on).
    fn on_failure(self, failure: Failure) -> Produced<Self::Value>;

    /// Runs the side the result calls for.
    #[inline(always)]
    fn run(self, input: Result<T, Failure>) -> Produced<Self::Value> {
        match input {
            Ok(value) => self.on_value(value),
            Err(failure) => self.on_failure(failure),
        }
    }
}

/// Calls one side's user function under guard: a panic becomes a failure.
#[inline(always)]
fn call<I, R: CallbackOutput>(user: impl FnOnce(I) -> R, input: I) -> Produced<R::Value> {
    match guarded(|| user(input)) {
        Ok(output) => output.produce(),
        Err(panicked) => Produced::Ready(Err(panicked)),
    }
}

/// `add_callback`: the failure side passes the failure on.
pub(crate) struct OnValue<F>(pub(crate) F);

impl<T: 'static, F: FnOnce(T) -> R + 'static, R: CallbackOutput> Sides<T> for OnValue<F> {
    type Value = R::Value;

    #[inline(always)]
    fn on_value(self, value: T) -> Produced<R::Value> {
        call(self.0, value)
    }

    #[inline(always)]
    fn on_failure(self, failure: Failure) -> Produced<R::Value> {
        dispose(self.0);
        Produced::Ready(Err(failure))
    }
}

/// `add_errback`: the value side passes the value on.
pub(crate) struct OnFailure<G>(pub(crate) G);

impl<T: 'static, G: FnOnce(Failure) -> R + 'static, R: CallbackOutput<Value = T>> Sides<T>
    for OnFailure<G>
{
    type Value = T;

    #[inline(always)]
    fn on_value(self, value: T) -> Produced<T> {
        dispose(self.0);
        Produced::Ready(Ok(value))
    }

    #[inline(always)]
    fn on_failure(self, failure: Failure) -> Produced<T> {
        call(self.0, failure)
    }
}

/// `add_callbacks`: a side of each.
pub(crate) struct OnEither<F, G>(pub(crate) F, pub(crate) G);

impl<T: 'static, F, G, R1, R2> Sides<T> for OnEither<F, G>
where
    F: FnOnce(T) -> R1 + 'static,
    G: FnOnce(Failure) -> R2 + 'static,
    R1: CallbackOutput,
    R2: CallbackOutput<Value = R1::Value>,
{
    type Value = R1::Value;

    #[inline(always)]
    fn on_value(self, value: T) -> Produced<R1::Value> {
        let OnEither(callback, errback) = self;
        let output = call(callback, value);
        dispose(errback);
        output
    }

    #[inline(always)]
    fn on_failure(self, failure: Failure) -> Produced<R1::Value> {
        let OnEither(callback, errback) = self;
        dispose(callback);
        call(errback, failure)
    }
}

/// `add_both`: both sides are the same function, given `Ok(value)` or `Err(failure)`.
pub(crate) struct OnBoth<F>(pub(crate) F);

impl<T: 'static, F: FnOnce(Result<T, Failure>) -> R + 'static, R: CallbackOutput> Sides<T>
    for OnBoth<F>
{
    type Value = R::Value;

    #[inline(always)]
    fn on_value(self, value: T) -> Produced<R::Value> {
        call(self.0, Ok(value))
    }

    #[inline(always)]
    fn on_failure(self, failure: Failure) -> Produced<R::Value> {
        call(self.0, Err(failure))
    }
}

/// A step queued on a shared chain, run by the engine when the result reaches it.
pub(crate) struct Queued<T, S> {
    sides: S,
    input: PhantomData<fn(T)>,
}

impl<T: 'static, S: Sides<T>> Queued<T, S> {
    pub(crate) fn step(sides: S) -> Step {
        callback_step(Queued {
            sides,
            input: PhantomData,
        })
    }
}

impl<T: 'static, S: Sides<T>> Callback for Queued<T, S> {
    #[inline]
    fn call(self, input: Outcome, _chain: &Chain) -> Next {
        match input {
            Outcome::Value(mut boxed) => {
                let value = boxed.take::<T>();
                settle(self.sides.on_value(value), Some(boxed))
            }
            Outcome::Failure(failure) => settle(self.sides.on_failure(failure), None),
        }
    }
}

/// The chain's next result from what a step produced. A value goes back into the box the
/// input came in, when there was one (it is refilled if the type fits, and given up
/// otherwise).
#[inline]
fn settle<U: 'static>(produced: Produced<U>, emptied: Option<ValueBox>) -> Next {
    let (result, emptied) = match (produced, emptied) {
        (Produced::Ready(Ok(value)), Some(emptied)) => {
            return Next::Done(Outcome::Value(emptied.refill(value)))
        }
        (Produced::Ready(result), emptied) => (result, emptied),
        (Produced::Chain(inner), emptied) => {
            emptied.into_iter().for_each(ValueBox::discard);
            return match inner.take_result() {
                Some(outcome) => Next::Done(outcome),
                None => Next::Wait(inner, None),
            };
        }
    };
    emptied.into_iter().for_each(ValueBox::discard);
    Next::Done(Outcome::from_result(result))
}

/// A callback that keeps the result's type and returns a plain `Result`: the common case,
/// stored so that a run of them can share one segment.
type SameTyped<T> = Box<dyn FnOnce(T) -> Result<T, Failure>>;

/// Queues `callback` on `chain` into a segment of same-typed callbacks, if it keeps the
/// result's type (decided at compile time: the check folds away) and the engine takes it
/// as an open step (see `Chain::queue_joining`). Otherwise gives it back.
#[inline]
pub(crate) fn queue_same_typed<T: 'static, F, R>(chain: &Chain, callback: F) -> Result<(), F>
where
    F: FnOnce(T) -> R + 'static,
    R: CallbackOutput,
{
    if std::any::TypeId::of::<R>() != std::any::TypeId::of::<Result<T, Failure>>() {
        return Err(callback);
    }
    chain.queue_joining(
        callback,
        |open: &mut dyn Any, callback| match open.downcast_mut::<Segment<T>>() {
            Some(segment) => {
                segment
                    .callbacks
                    .push(erase_same_typed::<T, F, R>(callback));
                Ok(())
            }
            None => Err(callback),
        },
        |callback| {
            callback_step(Segment {
                callbacks: vec![erase_same_typed::<T, F, R>(callback)],
            })
        },
    )
}

/// `callback` as a [`SameTyped`]; only called once its output is known to be
/// `Result<T, Failure>`.
#[inline]
fn erase_same_typed<T: 'static, F, R>(callback: F) -> SameTyped<T>
where
    F: FnOnce(T) -> R + 'static,
    R: CallbackOutput,
{
    Box::new(move |value| {
        let mut output = Some(callback(value));
        match (&mut output as &mut dyn Any).downcast_mut::<Option<Result<T, Failure>>>() {
            Some(same) => same.take().expect("the output was just stored"),
            None => unreachable!("the output type was checked"),
        }
    })
}

/// Callbacks queued back to back on an unfired chain that all keep the result's type: run
/// in one loop, with one take of the value from its box and one panic guard for the lot.
struct Segment<T> {
    callbacks: Vec<SameTyped<T>>,
}

/// Each callback is dropped on its own, under guard: one whose captured value panics on
/// drop must not make the next one's panic abort the process.
impl<T> Drop for Segment<T> {
    fn drop(&mut self) {
        self.callbacks.drain(..).for_each(dispose);
    }
}

impl<T: 'static> Callback for Segment<T> {
    fn call(mut self, input: Outcome, chain: &Chain) -> Next {
        let mut boxed = match input {
            Outcome::Value(boxed) => boxed,
            // Every callback here passes a failure by.
            failure => return Next::Done(failure),
        };
        let value = boxed.take::<T>();
        let mut callbacks = std::mem::take(&mut self.callbacks).into_iter();
        let ran = guarded(|| {
            let mut value = value;
            for callback in callbacks.by_ref() {
                value = callback(value)?;
                if chain.is_paused() {
                    break;
                }
            }
            Ok(value)
        });
        match ran {
            Ok(Ok(value)) => {
                let outcome = Outcome::Value(boxed.refill(value));
                match callbacks.len() {
                    0 => Next::Done(outcome),
                    _ => Next::Interrupted(
                        outcome,
                        Continuation::new(Segment {
                            callbacks: callbacks.collect(),
                        }),
                    ),
                }
            }
            // A failure (or panic) passes the remaining callbacks by.
            Ok(Err(failure)) | Err(failure) => {
                callbacks.for_each(dispose);
                Next::Done(Outcome::Failure(failure))
            }
        }
    }
}
