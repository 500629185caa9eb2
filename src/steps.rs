//! A chain's queue of steps. Most chains hold at most one step at a time (the next callback,
//! or the link to a chain waiting on this one), so one is kept inline, without allocating.
//!
//! A run of same-typed callbacks queued last forms the *open segment*: one step, a
//! [`Segment`], that more callbacks of that type join. It is kept apart from the steps before
//! it, so appending to it goes straight to it, without looking through the queue.

use std::any::Any;
use std::collections::VecDeque;

use crate::chain::{Callback, Step};
use crate::step::{SameTyped, Segment};

#[derive(Default)]
pub(crate) enum Steps {
    #[default]
    Empty,
    One(Step),
    /// Any number, oldest first.
    Many(VecDeque<Step>),
    /// Steps, then an open segment (boxed, to keep every chain small).
    ManyOpen(Box<ManyOpen>),
}

pub(crate) struct ManyOpen {
    steps: VecDeque<Step>,
    open: Box<dyn Callback>,
}

impl Steps {
    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        match self {
            Steps::Empty => true,
            Steps::Many(steps) => steps.is_empty(),
            Steps::One(_) | Steps::ManyOpen(_) => false,
        }
    }

    /// Appends a step; an open segment before it closes.
    #[inline]
    pub(crate) fn push_back(&mut self, step: Step) {
        match self {
            Steps::Many(steps) => steps.push_back(step),
            Steps::Empty => *self = Steps::One(step),
            _ => self.push_back_slow(step),
        }
    }

    #[inline(never)]
    fn push_back_slow(&mut self, step: Step) {
        *self = match std::mem::take(self) {
            Steps::Empty => Steps::One(step),
            Steps::One(first) => Steps::Many(VecDeque::from([first, step])),
            Steps::Many(mut steps) => {
                steps.push_back(step);
                Steps::Many(steps)
            }
            Steps::ManyOpen(many) => {
                let ManyOpen { mut steps, open } = *many;
                steps.push_back(Step::Call(open));
                steps.push_back(step);
                Steps::Many(steps)
            }
        };
    }

    /// Appends a callback that keeps the result's type `T`: to the open segment if it holds
    /// `T`s, or as a new open segment.
    #[inline(always)]
    pub(crate) fn push_same_typed<T: 'static>(&mut self, callback: SameTyped<T>) {
        let open = match self {
            Steps::ManyOpen(many) => Some(&mut many.open),
            _ => None,
        };
        let segment = open.and_then(|open| {
            let open: &mut dyn Any = &mut **open;
            open.downcast_mut::<Segment<T>>()
        });
        match segment {
            Some(segment) => segment.push(callback),
            None => self.open_segment(Box::new(Segment::new(callback))),
        }
    }

    /// Makes `open` the open segment, behind every step queued (a segment open before
    /// closes).
    #[inline(never)]
    fn open_segment(&mut self, open: Box<dyn Callback>) {
        *self = match std::mem::take(self) {
            Steps::Empty => many_open(VecDeque::new(), open),
            Steps::One(step) => many_open(VecDeque::from([step]), open),
            Steps::Many(steps) => many_open(steps, open),
            Steps::ManyOpen(mut many) => {
                let before = std::mem::replace(&mut many.open, open);
                many.steps.push_back(Step::Call(before));
                Steps::ManyOpen(many)
            }
        };
    }

    /// Puts a step back at the front, to run before the others.
    #[inline]
    pub(crate) fn push_front(&mut self, step: Step) {
        match self {
            Steps::Empty => *self = Steps::One(step),
            Steps::Many(steps) => steps.push_front(step),
            Steps::ManyOpen(many) => many.steps.push_front(step),
            Steps::One(_) => {
                let Steps::One(second) = std::mem::take(self) else {
                    unreachable!("matched just above")
                };
                *self = Steps::Many(VecDeque::from([step, second]));
            }
        }
    }

    #[inline]
    pub(crate) fn pop_front(&mut self) -> Option<Step> {
        match self {
            Steps::Many(steps) => steps.pop_front(),
            Steps::Empty => None,
            Steps::ManyOpen(many) if !many.steps.is_empty() => many.steps.pop_front(),
            Steps::One(_) | Steps::ManyOpen(_) => match std::mem::take(self) {
                Steps::One(step) => Some(step),
                Steps::ManyOpen(many) => Some(Step::Call(many.open)),
                Steps::Empty | Steps::Many(_) => unreachable!("matched just above"),
            },
        }
    }
}

fn many_open(steps: VecDeque<Step>, open: Box<dyn Callback>) -> Steps {
    Steps::ManyOpen(Box::new(ManyOpen { steps, open }))
}
