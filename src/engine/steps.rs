//! A chain's queue of steps. Most chains hold one or two steps at a time (the next callback,
//! and the link to a chain waiting on this one), so up to two are kept inline, without
//! allocating: a chain returned by a callback while one of its own is queued is the common
//! case of nesting.
//!
//! The step queued last may be *open*: one step that more steps join (the typed layer's
//! segment of same-typed callbacks). It is kept apart from the steps before it, so joining it
//! goes straight to it, without looking through the queue.

use std::collections::VecDeque;

/// A queue of steps `S` (what a step is, the chain says: this queue only keeps them).
#[derive(Default)]
pub(crate) enum Steps<S> {
    #[default]
    Empty,
    One(S),
    /// Two, oldest first.
    Two(S, S),
    /// Any number (boxed, to keep every chain small).
    Many(Box<Queue<S>>),
}

pub(crate) struct Queue<S> {
    /// Oldest first; all before the open step.
    steps: VecDeque<S>,
    open: Option<S>,
}

impl<S> Queue<S> {
    fn new(steps: VecDeque<S>, open: Option<S>) -> Box<Self> {
        Box::new(Queue { steps, open })
    }

    /// Appends a step behind all others: the open one closes.
    fn push_back(&mut self, step: S) {
        if let Some(open) = self.open.take() {
            self.steps.push_back(open);
        }
        self.steps.push_back(step);
    }
}

impl<S> Steps<S> {
    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        matches!(self, Steps::Empty)
    }

    /// Appends a step; an open step before it closes.
    #[inline]
    pub(crate) fn push_back(&mut self, step: S) {
        match self {
            Steps::Empty => *self = Steps::One(step),
            Steps::Many(queue) => queue.push_back(step),
            Steps::One(_) | Steps::Two(..) => self.push_back_slow(step),
        }
    }

    #[inline(never)]
    fn push_back_slow(&mut self, step: S) {
        *self = match std::mem::take(self) {
            Steps::One(first) => Steps::Two(first, step),
            steps => {
                let mut queue = Queue::new(steps.into_deque(), None);
                queue.push_back(step);
                Steps::Many(queue)
            }
        };
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
        let refused = match self {
            Steps::Many(queue) => match &mut queue.open {
                Some(open) => join(open, joining),
                None => Err(joining),
            },
            _ => Err(joining),
        };
        if let Err(joining) = refused {
            self.open_step(open(joining));
        }
    }

    /// Makes `open` the open step, behind every step queued (a step open before closes).
    #[inline(never)]
    fn open_step(&mut self, open: S) {
        match self {
            Steps::Many(queue) => {
                if let Some(before) = queue.open.replace(open) {
                    queue.steps.push_back(before);
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
    pub(crate) fn push_front(&mut self, step: S) {
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
    pub(crate) fn pop_front(&mut self) -> Option<S> {
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
                    let open = queue.open.take();
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
    fn into_deque(self) -> VecDeque<S> {
        match self {
            Steps::Empty => VecDeque::new(),
            Steps::One(step) => VecDeque::from([step]),
            Steps::Two(first, second) => VecDeque::from([first, second]),
            Steps::Many(queue) => {
                let Queue { mut steps, open } = *queue;
                steps.extend(open);
                steps
            }
        }
    }
}
