//! The engine under every shared `Deferred`: type-erased chains of steps, the loop that runs
//! them, and the reclaiming of dropped ones.
//!
//! It knows nothing of `T` and imports nothing of the typed layer above it (`Deferred`,
//! `Resolver`, `Controller`, the callbacks): values travel as [`Outcome`]s in
//! [`ValueBox`]es, callbacks as [`Callback`]s of erased type, and only the typed layer puts
//! values in or takes them out.
//!
//! # Layout
//!
//! A chain is 40 bytes, one allocation with its `Rc` counts, and a pending Deferred with one
//! callback needs nothing more: its flags (one word); its slot (one word: empty, a value, a
//! failure, or the chain it waits on); its first step (two words: the callback's captures
//! sit in the second when they fit, and are boxed there otherwise); and one word that is
//! either a trailing link (the chain waiting on this one, behind its callback) or a pointer
//! to the *spill*, where a longer queue and what only some chains need are kept
//! ([`steps`]). Packing these takes `unsafe` code, all of it in [`packed`], whose docs say
//! why safe Rust's layouts could not do it.
//!
//! # The life of a callback
//!
//! 1. **Added.** `d.add_callback(f)` on a Deferred whose result sits inline in its handle
//!    runs `f` at once, without the engine. On a shared chain, the typed layer wraps `f` in a
//!    [`Callback`] (or adds it to the open segment of same-typed callbacks, see
//!    [`Chain::queue_joining`]) and [`Chain::push`]es it as a [`Step`]: queued if the chain
//!    has no result yet, is paused or is running; run at once otherwise, without being
//!    queued.
//! 2. **Fired.** A resolver boxes the value (into this thread's spare box, see
//!    [`outcome`]) and calls [`Chain::fire`]: the chain takes its first result (a later one
//!    is dropped, as after a cancel), drops its canceller, and runs.
//! 3. **Run.** [`run`](chain::run) takes the result out of the chain (it is `running` now:
//!    callbacks added meanwhile, from inside a callback, queue behind) and calls the queued
//!    steps in order. Each returns what to do [`Next`]: go on with a new result; wait on a
//!    Deferred without a result (the chain becomes *waiting*, and the awaited chain gets a
//!    link step back to it, [`Chain::push_link`]); go on, with the rest of a segment put back because the
//!    chain was paused; or go on after firing other Deferreds ([`Fires`]).
//! 4. **Handed on.** A link hands the result to the chain waiting on this one (or to a
//!    `chain_deferred` target), and the loop goes on with that chain: chains waiting on one
//!    another are walked with an explicit stack, never by recursion.
//! 5. **Kept.** When the steps run out, the result goes back into the chain, for the handle
//!    to read or for the next callback added.
//! 6. **Dropped.** The last reference to a chain drops it: a failure nobody handled is
//!    reported, a chain linked to it is abandoned, and its steps are freed by
//!    [`reclaim`] in a loop, however deep they nest.
//!
//! # The states of a chain
//!
//! A chain's state is its slot (empty, a result, or waiting on another chain) and its flags
//! (`called`, `running`, `paused`, and three that only refine these: `cancelling`,
//! `coroutine`, `unseen`). These are the legal combinations:
//!
//! | state | `called` | slot | `running` | what may happen next |
//! |---|---|---|---|---|
//! | pending | no | empty | no | steps queue; fired by its resolver, a cancel or an abandonment |
//! | cancelling | no (`cancelling`) | empty | no | its canceller runs; may fire it, else it fails with `CancelledError` |
//! | has a result | yes | result | no | a step added runs at once; the handle may take the result |
//! | paused | yes or no | result or empty | no | steps queue; the last unpause runs them |
//! | running | yes | empty (the loop holds the result) | yes | steps added queue behind; a pause stops the run after the current step |
//! | firing others | yes | result | yes | the Deferreds its last step fired run first; then it goes on |
//! | waiting | yes | waiting on a chain | no | the awaited chain's link brings the result back; a cancel goes to the awaited chain |
//! | a coroutine waiting | yes (`coroutine`: reads as not called) | waiting on a chain | no | the result resumes the coroutine's driver, its first step |
//! | taken | yes | empty | no | its result was taken (by its handle, or by a Deferred adopting it); a link leaves `()` instead |
//!
//! Invariants: a chain not `called` has an empty slot and takes its first result from
//! whoever fires it; a `called` chain never takes another (a late resolver, or a link from a
//! chain it no longer waits on, is ignored). While `running`, the loop owns the result and
//! every entry point (`push`, `fire`, `unpause`, `take_result`) only queues or reads flags.
//! State lives in `Cell`s and is moved out and back, never borrowed across user code, so a
//! callback may add callbacks to, fire, pause or cancel any chain, its own included.
//! `unseen` marks an abandonment nobody waited for, passed on untouched: it is not reported
//! as unhandled, as Twisted never reports a Deferred that never fired.

#[forbid(unsafe_code)]
pub(crate) mod chain;
#[forbid(unsafe_code)]
mod flags;
#[forbid(unsafe_code)]
pub(crate) mod outcome;
#[allow(unsafe_code)]
mod packed;
#[forbid(unsafe_code)]
pub(crate) mod reclaim;
#[forbid(unsafe_code)]
pub(crate) mod step;
#[forbid(unsafe_code)]
mod steps;

pub(crate) use chain::{Canceller, Chain, OnCancel};
pub(crate) use outcome::{Outcome, ValueBox};
pub(crate) use step::{callback_step, Callback, Continuation, Fires, Next, Step};
