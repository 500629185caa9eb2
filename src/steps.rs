//! A chain's queue of steps. Most chains hold at most one step at a time (the next callback,
//! or the link to a chain waiting on this one), so one is kept inline, without allocating.

use std::collections::VecDeque;

use crate::chain::Step;

#[derive(Default)]
pub(crate) enum Steps {
    #[default]
    Empty,
    One(Step),
    /// Any number, oldest first.
    Many(VecDeque<Step>),
}

impl Steps {
    pub(crate) fn is_empty(&self) -> bool {
        match self {
            Steps::Empty => true,
            Steps::One(_) => false,
            Steps::Many(steps) => steps.is_empty(),
        }
    }

    #[inline]
    pub(crate) fn push_back(&mut self, step: Step) {
        match self {
            Steps::Many(steps) => steps.push_back(step),
            Steps::Empty => *self = Steps::One(step),
            Steps::One(_) => {
                let Steps::One(first) = std::mem::take(self) else {
                    unreachable!()
                };
                *self = Steps::Many(VecDeque::from([first, step]));
            }
        }
    }

    /// Puts a step back at the front, to run before the others.
    pub(crate) fn push_front(&mut self, step: Step) {
        match self {
            Steps::Many(steps) => steps.push_front(step),
            Steps::Empty => *self = Steps::One(step),
            Steps::One(_) => {
                let Steps::One(second) = std::mem::take(self) else {
                    unreachable!()
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
            Steps::One(_) => match std::mem::take(self) {
                Steps::One(step) => Some(step),
                _ => unreachable!(),
            },
        }
    }

    pub(crate) fn last_mut(&mut self) -> Option<&mut Step> {
        match self {
            Steps::Empty => None,
            Steps::One(step) => Some(step),
            Steps::Many(steps) => steps.back_mut(),
        }
    }
}
