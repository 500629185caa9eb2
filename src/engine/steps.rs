//! A chain's queue of steps, and what only some chains need (its *extra*).
//!
//! Most chains hold one step at a time, the next callback; a chain that another waits on
//! holds two, its callback and the link to the waiting chain. Both fit in the chain, in
//! three words: the first step inline, and one word that is the trailing link or, for a
//! longer queue or a chain with extras, a pointer to its *spill*, where the rest is kept.
//! A pending Deferred with one callback, and every level of a nest of them, allocates
//! nothing here.
//!
//! The step queued last may be *open*: one step that more steps join (the typed layer's
//! segment of same-typed callbacks). It is kept in the spill apart from the steps before
//! it, so joining it goes straight to it, without looking through the queue.
//!
//! Order: `first`, then the spill's steps, then its open step; or `first`, then the
//! trailing link. A chain has a trailing link or a spill, never both.

use std::collections::VecDeque;

use super::packed::{Pointer, Unpacked, Word};

/// A step that may hand the result on to a chain `L`.
pub(crate) trait Links<L>: Sized {
    fn link(target: L) -> Self;

    /// The chain this step hands the result to, if it is a link; otherwise the step back.
    fn into_link(self) -> Result<L, Self>;
}

/// A queue of steps `S`, where a step may be a link to a chain `L`, and the chain's extra
/// `X` (what a step is, the chain says: this queue only keeps them).
pub(crate) struct Steps<S, L: Pointer, X> {
    /// The next step to run, unless it is empty (then the next is in the tail).
    first: Option<S>,
    tail: Word<L, Box<Spill<S, X>>>,
}

/// The steps that do not fit in the chain, and its extra.
pub(crate) struct Spill<S, X> {
    /// Oldest first; all before the open step.
    steps: VecDeque<S>,
    open: Option<S>,
    extra: X,
}

impl<S, L: Pointer, X> Default for Steps<S, L, X> {
    fn default() -> Self {
        Steps {
            first: None,
            tail: Word::nothing(),
        }
    }
}

impl<S: Links<L>, L: Pointer, X: Default> Steps<S, L, X> {
    /// A queue of one step.
    pub(crate) fn of(step: S) -> Self {
        Steps {
            first: Some(step),
            tail: Word::nothing(),
        }
    }

    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.first.is_none()
            && self.tail.peek(|tail| match tail {
                Unpacked::Nothing => true,
                Unpacked::B(spill) => spill.steps.is_empty() && spill.open.is_none(),
                Unpacked::A(_) | Unpacked::C(_) => false,
            })
    }

    /// The spill, made now if there is none: a trailing link moves into it, behind
    /// everything else.
    #[inline]
    fn spill(&mut self) -> &mut Spill<S, X> {
        if self.tail.b_mut().is_none() {
            self.spill_now();
        }
        self.tail.b_mut().expect("the spill was just made")
    }

    #[inline(never)]
    fn spill_now(&mut self) {
        let mut spill = Box::new(Spill {
            steps: VecDeque::new(),
            open: None,
            extra: X::default(),
        });
        if let Unpacked::A(link) = std::mem::take(&mut self.tail).unpack() {
            spill.steps.push_back(S::link(link));
        }
        self.tail = Word::pack(Unpacked::B(spill));
    }

    /// Appends a step; an open step before it closes. A link behind a lone first step is
    /// kept as the trailing link.
    #[inline]
    pub(crate) fn push_back(&mut self, step: S) {
        if self.first.is_none() && self.is_empty() {
            self.first = Some(step);
            return;
        }
        let step = match self.first.is_some() && self.tail.is_nothing() {
            true => match step.into_link() {
                Ok(target) => return self.tail = Word::pack(Unpacked::A(target)),
                Err(step) => step,
            },
            false => step,
        };
        self.spill().push_back(step);
    }

    /// Adds `joining` to the open step with `join`, or, if there is none or `join` gives it
    /// back, makes `open(joining)` the open step, behind every step queued.
    #[inline(always)]
    pub(crate) fn join_open<J>(
        &mut self,
        joining: J,
        join: impl FnOnce(&mut S, J) -> Result<(), J>,
        open: impl FnOnce(J) -> S,
    ) {
        let refused = match self.tail.b_mut().and_then(|spill| spill.open.as_mut()) {
            Some(open) => join(open, joining),
            None => Err(joining),
        };
        if let Err(joining) = refused {
            self.open_step(open(joining));
        }
    }

    /// Makes `open` the open step, behind every step queued (a step open before closes).
    #[inline(never)]
    fn open_step(&mut self, open: S) {
        let spill = self.spill();
        if let Some(before) = spill.open.replace(open) {
            spill.steps.push_back(before);
        }
    }

    /// Puts a step back at the front, to run before the others.
    #[inline]
    pub(crate) fn push_front(&mut self, step: S) {
        if let Some(before) = self.first.replace(step) {
            self.spill().steps.push_front(before);
        }
    }

    #[inline]
    pub(crate) fn pop_front(&mut self) -> Option<S> {
        if let Some(first) = self.first.take() {
            return Some(first);
        }
        if let Some(spill) = self.tail.b_mut() {
            return spill.steps.pop_front().or_else(|| spill.open.take());
        }
        match std::mem::take(&mut self.tail).unpack() {
            Unpacked::A(link) => Some(S::link(link)),
            _ => None,
        }
    }

    /// Looks at the extra, if the chain has one.
    #[inline]
    pub(crate) fn peek_extra<R>(&self, look: impl FnOnce(Option<&X>) -> R) -> R {
        self.tail.peek(|tail| match tail {
            Unpacked::B(spill) => look(Some(&spill.extra)),
            _ => look(None),
        })
    }

    /// The extra, if the chain has one.
    #[inline]
    pub(crate) fn extra_mut(&mut self) -> Option<&mut X> {
        self.tail.b_mut().map(|spill| &mut spill.extra)
    }

    /// The extra, made now if there is none.
    pub(crate) fn extra(&mut self) -> &mut X {
        &mut self.spill().extra
    }

    /// Takes the extra out, leaving a default one.
    pub(crate) fn take_extra(&mut self) -> Option<X> {
        self.extra_mut().map(std::mem::take)
    }
}

impl<S, X> Spill<S, X> {
    /// Appends a step behind all others: the open one closes.
    fn push_back(&mut self, step: S) {
        if let Some(open) = self.open.take() {
            self.steps.push_back(open);
        }
        self.steps.push_back(step);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::rc::Rc;

    /// A step is its name; a link is the name of the chain it links to, marked.
    #[derive(Debug, PartialEq)]
    struct Named(String);

    impl Links<Rc<String>> for Named {
        fn link(target: Rc<String>) -> Self {
            Named(format!("->{target}"))
        }

        fn into_link(self) -> Result<Rc<String>, Self> {
            match self.0.strip_prefix("->") {
                Some(target) => Ok(Rc::new(target.to_owned())),
                None => Err(self),
            }
        }
    }

    type Queue = Steps<Named, Rc<String>, u8>;

    fn link(target: &str) -> Named {
        Named::link(Rc::new(target.to_owned()))
    }

    fn named(name: &str) -> Named {
        Named(name.to_owned())
    }

    fn drain(steps: &mut Queue) -> Vec<String> {
        std::iter::from_fn(|| steps.pop_front())
            .map(|Named(name)| name)
            .collect()
    }

    #[test]
    fn steps_run_in_the_order_queued_wherever_they_are_kept() {
        let mut steps = Queue::default();
        assert!(steps.is_empty());
        steps.push_back(named("a"));
        steps.push_back(link("outer"));
        assert!(
            steps.tail.b_mut().is_none(),
            "a callback and a link fit without a spill"
        );
        steps.push_back(named("b"));
        steps.push_front(named("first"));
        steps.push_back(link("last"));
        assert_eq!(drain(&mut steps), ["first", "a", "->outer", "b", "->last"]);
        assert!(steps.is_empty());
    }

    #[test]
    fn a_link_left_alone_after_the_first_step_runs_still_comes_before_a_later_step() {
        let mut steps = Queue::default();
        steps.push_back(named("a"));
        steps.push_back(link("outer"));
        assert_eq!(steps.pop_front(), Some(named("a")));
        steps.push_back(named("b"));
        assert_eq!(drain(&mut steps), ["->outer", "b"]);
    }

    #[test]
    fn joining_goes_to_the_open_step_which_stays_last_until_a_step_is_pushed() {
        let mut steps = Queue::default();
        steps.push_back(named("a"));
        let join = |open: &mut Named, more: &str| {
            open.0.push_str(more);
            Ok(())
        };
        steps.join_open("1", join, named);
        steps.join_open("2", join, named);
        steps.push_back(named("b"));
        steps.join_open("3", join, named);
        assert_eq!(drain(&mut steps), ["a", "12", "b", "3"]);
    }

    #[test]
    fn the_extra_lives_with_the_spill() {
        let mut steps = Queue::default();
        assert!(steps.peek_extra(|extra| extra.is_none()));
        steps.push_back(named("a"));
        *steps.extra() = 7;
        assert_eq!(steps.peek_extra(|extra| extra.copied()), Some(7));
        assert_eq!(drain(&mut steps), ["a"]);
        assert_eq!(steps.take_extra(), Some(7));
        assert_eq!(steps.peek_extra(|extra| extra.copied()), Some(0));
    }
}
