//! `DeferredQueue`: values handed from producers to consumers.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::fmt;
use std::rc::Rc;

use super::waiters::{hand_off, HasWaiters, Waiters};
use crate::deferred::resolver::Resolver;
use crate::deferred::Deferred;

/// [`DeferredQueue::put`] found the queue full (Twisted's `QueueOverflow`); the value that did
/// not fit comes back in it.
///
/// ```
/// use deferreds::DeferredQueue;
///
/// let queue = DeferredQueue::with_limits(Some(1), None);
/// queue.put("kept")?;
/// let overflow = queue.put("refused").unwrap_err();
/// assert_eq!(overflow.into_inner(), "refused");
/// # Ok::<(), deferreds::QueueOverflow<&str>>(())
/// ```
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[error("the DeferredQueue is full")]
pub struct QueueOverflow<T>(pub T);

impl<T> QueueOverflow<T> {
    /// The value that was not put.
    ///
    /// ```
    /// assert_eq!(deferreds::QueueOverflow(7).into_inner(), 7);
    /// ```
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> fmt::Debug for QueueOverflow<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("QueueOverflow(..)")
    }
}

/// [`DeferredQueue::get`] found the queue empty and its line of waiting `get`s full
/// (Twisted's `QueueUnderflow`).
///
/// ```
/// use deferreds::{DeferredQueue, QueueUnderflow};
///
/// let queue = DeferredQueue::<u8>::with_limits(None, Some(0));
/// assert_eq!(queue.get().unwrap_err(), QueueUnderflow);
/// assert_eq!(QueueUnderflow.to_string(), "too many gets are waiting on the DeferredQueue");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("too many gets are waiting on the DeferredQueue")]
pub struct QueueUnderflow;

/// A queue whose `get` is a Deferred: Twisted's `DeferredQueue`. Values put while nobody
/// waits are kept, in order; a `get` while none is kept waits in line for the next `put`.
///
/// Either side may be bounded: at most `size` values kept ([`put`](Self::put) fails with
/// [`QueueOverflow`] beyond that) and at most `backlog` `get`s waiting
/// ([`get`](Self::get) fails with [`QueueUnderflow`]). Handles are cheap to clone and all
/// share one queue.
///
/// ```
/// use deferreds::{testing, DeferredQueue};
///
/// let queue = DeferredQueue::new();
/// let first = queue.get()?; // nothing yet: waits
/// queue.put("a")?; // fires the waiting get
/// queue.put("b")?; // nobody waiting: kept
/// assert_eq!(testing::success_result_of(first), "a");
/// assert_eq!(testing::success_result_of(queue.get()?), "b"); // fires at once
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct DeferredQueue<T: 'static> {
    state: Rc<QueueState<T>>,
}

struct QueueState<T: 'static> {
    kept: RefCell<VecDeque<T>>,
    size: Option<usize>,
    backlog: Option<usize>,
    waiters: Waiters<T>,
}

impl<T: 'static> HasWaiters<T> for QueueState<T> {
    fn waiters(&self) -> &Waiters<T> {
        &self.waiters
    }
}

impl<T: 'static> DeferredQueue<T> {
    /// An unbounded queue.
    ///
    /// ```
    /// let queue = deferreds::DeferredQueue::<u32>::new();
    /// assert!(queue.is_empty());
    /// ```
    pub fn new() -> Self {
        DeferredQueue::with_limits(None, None)
    }

    /// A queue that keeps at most `size` values and lets at most `backlog` `get`s wait
    /// (`None`: no limit).
    ///
    /// ```
    /// let queue = deferreds::DeferredQueue::<u32>::with_limits(Some(10), Some(2));
    /// assert_eq!((queue.size(), queue.backlog()), (Some(10), Some(2)));
    /// ```
    pub fn with_limits(size: Option<usize>, backlog: Option<usize>) -> Self {
        DeferredQueue {
            state: Rc::new(QueueState {
                kept: RefCell::default(),
                size,
                backlog,
                waiters: Waiters::default(),
            }),
        }
    }

    /// Adds `value`: the first waiting `get` fires with it now (its callbacks run before this
    /// returns), or, with nobody waiting, the queue keeps it.
    ///
    /// # Errors
    ///
    /// [`QueueOverflow`], holding `value`, if nobody waits and the queue already keeps `size`
    /// values.
    ///
    /// ```
    /// let queue = deferreds::DeferredQueue::new();
    /// queue.put(1)?;
    /// assert_eq!(queue.len(), 1);
    /// # Ok::<(), deferreds::QueueOverflow<i32>>(())
    /// ```
    pub fn put(&self, value: T) -> Result<(), QueueOverflow<T>> {
        match self.state.waiters.pop() {
            Some(waiter) => {
                self.hand_to(waiter, value);
                Ok(())
            }
            None if self.len() < self.state.size.unwrap_or(usize::MAX) => {
                self.state.kept.borrow_mut().push_back(value);
                Ok(())
            }
            None => Err(QueueOverflow(value)),
        }
    }

    /// A value meant for a `get` cancelled before it could fire: the next `get` in line has
    /// it, or it goes back to the front of the queue, where it would have been.
    pub(super) fn give_back(&self, value: T) {
        match self.state.waiters.pop() {
            Some(waiter) => self.hand_to(waiter, value),
            None => self.state.kept.borrow_mut().push_front(value),
        }
    }

    fn hand_to(&self, waiter: Resolver<T>, value: T) {
        let queue = self.clone();
        hand_off(waiter, value, move |value| queue.give_back(value));
    }

    /// The next value: a Deferred that already has it if the queue keeps one, or one that
    /// fires with the value of a later [`put`](Self::put), in turn. Cancelling a waiting get
    /// takes it out of the line (it fails with [`CancelledError`](crate::CancelledError)).
    ///
    /// # Errors
    ///
    /// [`QueueUnderflow`] if no value is kept and `backlog` gets are waiting already.
    ///
    /// ```
    /// use deferreds::{testing, CancelledError, DeferredQueue};
    ///
    /// let queue = DeferredQueue::new();
    /// let gave_up = queue.get()?;
    /// gave_up.cancel();
    /// assert!(testing::failure_result_of(gave_up).check::<CancelledError>());
    /// queue.put("for the next get")?;
    /// assert_eq!(testing::success_result_of(queue.get()?), "for the next get");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[track_caller]
    pub fn get(&self) -> Result<Deferred<T>, QueueUnderflow> {
        if let Some(value) = self.state.kept.borrow_mut().pop_front() {
            return Ok(Deferred::succeed(value));
        }
        if let Some(backlog) = self.state.backlog {
            if self.waiting() >= backlog {
                return Err(QueueUnderflow);
            }
        }
        Ok(self.state.waiters.join(&self.state))
    }

    /// The values the queue keeps, waiting for a `get`, oldest first: Twisted's `pending`.
    ///
    /// It is a copy (each value cloned), so it stays as it is while the queue moves on, and
    /// changing it does not change the queue. Values handed straight to a waiting `get` are
    /// never kept, so never in it. For only how many there are, [`len`](Self::len) clones
    /// nothing.
    ///
    /// The values are out of the queue while they are cloned, and put back before this
    /// returns, ahead of any value put meanwhile, even if a `clone` panics. So a `Clone` that
    /// itself uses this queue finds it empty rather than borrowed: a `put` from it goes after
    /// the values being copied (and is not in the copy), and a `get` from it waits in line
    /// and then has the oldest value.
    ///
    /// ```
    /// use deferreds::{testing, DeferredQueue};
    ///
    /// let jobs = DeferredQueue::new();
    /// jobs.put("resize")?;
    /// jobs.put("upload")?;
    /// assert_eq!(jobs.pending(), ["resize", "upload"]);
    ///
    /// assert_eq!(testing::success_result_of(jobs.get()?), "resize");
    /// assert_eq!(jobs.pending(), ["upload"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn pending(&self) -> Vec<T>
    where
        T: Clone,
    {
        let out = OutForCopying {
            kept: &self.state.kept,
            values: self.state.kept.take(),
        };
        let copies = out.values.iter().cloned().collect();
        drop(out);
        // A `get` from a `clone` found the queue empty and waits: it has the oldest values.
        self.serve_waiters();
        copies
    }

    /// Hands kept values to waiting `get`s while there are both, oldest first.
    fn serve_waiters(&self) {
        loop {
            let value = self.state.kept.borrow_mut().pop_front();
            let Some(value) = value else {
                return;
            };
            match self.state.waiters.pop() {
                Some(waiter) => self.hand_to(waiter, value),
                None => return self.state.kept.borrow_mut().push_front(value),
            }
        }
    }

    /// How many values the queue keeps, waiting for a `get`.
    ///
    /// ```
    /// let queue = deferreds::DeferredQueue::new();
    /// queue.put('x')?;
    /// assert_eq!(queue.len(), 1);
    /// # Ok::<(), deferreds::QueueOverflow<char>>(())
    /// ```
    pub fn len(&self) -> usize {
        self.state.kept.borrow().len()
    }

    /// Does the queue keep no values?
    ///
    /// ```
    /// assert!(deferreds::DeferredQueue::<()>::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many `get`s are waiting for a value (one whose Deferred nobody holds any more no
    /// longer counts, here or against `backlog`). It looks at each waiter.
    ///
    /// ```
    /// let queue = deferreds::DeferredQueue::<u8>::new();
    /// let waiting = queue.get()?;
    /// assert_eq!(queue.waiting(), 1);
    /// # drop(waiting);
    /// # Ok::<(), deferreds::QueueUnderflow>(())
    /// ```
    pub fn waiting(&self) -> usize {
        self.state.waiters.len()
    }

    /// The most values the queue keeps (`None`: no limit).
    ///
    /// ```
    /// assert_eq!(deferreds::DeferredQueue::<u8>::new().size(), None);
    /// ```
    pub fn size(&self) -> Option<usize> {
        self.state.size
    }

    /// The most `get`s that may wait (`None`: no limit).
    ///
    /// ```
    /// assert_eq!(deferreds::DeferredQueue::<u8>::new().backlog(), None);
    /// ```
    pub fn backlog(&self) -> Option<usize> {
        self.state.backlog
    }
}

/// The values of a queue taken out while [`DeferredQueue::pending`] clones them (cloning runs
/// user code, which must not find the queue borrowed); dropping it puts them back at the
/// front, also when a `clone` panics. It moves values only: no user code runs in its drop.
struct OutForCopying<'a, T> {
    kept: &'a RefCell<VecDeque<T>>,
    values: VecDeque<T>,
}

impl<T> Drop for OutForCopying<'_, T> {
    fn drop(&mut self) {
        let mut values = std::mem::take(&mut self.values);
        let mut kept = self.kept.borrow_mut();
        values.append(&mut kept); // values put meanwhile go after
        *kept = values;
    }
}

impl<T: 'static> Clone for DeferredQueue<T> {
    fn clone(&self) -> Self {
        DeferredQueue {
            state: self.state.clone(),
        }
    }
}

impl<T: 'static> Default for DeferredQueue<T> {
    fn default() -> Self {
        DeferredQueue::new()
    }
}

impl<T: 'static> fmt::Debug for DeferredQueue<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeferredQueue")
            .field("len", &self.len())
            .field("waiting", &self.waiting())
            .field("size", &self.size())
            .field("backlog", &self.backlog())
            .finish()
    }
}
