//! `Controller`: pause, unpause and cancel a Deferred from anywhere.

use std::fmt;
use std::rc::Rc;

use crate::engine::Chain;

/// A clonable handle to a Deferred's chain that can [`pause`](Self::pause),
/// [`unpause`](Self::unpause) and [`cancel`](Self::cancel) it, but not add callbacks or read
/// its result (those belong to the one [`Deferred`](crate::Deferred) handle, whose type
/// changes as callbacks are added). Get one with
/// [`Deferred::controller`](crate::Deferred::controller).
///
/// This is what Twisted code does by keeping a second reference to a Deferred: cancel it from
/// a timeout, pause it from one of its own callbacks, unpause it once a consumer is ready.
/// A controller keeps the chain alive, so a paused Deferred can still be unpaused through it.
///
/// ```
/// use deferreds::{testing, CancelledError, Deferred};
///
/// let (mut d, _resolver) = Deferred::<u8>::new();
/// let controller = d.controller();
/// let d = d.add_errback(|failure| Err(failure));
/// controller.cancel();
/// assert!(testing::failure_result_of(d).check::<CancelledError>());
/// ```
#[derive(Clone)]
pub struct Controller {
    chain: Rc<Chain>,
}

impl Controller {
    pub(crate) fn new(chain: Rc<Chain>) -> Self {
        Controller { chain }
    }

    /// Like [`Deferred::pause`](crate::Deferred::pause).
    ///
    /// ```
    /// let (mut d, _r) = deferreds::Deferred::<u8>::new();
    /// let c = d.controller();
    /// c.pause();
    /// assert!(d.is_paused());
    /// ```
    pub fn pause(&self) {
        self.chain.pause();
    }

    /// Like [`Deferred::unpause`](crate::Deferred::unpause).
    ///
    /// ```
    /// let (mut d, _r) = deferreds::Deferred::<u8>::new();
    /// let c = d.controller();
    /// c.pause();
    /// c.unpause();
    /// assert!(!d.is_paused());
    /// ```
    pub fn unpause(&self) {
        self.chain.unpause();
    }

    /// Like [`Deferred::cancel`](crate::Deferred::cancel).
    ///
    /// ```
    /// let (mut d, r) = deferreds::Deferred::<u8>::new();
    /// d.controller().cancel();
    /// assert!(r.is_fired());
    /// ```
    pub fn cancel(&self) {
        self.chain.cancel();
    }

    /// Like [`Deferred::is_called`](crate::Deferred::is_called).
    ///
    /// ```
    /// let (mut d, r) = deferreds::Deferred::<u8>::new();
    /// let c = d.controller();
    /// r.callback(1);
    /// assert!(c.is_called());
    /// ```
    pub fn is_called(&self) -> bool {
        self.chain.is_called()
    }

    /// Like [`Deferred::is_paused`](crate::Deferred::is_paused).
    ///
    /// ```
    /// let (mut d, _r) = deferreds::Deferred::<u8>::new();
    /// assert!(!d.controller().is_paused());
    /// ```
    pub fn is_paused(&self) -> bool {
        self.chain.is_paused()
    }

    /// Is the Deferred waiting on another one, returned by one of its callbacks?
    ///
    /// ```
    /// use deferreds::Deferred;
    /// let (inner, fire_inner) = Deferred::<u8>::new();
    /// let (mut outer, fire_outer) = Deferred::<u8>::new();
    /// let controller = outer.controller();
    /// let _outer = outer.add_callback(move |_| inner);
    /// fire_outer.callback(0);
    /// assert!(controller.is_waiting());
    /// fire_inner.callback(1);
    /// assert!(!controller.is_waiting());
    /// ```
    pub fn is_waiting(&self) -> bool {
        self.chain.is_waiting()
    }
}

impl fmt::Debug for Controller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Controller {{ {} }}", self.chain.describe())
    }
}
