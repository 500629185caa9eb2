//! A chain's queue of steps. Most chains hold one or two steps at a time (the next callback,
//! and the link to a chain waiting on this one), so up to two are kept inline, without
//! allocating: a chain returned by a callback while one of its own is queued is the common
//! case of nesting.
//!
//! The step queued last may be *open*: one step that more steps join (the typed layer's
//! segment of same-typed callbacks). It is kept apart from the steps before it, so joining it
//! goes straight to it, without looking through the queue.

use std::any::Any;
use std::collections::VecDeque;

use super::step::{Callback, Step};

#[derive(Default)]
pub(crate) enum Steps {
    #[default]
    Empty,
    One(Step),
    /// Two, oldest first.
    Two(Step, Step),
    /// Any number (boxed, to keep every chain small).
    Many(Box<Queue>),
}

pub(crate) struct Queue {
    /// Oldest first; all before the open step.
    steps: VecDeque<Step>,
    open: Option<Box<dyn Callback>>,
}

impl Queue {
    fn new(steps: VecDeque<Step>, open: Option<Box<dyn Callback>>) -> Box<Self> {
        Box::new(Queue { steps, open })
    }

    /// Appends a step behind all others: the open one closes.
    fn push_back(&mut self, step: Step) {
        if let Some(open) = self.open.take() {
            self.steps.push_back(Step::Call(open));
        }
        self.steps.push_back(step);
    }
}

impl Steps {
    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        matches!(self, Steps::Empty)
    }

    /// Appends a step; an open step before it closes.
    #[inline]
    pub(crate) fn push_back(&mut self, step: Step) {
        match self {
            Steps::Empty => *self = Steps::One(step),
            Steps::Many(queue) => queue.push_back(step),
            Steps::One(_) | Steps::Two(..) => self.push_back_slow(step),
        }
    }

    #[inline(never)]
    fn push_back_slow(&mut self, step: Step) {
        *self = match std::mem::take(self) {
            Steps::One(first) => Steps::Two(first, step),
            steps => {
                let mut queue = Queue::new(steps.into_deque(), None);
                queue.push_back(step);
                Steps::Many(queue)
            }
        };
    }

    /// Adds `step` to the open step with `join`, or, if there is none or `join` gives `step`
    /// back, makes `open(step)` the open step, behind every step queued.
    #[inline(always)]
    pub(crate) fn join_open<S>(
        &mut self,
        step: S,
        join: impl FnOnce(&mut dyn Any, S) -> Result<(), S>,
        open: impl FnOnce(S) -> Box<dyn Callback>,
    ) {
        let refused = match self {
            Steps::Many(queue) => match &mut queue.open {
                Some(open) => {
                    let open: &mut dyn Any = &mut **open;
                    join(open, step)
                }
                None => Err(step),
            },
            _ => Err(step),
        };
        if let Err(step) = refused {
            self.open_step(open(step));
        }
    }

    /// Makes `open` the open step, behind every step queued (a step open before closes).
    #[inline(never)]
    fn open_step(&mut self, open: Box<dyn Callback>) {
        match self {
            Steps::Many(queue) => {
                if let Some(before) = queue.open.replace(open) {
                    queue.steps.push_back(Step::Call(before));
                }
            }
            _ => {
                let steps = std::mem::take(self).into_deque();
                *self = Steps::Many(Queue::new(steps, Some(open)));
            }
        }
    }

    /// Puts a step back at the front, to run before the others.
    #[inline]
    pub(crate) fn push_front(&mut self, step: Step) {
        *self = match std::mem::take(self) {
            Steps::Empty => Steps::One(step),
            Steps::One(second) => Steps::Two(step, second),
            Steps::Many(mut queue) => {
                queue.steps.push_front(step);
                Steps::Many(queue)
            }
            two => {
                let mut steps = two.into_deque();
                steps.push_front(step);
                Steps::Many(Queue::new(steps, None))
            }
        };
    }

    #[inline]
    pub(crate) fn pop_front(&mut self) -> Option<Step> {
        match self {
            Steps::Empty => None,
            Steps::Many(queue) => match queue.steps.pop_front() {
                Some(step) => {
                    if queue.steps.is_empty() && queue.open.is_none() {
                        *self = Steps::Empty;
                    }
                    Some(step)
                }
                None => {
                    let open = queue.open.take().map(Step::Call);
                    *self = Steps::Empty;
                    open
                }
            },
            Steps::One(_) | Steps::Two(..) => match std::mem::take(self) {
                Steps::One(step) => Some(step),
                Steps::Two(first, second) => {
                    *self = Steps::One(second);
                    Some(first)
                }
                Steps::Empty | Steps::Many(_) => unreachable!("matched just above"),
            },
        }
    }

    /// All the steps, oldest first (the open one last), in a queue.
    fn into_deque(self) -> VecDeque<Step> {
        match self {
            Steps::Empty => VecDeque::new(),
            Steps::One(step) => VecDeque::from([step]),
            Steps::Two(first, second) => VecDeque::from([first, second]),
            Steps::Many(queue) => {
                let Queue { mut steps, open } = *queue;
                steps.extend(open.map(Step::Call));
                steps
            }
        }
    }
}
