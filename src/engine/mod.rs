//! The engine under every shared `Deferred`: type-erased chains of steps, the loop that runs
//! them, and the reclaiming of dropped ones. It knows nothing of `T`: values travel as
//! [`Outcome`]s, callbacks as [`Callback`] trait objects, and only the typed layer above
//! (`Deferred`, `Resolver`, `Controller`, the callbacks) puts values in or takes them out.

pub(crate) mod chain;
pub(crate) mod outcome;
pub(crate) mod reclaim;
pub(crate) mod step;
pub(crate) mod steps;

pub(crate) use chain::{Chain, OnCancel};
pub(crate) use outcome::{Outcome, ValueBox};
pub(crate) use step::{Callback, Fires, Next, Step};
