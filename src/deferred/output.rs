//! What a callback may return: a result, or a Deferred to wait for.

use std::rc::Rc;

use crate::engine::Chain;
use crate::failure::Failure;

/// A callback's output, as the chain sees it.
pub enum Produced<U> {
    Ready(Result<U, Failure>),
    Chain(Rc<Chain>),
}

impl<U> std::fmt::Debug for Produced<U> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Produced::Ready(Ok(_)) => f.write_str("Ready(Ok(..))"),
            Produced::Ready(Err(failure)) => write!(f, "Ready(Err({failure}))"),
            Produced::Chain(chain) => write!(f, "{chain:?}"),
        }
    }
}

/// What makes a type a callback output, out of reach of other crates: a type outside it
/// cannot implement [`CallbackOutput`], and nothing outside can call `produce`.
mod sealed {
    pub trait Produce<U> {
        /// What the output means for the chain.
        fn produce(self) -> super::Produced<U>;
    }
}

pub(crate) use sealed::Produce;

/// What a callback or errback may return: `Result<U, Failure>` (carry on with `U`, or fail)
/// or `Deferred<U>` (wait for that Deferred, then carry on with its result).
///
/// There are exactly these two, so `Ok(..)` infers its error type without annotations:
///
/// ```
/// use deferreds::Deferred;
///
/// let d = Deferred::succeed("41")
///     .add_callback(|s| Ok(s.parse::<i64>()?)) // `?` turns ParseIntError into a Failure
///     .add_callback(|n| Ok(n + 1))
///     .add_callback(|n| Deferred::succeed(n * 2)); // a Deferred: the chain waits for it
/// assert_eq!(deferreds::testing::success_result_of(d), 84);
/// ```
///
/// A callback that only ever fails has nothing to fix its value type; annotate its return
/// type: `|x| -> Result<u8, Failure> { Err(Failure::msg("no")) }`.
///
/// A callback that returns anything else (`x + 1`, or `()` from a block ending in `;`) is
/// refused at compile time, with a message that says to wrap the value in `Ok(..)`.
#[diagnostic::on_unimplemented(
    message = "a callback must return `Ok(value)`, `Err(failure)` or a `Deferred`, not `{Self}`",
    label = "the callback passed here returns `{Self}`",
    note = "return `Ok(value)` to carry on with a value, `Err(failure)` to fail (a `Result<_, Failure>`), or a `Deferred<_>` to wait for its result",
    note = "a callback with no value to pass on returns `Ok(())`"
)]
pub trait CallbackOutput: Produce<<Self as CallbackOutput>::Value> + 'static {
    /// The value type the chain carries on with.
    type Value: 'static;
}

impl<U: 'static> CallbackOutput for Result<U, Failure> {
    type Value = U;
}

impl<U: 'static> Produce<U> for Result<U, Failure> {
    #[inline]
    fn produce(self) -> Produced<U> {
        Produced::Ready(self)
    }
}
