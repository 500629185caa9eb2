//! A chain's queue of steps. Most chains hold at most one step at a time (the next callback,
//! or the link to a chain waiting on this one), so one is kept inline, without allocating.

use crate::chain::Step;

#[derive(Default)]
pub(crate) enum Steps {
    #[default]
    Empty,
    One(Step),
    /// Two or more, oldest first.
    Many(Vec<Step>),
}

impl Steps {
    pub(crate) fn is_empty(&self) -> bool {
        matches!(self, Steps::Empty)
    }

    #[inline]
    pub(crate) fn push(&mut self, step: Step) {
        match self {
            Steps::Many(steps) => steps.push(step),
            Steps::Empty => *self = Steps::One(step),
            Steps::One(_) => {
                let Steps::One(first) = std::mem::take(self) else {
                    unreachable!()
                };
                *self = Steps::Many(vec![first, step]);
            }
        }
    }

    pub(crate) fn last_mut(&mut self) -> Option<&mut Step> {
        match self {
            Steps::Empty => None,
            Steps::One(step) => Some(step),
            Steps::Many(steps) => steps.last_mut(),
        }
    }

    /// These steps, followed by `later`.
    pub(crate) fn followed_by(mut self, later: Steps) -> Steps {
        if self.is_empty() {
            return later;
        }
        for step in later {
            self.push(step);
        }
        self
    }
}

impl From<Option<Step>> for Steps {
    fn from(step: Option<Step>) -> Self {
        step.map_or(Steps::Empty, Steps::One)
    }
}

impl IntoIterator for Steps {
    type Item = Step;
    type IntoIter = StepsIter;

    fn into_iter(self) -> StepsIter {
        match self {
            Steps::Empty => StepsIter::One(None),
            Steps::One(step) => StepsIter::One(Some(step)),
            Steps::Many(steps) => StepsIter::Many(steps.into_iter()),
        }
    }
}

/// Steps taken out of a chain to run, in order.
pub(crate) enum StepsIter {
    One(Option<Step>),
    Many(std::vec::IntoIter<Step>),
}

impl StepsIter {
    /// The steps not run yet, as a queue again.
    pub(crate) fn into_rest(self) -> Steps {
        match self {
            StepsIter::One(step) => Steps::from(step),
            StepsIter::Many(rest) => match rest.len() {
                0 => Steps::Empty,
                1 => Steps::from(rest.into_iter().next()),
                _ => Steps::Many(rest.collect()),
            },
        }
    }
}

impl Iterator for StepsIter {
    type Item = Step;

    fn next(&mut self) -> Option<Step> {
        match self {
            StepsIter::One(step) => step.take(),
            StepsIter::Many(steps) => steps.next(),
        }
    }
}
