//! The type-erased callback chain behind every shared `Deferred`, and the loop that runs it.
//! Its states and invariants are in the [engine's docs](super).
//!
//! An inner chain holds the outer one waiting on it through a `Link` step; the outer only
//! holds a `Weak` to the inner, for cancellation: chains waiting on one another never keep
//! each other alive in a cycle.

use std::any::Any;
use std::cell::Cell;
use std::rc::{Rc, Weak};
use std::sync::Arc;

use super::flags::{Flag, Flags};
use super::outcome::{Outcome, ValueBox};
use super::packed::{ThinBox, Unpacked, Word};
use super::reclaim;
use super::step::{Fires, Next, Step};
use super::steps::{Links, Steps};
use crate::debug::{DebugInfo, Trace};
use crate::errors::{AbandonedError, Abandonment, CancelledError, PanicSource, SelfWaitError};
use crate::failure::{self, Failure};
use crate::guard::{dispose, dispose_if_any, guarded_as};

#[derive(Default)]
enum Slot {
    /// Not fired, being run (the loop holds the result) or handed on.
    #[default]
    Empty,
    Done(Outcome),
    /// Fired, but waiting on another chain's result.
    Waiting(Weak<Chain>),
}

/// A [`Slot`] in one word.
type PackedSlot = Word<ThinBox, Arc<failure::Inner>, Weak<Chain>>;

impl Slot {
    #[inline]
    fn pack(self) -> PackedSlot {
        Word::pack(match self {
            Slot::Empty => Unpacked::Nothing,
            Slot::Done(Outcome::Value(value)) => Unpacked::A(value.into_thin()),
            Slot::Done(Outcome::Failure(failure)) => Unpacked::B(failure.into_shared()),
            Slot::Waiting(inner) => Unpacked::C(inner),
        })
    }

    #[inline]
    fn unpack(packed: PackedSlot) -> Self {
        match packed.unpack() {
            Unpacked::Nothing => Slot::Empty,
            Unpacked::A(value) => Slot::Done(Outcome::Value(ValueBox::from_thin(value))),
            Unpacked::B(failure) => Slot::Done(Outcome::Failure(Failure::from_shared(failure))),
            Unpacked::C(inner) => Slot::Waiting(inner),
        }
    }
}

/// Twisted's canceller, given the chain being cancelled.
pub(crate) type Canceller = Box<dyn FnOnce(&Rc<Chain>)>;

/// What cancelling an unfired chain does, besides what every cancel does.
pub(crate) enum OnCancel {
    /// Twisted's canceller: called once; if it did not fire the chain, the chain fails with
    /// `CancelledError`. While it is there, a resolver dropped unfired does not abandon the
    /// chain: a cancel can still fire it (Twisted's timeout example, where nothing but the
    /// canceller fires it).
    Canceller(Canceller),
    /// A canceller of a producer the library runs, which only stops the producer: called as
    /// a `Canceller` is, but a resolver dropped unfired (the producer gone) abandons the
    /// chain.
    Stopper(Canceller),
    /// Passes the cancel on, each time the chain is cancelled before it fires, and leaves
    /// the outcome to whoever fires it: Twisted's `DeferredList.cancel`, which cancels the
    /// inputs and lets the list fire from their results.
    Forward(Rc<dyn Fn()>),
}

/// What only some chains need, kept out of line (in the steps' spill) so a plain chain
/// stays small.
#[derive(Default)]
pub(super) struct Extra {
    canceller: Option<OnCancel>,
    debug: Option<DebugInfo>,
    /// A chain that nothing can fire, ever (it has no resolver): why, for the chains that
    /// wait on it, when it goes.
    unfireable: Option<Abandonment>,
    /// Called once when, unfired, nobody but its resolver is left to see its result: the
    /// producer holding the resolver may then let go of it (a queue's line of waiters).
    on_unobserved: Option<Box<dyn FnOnce()>>,
}

/// A chain's steps, and its extra.
pub(super) type ChainSteps = Steps<Step, Rc<Chain>, Extra>;

pub struct Chain {
    flags: Cell<Flags>,
    /// Moved out and back inside this module's methods (`take_slot`, `set_slot`), never
    /// held while user code runs; as are the steps.
    slot: Cell<PackedSlot>,
    steps: Cell<ChainSteps>,
}

impl Chain {
    pub(crate) fn new(canceller: Option<OnCancel>, created: Option<Trace>) -> Rc<Self> {
        let chain = Rc::new(Chain {
            flags: Cell::new(Flags::default()),
            slot: Cell::new(Word::nothing()),
            steps: Cell::default(),
        });
        if canceller.is_some() || created.is_some() {
            chain.with_extra(|extra| {
                extra.canceller = canceller;
                extra.debug = created.map(DebugInfo::created_at);
            });
        }
        chain
    }

    /// A chain nothing can fire: no resolver, no canceller. Whoever waits on it fails with
    /// `AbandonedError` for `reason` once it goes (cancelling it fails it, as any chain).
    pub(crate) fn unfireable(reason: Abandonment, created: Option<Trace>) -> Rc<Self> {
        let chain = Chain::new(None, created);
        chain.with_extra(|extra| extra.unfireable = Some(reason));
        chain
    }

    pub(crate) fn fired(outcome: Outcome, created: Option<Trace>) -> Rc<Self> {
        let chain = Chain::new(None, created);
        chain.update_flags(|flags| flags.set(Flag::Called, true));
        chain.set_slot(Slot::Done(outcome));
        chain
    }

    #[inline]
    fn take_slot(&self) -> Slot {
        Slot::unpack(self.slot.take())
    }

    #[inline]
    fn set_slot(&self, slot: Slot) {
        let placeholder = self.slot.replace(slot.pack());
        // Every `set_slot` follows a `take_slot`: the slot it replaces is empty, and its drop
        // glue can be skipped, as in `with_steps`.
        debug_assert!(placeholder.is_nothing());
        std::mem::forget(placeholder);
    }

    fn update_flags(&self, change: impl FnOnce(&mut Flags)) {
        let mut flags = self.flags.get();
        change(&mut flags);
        self.flags.set(flags);
    }

    /// Uses the extra, made now if the chain has none.
    fn with_extra<R>(&self, use_extra: impl FnOnce(&mut Extra) -> R) -> R {
        self.with_steps(|steps| use_extra(steps.extra()))
    }

    /// Uses the extra, if the chain has one.
    fn with_extra_if_any<R>(&self, use_extra: impl FnOnce(Option<&mut Extra>) -> R) -> R {
        self.with_steps(|steps| use_extra(steps.extra_mut()))
    }

    fn peek_extra<R>(&self, look: impl FnOnce(Option<&Extra>) -> R) -> R {
        self.with_steps(|steps| steps.peek_extra(look))
    }

    /// Twisted's `called`: fired, and not a coroutine still running.
    pub(crate) fn is_called(&self) -> bool {
        let flags = self.flags.get();
        flags.is(Flag::Called) && !flags.is(Flag::Coroutine)
    }

    /// Has a first result been stored (by firing, cancelling or abandoning)? A chain that
    /// has one accepts no other from a resolver.
    fn has_fired(&self) -> bool {
        self.flags.get().is(Flag::Called)
    }

    /// Not fired, and not being cancelled: dropping its resolver may abandon it (a cancel in
    /// progress decides the outcome itself).
    pub(crate) fn is_unfired(&self) -> bool {
        let flags = self.flags.get();
        !flags.is(Flag::Called) && !flags.is(Flag::Cancelling)
    }

    /// Does its resolver, dropped now without firing it, leave it abandoned? Not while a
    /// user's canceller could still fire it.
    pub(crate) fn is_abandoned_by_resolver_drop(&self) -> bool {
        let cancellable = self.peek_extra(|extra| {
            matches!(
                extra.and_then(|e| e.canceller.as_ref()),
                Some(OnCancel::Canceller(_))
            )
        });
        !cancellable && self.is_unfired()
    }

    pub(crate) fn is_paused(&self) -> bool {
        self.flags.get().paused > 0
    }

    pub(crate) fn has_result(&self) -> bool {
        self.is_runnable() && self.peek_slot(|slot| matches!(slot, Slot::Done(_)))
    }

    pub(crate) fn is_waiting(&self) -> bool {
        self.peek_slot(|slot| matches!(slot, Slot::Waiting(_)))
    }

    fn peek_slot<R>(&self, look: impl FnOnce(&Slot) -> R) -> R {
        let slot = self.take_slot();
        let result = look(&slot);
        self.set_slot(slot);
        result
    }

    #[inline]
    fn with_steps<R>(&self, use_steps: impl FnOnce(&mut ChainSteps) -> R) -> R {
        let mut steps = self.steps.take();
        let result = use_steps(&mut steps);
        let placeholder = self.steps.replace(steps);
        // What `take` left is still there, empty: it owns nothing, and skipping its drop
        // glue keeps the engine's most used path short.
        debug_assert!(placeholder.is_empty() && placeholder.peek_extra(|e| e.is_none()));
        std::mem::forget(placeholder);
        result
    }

    #[inline]
    fn has_steps(&self) -> bool {
        self.with_steps(|steps| !steps.is_empty())
    }

    /// Would a `Resolver` dropped now leave someone waiting: a handle, a link or a callback?
    pub(crate) fn is_observed(self: &Rc<Self>) -> bool {
        self.is_held() || self.has_steps()
    }

    /// The number the typed layer keeps on this chain for the step it queues last: a
    /// combinator's watch keeps there which input the chain is, so that the watch's step is
    /// one pointer, stored inside the chain. 0 until set.
    #[inline]
    pub(crate) fn note(&self) -> u32 {
        self.flags.get().note
    }

    #[inline]
    pub(crate) fn set_note(&self, note: u32) {
        self.update_flags(|flags| flags.note = note);
    }

    /// Calls `hook` once, when this unfired chain's last observer (its handle, a controller
    /// or its callbacks) goes, leaving only its resolver: see [`Chain::handle_dropped`].
    pub(crate) fn on_unobserved(&self, hook: Box<dyn FnOnce()>) {
        // A hook set before is dropped out here, not while the steps are out of the chain.
        let before = self.with_extra(|extra| extra.on_unobserved.replace(hook));
        dispose_if_any(before);
        self.update_flags(|flags| flags.set(Flag::WatchesObservers, true));
    }

    /// A handle to this chain is being dropped (`self` is its reference): if that leaves
    /// only the resolver, unfired, the chain's `on_unobserved` hook runs. A controller
    /// dropped later does not call it; the producer looks for such waiters itself.
    #[inline]
    pub(crate) fn handle_dropped(self: Rc<Self>) {
        let flags = self.flags.get();
        if !flags.is(Flag::WatchesObservers) || flags.is(Flag::Called) || self.has_steps() {
            return;
        }
        if Rc::strong_count(&self) != 2 {
            return;
        }
        let hook = self.with_extra_if_any(|extra| extra?.on_unobserved.take());
        self.update_flags(|flags| flags.set(Flag::WatchesObservers, false));
        drop(self);
        if let Err(panicked) = guarded_as(PanicSource::Callback, || hook.map(|hook| hook())) {
            crate::unhandled::report(panicked, None);
        }
    }

    /// Does anything besides the caller's one reference hold this chain: a handle, a
    /// controller, a chain linked to it?
    fn is_held(self: &Rc<Self>) -> bool {
        Rc::strong_count(self) > 1
    }

    /// A chain that has fired but waits on `inner`: what a callback returning `inner` leaves
    /// behind. With a `driver`, the chain is a coroutine's: `inner`'s result resumes the
    /// driver, and the chain counts as called only once the driver has finished.
    pub(crate) fn waiting(
        driver: Option<Step>,
        inner: Rc<Chain>,
        created: Option<Trace>,
    ) -> Rc<Self> {
        let chain = Chain::new(None, created);
        chain.update_flags(|flags| {
            flags.set(Flag::Called, true);
            flags.set(Flag::Coroutine, driver.is_some());
        });
        if let Some(driver) = driver {
            // Queued, not set: the steps hold the extra (the creation trace) too.
            chain.push_front(driver);
        }
        chain.wait_on(inner);
        chain
    }

    /// Appends a step; if the chain has a result and is idle, runs it at once.
    pub(crate) fn push(self: &Rc<Self>, step: Step) {
        if self.is_runnable() && !self.has_steps() {
            // Nothing queued ahead of it: run it directly, without queueing it.
            run(self.clone(), Some(step));
            return;
        }
        self.with_steps(|steps| steps.push_back(step));
        if self.is_runnable() {
            run(self.clone(), None);
        }
    }

    /// Appends a step that hands the result on to `target`, as `push` does.
    pub(crate) fn push_link(self: &Rc<Self>, target: Rc<Chain>) {
        self.push(Step::link(target));
    }

    /// Queues `step` behind the steps already queued as the chain's *open step*, which later
    /// steps may join: `join` gets the open step there is and adds `step` to it, or gives
    /// `step` back; then `open` makes it a step of its own, the new open one. Gives `step`
    /// back if the chain is about to run it or has nothing queued (a lone step is pushed
    /// plainly). The typed layer's segments of same-typed callbacks are built this way.
    #[inline]
    pub(crate) fn queue_joining<S>(
        &self,
        step: S,
        join: impl FnOnce(&mut dyn Any, S) -> Result<(), S>,
        open: impl FnOnce(S) -> Step,
    ) -> Result<(), S> {
        if self.is_runnable() {
            return Err(step);
        }
        self.with_steps(|steps| {
            if steps.is_empty() {
                return Err(step);
            }
            let join_call = |open: &mut Step, step| match open.as_any_mut() {
                Some(callback) => join(callback, step),
                None => Err(step),
            };
            steps.join_open(step, join_call, open);
            Ok(())
        })
    }

    #[inline]
    fn is_runnable(&self) -> bool {
        let flags = self.flags.get();
        flags.is(Flag::Called) && !flags.is(Flag::Running) && flags.paused == 0
    }

    fn push_front(&self, step: Step) {
        self.with_steps(|steps| steps.push_front(step));
    }

    fn pop_step(&self) -> Option<Step> {
        self.with_steps(Steps::pop_front)
    }

    /// Fires the chain. Returns `false` (and drops `outcome`) if it had already fired, as
    /// happens to a resolver fired after its Deferred was cancelled.
    pub(crate) fn fire(self: &Rc<Self>, outcome: Outcome, fired: Option<Trace>) -> bool {
        if !self.accept(outcome, fired) {
            return false;
        }
        run(self.clone(), None);
        true
    }

    /// Stores the first result; the canceller is dropped then, as it can no longer be used.
    /// A later result is dropped: a resolver fired after a cancel is ignored.
    fn accept(&self, outcome: Outcome, fired: Option<Trace>) -> bool {
        if self.has_fired() {
            dispose(outcome);
            return false;
        }
        self.update_flags(|flags| {
            flags.set(Flag::Called, true);
            flags.set(Flag::Unseen, false);
        });
        self.set_slot(Slot::Done(outcome));
        if let Some(fired) = fired {
            self.with_extra(|extra| {
                extra.debug.get_or_insert_with(DebugInfo::default).fired = Some(fired);
            });
        }
        let canceller = self.with_extra_if_any(|extra| extra?.canceller.take());
        dispose_if_any(canceller);
        true
    }

    /// The result, if the chain has one that nothing else will consume: fired, idle, not
    /// paused and not waiting. Used to adopt a fired Deferred without linking to it.
    pub(crate) fn take_result(&self) -> Option<Outcome> {
        if !self.is_runnable() {
            return None;
        }
        match self.take_slot() {
            Slot::Done(outcome) => Some(outcome),
            other => {
                self.set_slot(other);
                None
            }
        }
    }

    /// Makes this chain wait on `inner`: `inner` hands its result back through a link.
    fn wait_on(self: &Rc<Self>, inner: Rc<Chain>) {
        self.set_slot(Slot::Waiting(Rc::downgrade(&inner)));
        inner.push_link(self.clone());
    }

    /// Receives `sender`'s result through a link: the result of the chain this one waits on,
    /// or a first result (`chain_deferred` fires its target this way). Anything else comes
    /// too late and is dropped, as a resolver fired after a cancel is: a chain that waits on
    /// a Deferred takes only that Deferred's result. Returns whether the chain should now
    /// run.
    fn receive(&self, sender: *const Chain, outcome: Outcome, unseen: bool) -> bool {
        // Compared by address only: `sender` may be a chain being dropped.
        let accepted = match self.take_slot() {
            Slot::Waiting(awaited) if std::ptr::eq(awaited.as_ptr(), sender) => {
                self.set_slot(Slot::Done(outcome));
                true
            }
            other => {
                self.set_slot(other);
                self.accept(outcome, None)
            }
        };
        if accepted {
            self.update_flags(|flags| flags.set(Flag::Unseen, unseen));
        }
        accepted
    }

    pub(crate) fn pause(&self) {
        self.update_flags(|flags| flags.paused = flags.paused.saturating_add(1));
    }

    /// Undoes one `pause`; the last one runs the chain. Extra calls do nothing (Twisted's
    /// counter would go negative and leave the Deferred paused for good).
    pub(crate) fn unpause(self: &Rc<Self>) {
        let flags = self.flags.get();
        if flags.paused == 0 {
            return;
        }
        self.update_flags(|flags| flags.paused -= 1);
        if self.is_runnable() {
            run(self.clone(), None);
        }
    }

    /// Twisted's `cancel`: an unfired chain calls its canceller and, if that did not fire it,
    /// fails with `CancelledError` (a forwarding chain only passes the cancel on); a chain
    /// waiting on another forwards the cancel to the innermost one it waits on; a chain with
    /// a result is left alone.
    ///
    /// A canceller that panics is reported as unhandled (a [`PanicError`](crate::PanicError)),
    /// and the cancel goes on as if it had returned: a cancelled chain never stays waiting.
    pub(crate) fn cancel(self: &Rc<Self>) {
        let mut target = self.clone();
        let (mut mark, mut walked) = (self.clone(), 0_usize);
        loop {
            if !target.has_fired() {
                target.cancel_unfired();
                return;
            }
            let inner = target.peek_slot(|slot| match slot {
                Slot::Waiting(inner) => inner.upgrade(),
                _ => None,
            });
            match inner {
                Some(inner) => target = inner,
                None => return,
            }
            // Chains waiting on each other in a circle have no innermost one to cancel
            // (Brent's cycle check: `mark` moves to every power-of-two-th chain).
            walked += 1;
            if Rc::ptr_eq(&target, &mark) {
                return;
            }
            if walked.is_power_of_two() {
                mark = target.clone();
            }
        }
    }

    /// Runs `first` (if any) and then this chain's queued steps, until they run out, it is
    /// paused, its result moves on through a link (returns the chain that received it), or a
    /// step fired other Deferreds (returns them, for the run loop to fire). Steps stay queued
    /// until they run, so callbacks added meanwhile (from inside a callback) line up behind
    /// them.
    fn process(self: &Rc<Self>, first: Option<Step>) -> Handed {
        let mut outcome = match self.is_runnable().then(|| self.take_slot()) {
            Some(Slot::Done(outcome)) => outcome,
            other => {
                if let Some(slot) = other {
                    self.set_slot(slot);
                }
                if let Some(first) = first {
                    self.push_front(first);
                }
                return Handed::Nothing;
            }
        };
        let mut unseen = self.flags.get().is(Flag::Unseen);
        self.update_flags(|flags| flags.set(Flag::Running, true));
        let mut next = first;
        let mut fired = None;
        let handed = loop {
            let Some(step) = next.take().or_else(|| self.pop_step()) else {
                break Handed::Nothing;
            };
            match step.into_pointer() {
                Err(callback) => {
                    // An unseen abandonment stays unseen only while steps pass it by.
                    let passing = match (&outcome, unseen) {
                        (Outcome::Failure(failure), true) => Some(failure.clone()),
                        _ => None,
                    };
                    match callback.call(outcome, self) {
                        Next::Done(result) => {
                            self.finish_coroutine();
                            outcome = result;
                        }
                        Next::Interrupted(result, rest) => {
                            self.finish_coroutine();
                            outcome = result;
                            self.push_front(Step::call(rest));
                        }
                        Next::Fire(result, fires) => {
                            outcome = result;
                            if !fires.is_empty() {
                                fired = Some(fires);
                            }
                        }
                        Next::Wait(inner, again) if Rc::ptr_eq(&inner, self) => {
                            // Waiting on itself, it could never go on: fail instead, and
                            // give a waiting coroutine the failure (Twisted warns, and then
                            // hangs).
                            outcome = Outcome::Failure(Failure::of_library(SelfWaitError));
                            next = again.map(Step::call);
                        }
                        Next::Wait(inner, again) => {
                            if let Some(again) = again {
                                self.push_front(Step::call(again));
                            }
                            self.update_flags(|flags| {
                                flags.set(Flag::Running, false);
                                flags.set(Flag::Unseen, false);
                            });
                            self.wait_on(inner);
                            return Handed::Nothing;
                        }
                    }
                    unseen = match (passing, &outcome) {
                        (Some(before), Outcome::Failure(after)) => before.ptr_eq(after),
                        _ => false,
                    };
                    if let Some(fires) = fired.take() {
                        break Handed::Fires(fires);
                    }
                }
                Ok(target) => {
                    // The result moves on; this chain keeps `()` (Twisted leaves `None`),
                    // which costs no allocation.
                    let accepted = target.receive(&**self, outcome, unseen);
                    outcome = Outcome::value(());
                    if accepted {
                        break Handed::To(target);
                    }
                }
            }
            if self.is_paused() {
                break Handed::Nothing;
            }
        };
        self.set_slot(Slot::Done(outcome));
        self.update_flags(|flags| {
            // Fires of its last step are yet to run: the chain stays `running` until the
            // run loop comes back to it, as it would while the step fired them itself.
            flags.set(Flag::Running, matches!(handed, Handed::Fires(_)));
            flags.set(Flag::Unseen, unseen);
        });
        handed
    }

    /// Cancels this chain, which has not fired: see [`cancel`](Self::cancel).
    fn cancel_unfired(self: &Rc<Self>) {
        let on_cancel = self.with_extra_if_any(|extra| {
            let kept = &mut extra?.canceller;
            match kept {
                // A forwarder stays for the next cancel, until the chain fires.
                Some(OnCancel::Forward(forward)) => Some(OnCancel::Forward(forward.clone())),
                _ => kept.take(),
            }
        });
        self.update_flags(|flags| flags.set(Flag::Cancelling, true));
        let ran = guarded_as(PanicSource::Canceller, || match on_cancel {
            Some(OnCancel::Canceller(canceller) | OnCancel::Stopper(canceller)) => canceller(self),
            Some(OnCancel::Forward(forward)) => forward(),
            None => {}
        });
        self.update_flags(|flags| flags.set(Flag::Cancelling, false));
        if let Err(panicked) = ran {
            crate::unhandled::report(panicked, None);
        }
        if !self.has_fired() && !self.forwards_cancels() {
            let cancelled = Failure::of_library(CancelledError);
            self.fire(Outcome::Failure(cancelled), None);
        }
    }

    /// Does a cancel of this unfired chain only pass the cancel on?
    fn forwards_cancels(&self) -> bool {
        self.peek_extra(|extra| {
            matches!(
                extra.and_then(|e| e.canceller.as_ref()),
                Some(OnCancel::Forward(_))
            )
        })
    }

    /// A coroutine's driver has finished: the chain counts as called from now on.
    #[inline]
    fn finish_coroutine(&self) {
        if self.flags.get().is(Flag::Coroutine) {
            self.update_flags(|flags| flags.set(Flag::Coroutine, false));
        }
    }

    /// The debug record, if debugging was on when the chain was made or fired.
    pub(crate) fn debug_info(&self) -> Option<DebugInfo> {
        self.peek_extra(|extra| extra?.debug.clone())
    }

    /// A short description of the state, for `Debug`.
    pub(crate) fn describe(&self) -> String {
        let flags = self.flags.get();
        let state = self.peek_slot(|slot| match slot {
            Slot::Waiting(_) => "waiting on another Deferred".to_owned(),
            Slot::Done(Outcome::Failure(failure)) => format!("failed: {failure}"),
            Slot::Done(Outcome::Value(_)) => "has a result".to_owned(),
            Slot::Empty if flags.is(Flag::Running) => "running its callbacks".to_owned(),
            Slot::Empty if flags.is(Flag::Called) => "result handed on".to_owned(),
            Slot::Empty => "pending".to_owned(),
        });
        if flags.paused > 0 {
            format!("{state}, paused")
        } else {
            state
        }
    }

    /// Fails the chain with `AbandonedError`: nothing can ever give it a result now, because
    /// its resolver was dropped or `sender`, the chain it waits on or was linked to, is gone.
    /// The failure is reported if unhandled only when someone was waiting for the result: a
    /// handle held while callbacks were queued. `self` must be the caller's only reference.
    pub(crate) fn abandon(self: &Rc<Self>, sender: *const Chain, reason: Abandonment) {
        let waited_for = self.is_held() && self.has_steps();
        let abandoned = Outcome::Failure(Failure::of_library(AbandonedError::new(reason)));
        if self.receive(sender, abandoned, !waited_for) {
            run(self.clone(), None);
        }
    }
}

impl std::fmt::Debug for Chain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Chain {{ {} }}", self.describe())
    }
}

impl Drop for Chain {
    fn drop(&mut self) {
        let unseen = self.flags.get().is(Flag::Unseen);
        let mut steps = self.steps.take();
        let mut extra = steps.take_extra();
        match (self.take_slot(), unseen) {
            (Slot::Done(Outcome::Failure(failure)), false) => {
                let debug = extra.as_mut().and_then(|e| e.debug.take());
                crate::unhandled::report(failure, debug);
            }
            (Slot::Empty, _) => {}
            // Nothing of the user's runs: no guard needed (a `()` left by a link, say).
            (Slot::Done(Outcome::Value(value)), _) if !value.runs_drop_code() => drop(value),
            (slot, _) => dispose(slot),
        }
        let unfireable = extra.as_ref().and_then(|extra| extra.unfireable);
        dispose_if_any(extra);
        reclaim::drop_steps(steps, self, unfireable);
    }
}

/// Where the result went when `Chain::process` stopped.
enum Handed {
    /// Nowhere: the chain ran out of steps, paused, or waits on another chain.
    Nothing,
    /// Through a link, to this chain, which now has it and should run.
    To(Rc<Chain>),
    /// The chain's last step fired these; the chain itself stays `running` until they ran.
    Fires(Fires),
}

/// The run loop's stack of what is left to do.
enum Work {
    /// Go on with this chain.
    Resume(Rc<Chain>),
    /// Go on with this chain, which stayed `running` while the Deferreds its step fired ran.
    AfterFires(Rc<Chain>),
    /// Fire this chain, then run it.
    Fire(Rc<Chain>, Outcome),
}

/// Runs `start` (beginning with `first`, if given) and every chain its result flows into,
/// with an explicit stack.
pub(crate) fn run(start: Rc<Chain>, first: Option<Step>) {
    let mut stack: Vec<Work> = Vec::new();
    let mut current = start;
    let mut first = first;
    loop {
        match current.process(first.take()) {
            Handed::Nothing => {}
            Handed::To(target) => {
                if current.has_steps() {
                    stack.push(Work::Resume(current));
                }
                current = target;
                continue;
            }
            Handed::Fires(fires) => {
                stack.push(Work::AfterFires(current.clone()));
                stack.extend(
                    fires
                        .into_stack_order()
                        .map(|(chain, outcome)| Work::Fire(chain, outcome)),
                );
            }
        }
        current = loop {
            match stack.pop() {
                Some(Work::Resume(next)) => break next,
                Some(Work::AfterFires(next)) => {
                    next.update_flags(|flags| flags.set(Flag::Running, false));
                    break next;
                }
                Some(Work::Fire(target, outcome)) => {
                    if target.accept(outcome, None) {
                        break target;
                    }
                }
                None => return,
            }
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a pending Deferred with one callback costs on the heap (with the two reference
    /// counts of its `Rc`, 56 bytes: the allocator's 64-byte class): the flags, the slot,
    /// the first step and the tail, a word each but the step's two.
    #[test]
    fn a_chain_stays_small() {
        let word = std::mem::size_of::<usize>();
        assert_eq!(std::mem::size_of::<Flags>(), 8);
        assert_eq!(std::mem::size_of::<PackedSlot>(), word);
        assert_eq!(std::mem::size_of::<ChainSteps>(), 3 * word);
        assert_eq!(std::mem::size_of::<Chain>(), 40);
    }
}
