//! The typed callbacks behind `add_callback`, `add_errback`, `add_callbacks` and `add_both`,
//! erased into chain steps.

use std::any::Any;
use std::marker::PhantomData;

use crate::chain::{value_slot, Callback, Chain, Next, Outcome};
use crate::failure::Failure;
use crate::guard::dispose;
pub(crate) use crate::guard::guarded;
use crate::output::{CallbackOutput, Produced};

/// Runs `user` on the value held in `boxed`. An output of the same type goes back into the
/// same box, so a chain of same-typed callbacks allocates nothing as it runs.
#[inline]
fn on_value<T: 'static, R: CallbackOutput>(
    mut boxed: Box<dyn Any>,
    user: impl FnOnce(T) -> R,
) -> Next {
    let slot = value_slot::<T>(&mut boxed);
    let value = slot
        .take()
        .expect("deferreds: a chain's result is present when taken");
    match guarded(|| user(value)).map(CallbackOutput::produce) {
        Ok(Produced::Ready(Ok(output))) => match put_back(slot, output) {
            Ok(()) => Next::Done(Outcome::Value(boxed)),
            Err(output) => Next::Done(Outcome::value(output)),
        },
        output => settle(output),
    }
}

/// Stores `value` in `slot` if it has the slot's type (decided at compile time).
#[inline]
fn put_back<T: 'static, U: 'static>(slot: &mut Option<T>, value: U) -> Result<(), U> {
    let mut value = Some(value);
    if let Some(same) = (&mut value as &mut dyn Any).downcast_mut::<Option<T>>() {
        *slot = same.take();
        return Ok(());
    }
    match value {
        Some(value) => Err(value),
        None => unreachable!("only taken when the types match"),
    }
}

/// The chain's next result from a callback's output.
#[inline]
fn settle<U: 'static>(output: Result<Produced<U>, Failure>) -> Next {
    match output {
        Err(failure) | Ok(Produced::Ready(Err(failure))) => Next::Done(Outcome::Failure(failure)),
        Ok(Produced::Ready(Ok(value))) => Next::Done(Outcome::value(value)),
        Ok(Produced::Chain(inner)) => match inner.take_result() {
            Some(outcome) => Next::Done(outcome),
            None => Next::Wait(inner, None),
        },
    }
}

/// Runs `user` on a failure.
#[inline]
fn on_failure<R: CallbackOutput>(failure: Failure, user: impl FnOnce(Failure) -> R) -> Next {
    settle(guarded(|| user(failure)).map(CallbackOutput::produce))
}

/// `add_callback`: a failure passes by untouched.
pub(crate) struct OnValue<T, F> {
    callback: F,
    input: PhantomData<fn(T)>,
}

impl<T, F> OnValue<T, F> {
    pub(crate) fn new(callback: F) -> Self {
        OnValue {
            callback,
            input: PhantomData,
        }
    }
}

impl<T: 'static, F: 'static, R> Callback for OnValue<T, F>
where
    F: FnOnce(T) -> R,
    R: CallbackOutput,
{
    fn call(self: Box<Self>, input: Outcome, _chain: &Chain) -> Next {
        match input {
            Outcome::Value(boxed) => on_value::<T, R>(boxed, self.callback),
            failure => {
                dispose(self);
                Next::Done(failure)
            }
        }
    }
}

/// `add_errback`: a value passes by untouched.
pub(crate) struct OnFailure<T, G> {
    errback: G,
    input: PhantomData<fn(T)>,
}

impl<T, G> OnFailure<T, G> {
    pub(crate) fn new(errback: G) -> Self {
        OnFailure {
            errback,
            input: PhantomData,
        }
    }
}

impl<T: 'static, G: 'static, R> Callback for OnFailure<T, G>
where
    G: FnOnce(Failure) -> R,
    R: CallbackOutput<Value = T>,
{
    fn call(self: Box<Self>, input: Outcome, _chain: &Chain) -> Next {
        match input {
            Outcome::Failure(failure) => on_failure(failure, self.errback),
            value => {
                dispose(self);
                Next::Done(value)
            }
        }
    }
}

/// `add_callbacks`: one of the two runs.
pub(crate) struct OnEither<T, F, G> {
    callback: F,
    errback: G,
    input: PhantomData<fn(T)>,
}

impl<T, F, G> OnEither<T, F, G> {
    pub(crate) fn new(callback: F, errback: G) -> Self {
        OnEither {
            callback,
            errback,
            input: PhantomData,
        }
    }
}

impl<T: 'static, F: 'static, G: 'static, R1, R2> Callback for OnEither<T, F, G>
where
    F: FnOnce(T) -> R1,
    G: FnOnce(Failure) -> R2,
    R1: CallbackOutput,
    R2: CallbackOutput<Value = R1::Value>,
{
    fn call(self: Box<Self>, input: Outcome, _chain: &Chain) -> Next {
        let OnEither {
            callback, errback, ..
        } = *self;
        match input {
            Outcome::Value(boxed) => {
                let next = on_value::<T, R1>(boxed, callback);
                dispose(errback);
                next
            }
            Outcome::Failure(failure) => {
                dispose(callback);
                on_failure(failure, errback)
            }
        }
    }
}

/// `add_both`: the same function sees the value or the failure.
pub(crate) struct OnBoth<T, F> {
    both: F,
    input: PhantomData<fn(T)>,
}

impl<T, F> OnBoth<T, F> {
    pub(crate) fn new(both: F) -> Self {
        OnBoth {
            both,
            input: PhantomData,
        }
    }
}

impl<T: 'static, F: 'static, R> Callback for OnBoth<T, F>
where
    F: FnOnce(Result<T, Failure>) -> R,
    R: CallbackOutput,
{
    fn call(self: Box<Self>, input: Outcome, _chain: &Chain) -> Next {
        let both = self.both;
        match input {
            Outcome::Value(boxed) => on_value::<T, R>(boxed, |value| both(Ok(value))),
            Outcome::Failure(failure) => on_failure(failure, |failure| both(Err(failure))),
        }
    }
}

/// A callback that keeps the result's type and returns a plain `Result`: the common case,
/// stored so that a run of them can share one segment.
pub(crate) type SameTyped<T> = Box<dyn FnOnce(T) -> Result<T, Failure>>;

/// The callback as a [`SameTyped`], if its output is `Result<T, Failure>` (decided at
/// compile time: the check folds away).
#[inline]
pub(crate) fn same_typed<T: 'static, F, R>(callback: F) -> Result<SameTyped<T>, F>
where
    F: FnOnce(T) -> R + 'static,
    R: CallbackOutput,
{
    if std::any::TypeId::of::<R>() != std::any::TypeId::of::<Result<T, Failure>>() {
        return Err(callback);
    }
    Ok(Box::new(move |value| {
        let mut output = Some(callback(value));
        match (&mut output as &mut dyn Any).downcast_mut::<Option<Result<T, Failure>>>() {
            Some(same) => same.take().expect("the output was just stored"),
            None => unreachable!("the output type was checked"),
        }
    }))
}

/// Callbacks queued back to back on an unfired chain that all keep the result's type: run
/// in one loop, with one downcast of the result and one panic guard for the lot.
pub(crate) struct Segment<T> {
    callbacks: Vec<SameTyped<T>>,
}

impl<T: 'static> Segment<T> {
    pub(crate) fn new(first: SameTyped<T>) -> Self {
        Segment {
            callbacks: vec![first],
        }
    }

    pub(crate) fn push(&mut self, callback: SameTyped<T>) {
        self.callbacks.push(callback);
    }
}

/// Each callback is dropped on its own, under guard: one whose captured value panics on
/// drop must not make the next one's panic abort the process.
impl<T> Drop for Segment<T> {
    fn drop(&mut self) {
        self.callbacks.drain(..).for_each(dispose);
    }
}

impl<T: 'static> Callback for Segment<T> {
    fn call(mut self: Box<Self>, input: Outcome, chain: &Chain) -> Next {
        let mut boxed = match input {
            Outcome::Value(boxed) => boxed,
            // Every callback here passes a failure by.
            failure => return Next::Done(failure),
        };
        let slot = value_slot::<T>(&mut boxed);
        let value = slot
            .take()
            .expect("deferreds: a chain's result is present when taken");
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
                *slot = Some(value);
                let outcome = Outcome::Value(boxed);
                match callbacks.len() {
                    0 => Next::Done(outcome),
                    _ => Next::Interrupted(
                        outcome,
                        Box::new(Segment {
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
