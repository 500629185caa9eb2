//! The typed callbacks behind `add_callback`, `add_errback`, `add_callbacks` and `add_both`,
//! erased into chain steps.

use std::any::{Any, TypeId};
use std::marker::PhantomData;
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::chain::{take_value, value_slot, Callback, Next, Outcome};
use crate::errors::PanicError;
use crate::failure::Failure;
use crate::output::{CallbackOutput, Produced};

/// Calls user code, turning a panic into a failure so the chain goes on down the errback side.
#[inline(always)]
pub(crate) fn guarded<R>(user_code: impl FnOnce() -> R) -> Result<R, Failure> {
    catch_unwind(AssertUnwindSafe(user_code))
        .map_err(|payload| Failure::new(PanicError::from_payload(payload)))
}

/// Turns a callback's output into the chain's next result. A value of the input's type is
/// written back into `reuse` (the box that held the input) instead of a new allocation.
fn advance<T: 'static, R: CallbackOutput>(
    output: Result<R, Failure>,
    reuse: Option<Box<dyn Any>>,
) -> Next {
    match output.map(CallbackOutput::produce) {
        Err(failure) | Ok(Produced::Ready(Err(failure))) => Next::Done(Outcome::Failure(failure)),
        Ok(Produced::Ready(Ok(value))) => Next::Done(store::<T, R::Value>(value, reuse)),
        Ok(Produced::Chain(inner)) => match inner.take_result() {
            Some(outcome) => Next::Done(outcome),
            None => Next::Wait(inner, None),
        },
    }
}

fn store<T: 'static, U: 'static>(value: U, reuse: Option<Box<dyn Any>>) -> Outcome {
    match reuse {
        Some(mut boxed) if TypeId::of::<T>() == TypeId::of::<U>() => {
            *value_slot::<U>(&mut boxed) = Some(value);
            Outcome::Value(boxed)
        }
        _ => Outcome::value(value),
    }
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

impl<T: 'static, F, R> Callback for OnValue<T, F>
where
    F: FnOnce(T) -> R,
    R: CallbackOutput,
{
    fn call(self: Box<Self>, input: Outcome) -> Next {
        match input {
            Outcome::Value(mut boxed) => {
                let value = take_value::<T>(&mut boxed);
                let callback = self.callback;
                advance::<T, R>(guarded(|| callback(value)), Some(boxed))
            }
            failure => Next::Done(failure),
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

impl<T: 'static, G, R> Callback for OnFailure<T, G>
where
    G: FnOnce(Failure) -> R,
    R: CallbackOutput<Value = T>,
{
    fn call(self: Box<Self>, input: Outcome) -> Next {
        match input {
            Outcome::Failure(failure) => {
                let errback = self.errback;
                advance::<T, R>(guarded(|| errback(failure)), None)
            }
            value => Next::Done(value),
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

impl<T: 'static, F, G, R1, R2> Callback for OnEither<T, F, G>
where
    F: FnOnce(T) -> R1,
    G: FnOnce(Failure) -> R2,
    R1: CallbackOutput,
    R2: CallbackOutput<Value = R1::Value>,
{
    fn call(self: Box<Self>, input: Outcome) -> Next {
        match input {
            Outcome::Value(mut boxed) => {
                let value = take_value::<T>(&mut boxed);
                let callback = self.callback;
                advance::<T, R1>(guarded(|| callback(value)), Some(boxed))
            }
            Outcome::Failure(failure) => {
                let errback = self.errback;
                advance::<T, R2>(guarded(|| errback(failure)), None)
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

impl<T: 'static, F, R> Callback for OnBoth<T, F>
where
    F: FnOnce(Result<T, Failure>) -> R,
    R: CallbackOutput,
{
    fn call(self: Box<Self>, input: Outcome) -> Next {
        let both = self.both;
        match input {
            Outcome::Value(mut boxed) => {
                let value = take_value::<T>(&mut boxed);
                advance::<T, R>(guarded(|| both(Ok(value))), Some(boxed))
            }
            Outcome::Failure(failure) => advance::<T, R>(guarded(|| both(Err(failure))), None),
        }
    }
}
