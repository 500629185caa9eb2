//! A chain's result with its type erased: a value in a [`ValueBox`], or a [`Failure`].
//!
//! The engine never looks inside a value; only the typed layer, which knows `T`, puts one in
//! or takes one out. What the box costs is decided here, once:
//!
//! - a zero-sized `T` (`()`, what most last callbacks return) is boxed as itself, and a box
//!   of nothing allocates nothing;
//! - any other `T` is boxed as `Option<T>`, so a step that keeps the type takes the value out
//!   and writes its output back into the same allocation; the box is a one-word pointer
//!   ([`ThinBox`]: the value's type sits in a header in front of it), so a chain's slot is
//!   one word;
//! - an emptied box that is not refilled becomes this thread's *spare*, and the next value of
//!   the same type moves into it instead of a new allocation: firing Deferreds of one type
//!   one after another allocates one box in all, not one each (the pooled-box idea of
//!   .NET's pooled async builders, kept to one box per thread).

use std::cell::Cell;

use super::packed::ThinBox;
use crate::failure::Failure;

/// What a step hands the next: a value or a failure.
#[doc(hidden)]
#[derive(Debug)]
pub enum Outcome {
    Value(ValueBox),
    Failure(Failure),
}

impl Outcome {
    #[inline]
    pub(crate) fn value<T: 'static>(value: T) -> Self {
        Outcome::Value(ValueBox::new(value))
    }

    #[inline]
    pub(crate) fn from_result<T: 'static>(result: Result<T, Failure>) -> Self {
        match result {
            Ok(value) => Outcome::value(value),
            Err(failure) => Outcome::Failure(failure),
        }
    }

    #[inline]
    pub(crate) fn into_result<T: 'static>(self) -> Result<T, Failure> {
        match self {
            Outcome::Value(boxed) => Ok(boxed.into_value()),
            Outcome::Failure(failure) => Err(failure),
        }
    }
}

/// A value of a type only the typed layer knows, behind one word: see the module's docs
/// for its layout.
#[doc(hidden)]
pub struct ValueBox(ThinBox);

thread_local! {
    /// An emptied box of an `Option<T>`, for the next value of that `T` to move into.
    static SPARE: Cell<Option<ThinBox>> = const { Cell::new(None) };
}

impl ValueBox {
    /// Boxes `value`, reusing this thread's spare box if it is one for `T`. A spare made for
    /// another type is freed: the spare follows the type boxed last.
    #[inline]
    pub(crate) fn new<T: 'static>(value: T) -> Self {
        if is_zero_sized::<T>() {
            return ValueBox(ThinBox::new(value));
        }
        let spare = SPARE
            .try_with(Cell::take)
            .ok()
            .flatten()
            .filter(ThinBox::is::<Option<T>>);
        ValueBox(match spare {
            Some(mut emptied) => {
                *emptied
                    .downcast_mut::<Option<T>>()
                    .expect("the spare was just checked") = Some(value);
                emptied
            }
            None => ThinBox::new(Some(value)),
        })
    }

    /// Would dropping the value run code of the user's (its type's `Drop`)?
    #[inline]
    pub(crate) fn runs_drop_code(&self) -> bool {
        self.0.needs_drop()
    }

    /// The box, for the engine to keep in one word.
    #[inline]
    pub(super) fn into_thin(self) -> ThinBox {
        self.0
    }

    #[inline]
    pub(super) fn from_thin(boxed: ThinBox) -> Self {
        ValueBox(boxed)
    }

    /// Takes the value out, leaving the box empty for [`refill`](Self::refill).
    #[inline]
    pub(crate) fn take<T: 'static>(&mut self) -> T {
        if is_zero_sized::<T>() {
            let taken = std::mem::replace(&mut self.0, ThinBox::new(()));
            return taken.downcast::<T>().unwrap_or_else(|_| wrong_type::<T>());
        }
        self.0
            .downcast_mut::<Option<T>>()
            .unwrap_or_else(|| wrong_type::<T>())
            .take()
            .expect("deferreds: a chain's result is present when taken")
    }

    /// Puts `value` into this emptied box if it was made for its type; otherwise boxes it
    /// anew (and this box becomes the spare).
    #[inline]
    pub(crate) fn refill<U: 'static>(mut self, value: U) -> Self {
        if !is_zero_sized::<U>() {
            if let Some(slot) = self.0.downcast_mut::<Option<U>>() {
                *slot = Some(value);
                return self;
            }
        }
        self.discard();
        ValueBox::new(value)
    }

    /// Takes the value out and keeps the emptied box as the spare.
    #[inline]
    pub(crate) fn into_value<T: 'static>(mut self) -> T {
        let value = self.take::<T>();
        self.discard();
        value
    }

    /// Gives up this emptied box: it becomes the thread's spare (a box of nothing is not
    /// worth keeping).
    #[inline]
    pub(crate) fn discard(self) {
        if !self.0.is_zero_sized() {
            // While the thread exits, the spare may be gone: the box is then freed.
            let _ = SPARE.try_with(|spare| spare.set(Some(self.0)));
        }
    }
}

#[inline(always)]
fn is_zero_sized<T>() -> bool {
    std::mem::size_of::<T>() == 0
}

#[cold]
fn wrong_type<T>() -> ! {
    panic!(
        "deferreds: a chain's result has the type its handle says, not {}",
        std::any::type_name::<T>()
    )
}

impl std::fmt::Debug for ValueBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ValueBox(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_round_trips_through_its_box() {
        assert_eq!(ValueBox::new(41_u64).into_value::<u64>(), 41);
        assert_eq!(ValueBox::new(String::from("x")).into_value::<String>(), "x");
        ValueBox::new(()).into_value::<()>();
    }

    #[test]
    fn a_box_refilled_with_another_type_holds_that_type() {
        let mut boxed = ValueBox::new(1_u8);
        assert_eq!(boxed.take::<u8>(), 1);
        let mut boxed = boxed.refill("two");
        assert_eq!(boxed.take::<&str>(), "two");
        let boxed = boxed.refill(());
        boxed.into_value::<()>();
    }

    #[test]
    #[should_panic(expected = "has the type its handle says")]
    fn taking_the_wrong_type_is_a_bug_that_says_so() {
        ValueBox::new(1_u8).into_value::<u16>();
    }
}
