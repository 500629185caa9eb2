//! Waiting on many Deferreds at once: Twisted's [`DeferredList`], [`gather_results`] (with
//! options: [`Gather`]) and [`race`]; and [`FanOut`], one result for many independent waiters.
//!
//! Every combinator takes its inputs by value and watches each one with a single step at the
//! end of its chain, so callbacks added to an input beforehand see (and may change) the result
//! first, as in Twisted. Inputs that already have a result are read on the spot. No combinator
//! recurses per input, so a million inputs need no more stack than one.

mod combine;
mod deferred_list;
mod errors;
mod fan_out;
mod gather;
mod watch;

pub use deferred_list::{race, DeferredList};
pub use errors::{FailureGroup, FirstError};
pub use fan_out::FanOut;
pub use gather::{gather_results, Gather};
