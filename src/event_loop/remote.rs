//! Reaching the loop from other threads: Twisted's `reactor.callFromThread`, and a Deferred
//! that any thread may fire.
//!
//! Both go through the loop thread's inbox (the one that also carries cross-thread wakes):
//! a job is queued there, and the loop runs it on its next turn. A Deferred's resolver is
//! `!Send`, so a [`RemoteResolver`] holds only a number; the resolver itself waits in a
//! table on the loop thread, and the job fires it from there.

use std::any::Any;
use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::deferred::resolver::Resolver;
use crate::deferred::Deferred;
use crate::failure::Failure;
use crate::future::LoopInbox;

use super::errors::{LoopEndedError, LoopNotRunningError};
use super::reactor::loop_is_running;

/// A `Send` handle to the event loop running on one thread: other threads use it to run
/// closures there, Twisted's `reactor.callFromThread`. Take it on the loop thread with
/// [`LoopHandle::current`]; clone it freely.
///
/// The handle belongs to one run of the loop: once that loop has ended,
/// [`call_from_thread`](LoopHandle::call_from_thread) refuses work with [`LoopEndedError`],
/// even if another loop runs on the same thread later.
///
/// ```
/// use deferreds::{react, Deferred, LoopHandle};
///
/// let sum = react(|| {
///     let handle = LoopHandle::current().unwrap();
///     let (total, remote) = Deferred::new_remote();
///     std::thread::spawn(move || {
///         let computed: u64 = (1..=10).sum(); // work on another thread
///         handle
///             .call_from_thread(move || remote.callback(computed)) // back on the loop
///             .unwrap();
///     });
///     total
/// });
/// assert_eq!(sum.unwrap(), 55);
/// ```
#[derive(Clone)]
pub struct LoopHandle {
    inbox: LoopInbox,
}

impl LoopHandle {
    /// The handle of the loop running on this thread: inside [`react`](crate::react), from
    /// the start of `main` until its before-shutdown triggers are done, where
    /// [`spawn_deferred`](crate::spawn_deferred) works.
    ///
    /// # Errors
    ///
    /// [`LoopNotRunningError`] anywhere else.
    ///
    /// ```
    /// use deferreds::{react, Deferred, LoopHandle, LoopNotRunningError};
    ///
    /// assert_eq!(LoopHandle::current().unwrap_err(), LoopNotRunningError);
    /// let inside = react(|| Deferred::succeed(LoopHandle::current().is_ok()));
    /// assert!(inside.unwrap());
    /// ```
    pub fn current() -> Result<LoopHandle, LoopNotRunningError> {
        match LoopInbox::current() {
            Some(inbox) if loop_is_running() => Ok(LoopHandle { inbox }),
            _ => Err(LoopNotRunningError),
        }
    }

    /// Runs `f` on the loop thread, on the loop's next turn: never inside this call, even
    /// when called on the loop thread itself. Closures sent from one thread run in the order
    /// they were sent. A closure that panics is reported as an
    /// [`UnhandledError`](crate::UnhandledError), and the loop goes on.
    ///
    /// # Errors
    ///
    /// [`LoopEndedError`] if the loop has ended; `f` is dropped without running. A closure
    /// accepted just before the loop ends may also be dropped unrun: the loop runs no more
    /// work once `main`'s Deferred has fired and its before-shutdown triggers are done.
    ///
    /// ```
    /// use deferreds::{react, Deferred, LoopEndedError, LoopHandle};
    ///
    /// let handle = react(|| Deferred::succeed(LoopHandle::current().unwrap())).unwrap();
    /// // That loop has ended:
    /// assert_eq!(handle.call_from_thread(|| unreachable!()), Err(LoopEndedError));
    /// ```
    pub fn call_from_thread(
        &self,
        f: impl FnOnce() + Send + 'static,
    ) -> Result<(), LoopEndedError> {
        self.inbox
            .send(Box::new(f))
            .map_err(|_refused| LoopEndedError)
    }
}

impl fmt::Debug for LoopHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoopHandle").finish_non_exhaustive()
    }
}

#[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
impl<T: 'static> Deferred<T> {
    /// A Deferred and a [`RemoteResolver`] that fires it from any thread: the Deferred fires
    /// on this thread, the loop thread, on the loop's next turn after the remote is fired.
    /// Call it on the thread running [`react`](crate::react) (where
    /// [`spawn_deferred`](crate::spawn_deferred) works); anywhere else the Deferred fails at
    /// once with [`LoopNotRunningError`] and firing the remote does nothing.
    ///
    /// Like a [`Resolver`](crate::Resolver), the remote fires once (firing consumes it),
    /// and a remote dropped unfired, on whatever thread, abandons the Deferred: it fails with
    /// [`AbandonedError`](crate::AbandonedError), on the loop thread. Cancelling the Deferred
    /// fails it with [`CancelledError`](crate::CancelledError) at once; a later fire is
    /// ignored. If the loop ends first, the Deferred fails as the loop stops (if anyone still
    /// waits on it) with an [`AbandonedError`](crate::AbandonedError) saying so, and a later
    /// fire is dropped.
    ///
    /// `T` must be `Send`, since the value crosses threads; the remote is `Send` with it.
    ///
    /// ```
    /// use deferreds::{react, Deferred};
    ///
    /// let line = react(|| {
    ///     let (d, remote) = Deferred::<String>::new_remote();
    ///     std::thread::spawn(move || remote.callback("from a thread".to_owned()));
    ///     d.add_callback(|line| Ok(line.to_uppercase())) // runs on the loop thread
    /// });
    /// assert_eq!(line.unwrap(), "FROM A THREAD");
    /// ```
    pub fn new_remote() -> (Deferred<T>, RemoteResolver<T>)
    where
        T: Send,
    {
        let inbox = match LoopHandle::current() {
            Ok(handle) => handle.inbox,
            Err(not_running) => {
                let remote = RemoteResolver {
                    id: 0,
                    inbox: None,
                    value: PhantomData,
                };
                return (Deferred::fail(not_running), remote);
            }
        };
        let id = NEXT_REMOTE.fetch_add(1, Ordering::Relaxed);
        let (deferred, resolver) = Deferred::new();
        let resolver_box: Box<dyn Any> = Box::new(resolver);
        WAITING.with(|waiting| waiting.borrow_mut().insert(id, resolver_box));
        let remote = RemoteResolver {
            id,
            inbox: Some(inbox),
            value: PhantomData,
        };
        (deferred, remote)
    }
}

/// Fires a Deferred made by [`Deferred::new_remote`] from any thread: the `Send` half of
/// it. See there for what happens when the loop has ended and when the remote is dropped
/// unfired.
///
/// ```
/// use deferreds::{react, Deferred, RemoteResolver};
///
/// fn fire_later(remote: RemoteResolver<u8>) {
///     std::thread::spawn(move || remote.callback(8));
/// }
/// assert_eq!(react(|| {
///     let (d, remote) = Deferred::new_remote();
///     fire_later(remote);
///     d
/// }).unwrap(), 8);
/// ```
pub struct RemoteResolver<T: Send + 'static> {
    id: u64,
    /// `None` once fired, or where no loop ran.
    inbox: Option<LoopInbox>,
    value: PhantomData<T>,
}

impl<T: Send + 'static> RemoteResolver<T> {
    /// Fires the Deferred with `value`, on the loop thread.
    ///
    /// ```
    /// use deferreds::{react, Deferred};
    ///
    /// let value = react(|| {
    ///     let (d, remote) = Deferred::new_remote();
    ///     std::thread::spawn(move || remote.callback(3));
    ///     d
    /// });
    /// assert_eq!(value.unwrap(), 3);
    /// ```
    pub fn callback(self, value: T) {
        self.resolve(Ok(value));
    }

    /// Fires the Deferred with a failure, on the loop thread.
    ///
    /// ```
    /// use deferreds::{react, Deferred};
    ///
    /// let failed = react(|| {
    ///     let (d, remote) = Deferred::<u8>::new_remote();
    ///     std::thread::spawn(move || remote.errback(std::fmt::Error));
    ///     d
    /// });
    /// assert!(failed.unwrap_err().check::<std::fmt::Error>());
    /// ```
    pub fn errback(self, failure: impl Into<Failure>) {
        self.resolve(Err(failure.into()));
    }

    /// Fires the Deferred with a value or a failure, on the loop thread. If the loop has
    /// ended, the result is dropped here.
    ///
    /// ```
    /// use deferreds::{react, Deferred};
    ///
    /// let value = react(|| {
    ///     let (d, remote) = Deferred::new_remote();
    ///     std::thread::spawn(move || remote.resolve(Ok("done")));
    ///     d
    /// });
    /// assert_eq!(value.unwrap(), "done");
    /// ```
    pub fn resolve(mut self, result: Result<T, Failure>) {
        let id = self.id;
        self.send(move || {
            if let Some(resolver) = take_waiting::<T>(id) {
                resolver.resolve(result);
            }
        });
    }

    /// Sends `job` to the loop, once: later the remote has nothing left to send.
    fn send(&mut self, job: impl FnOnce() + Send + 'static) {
        if let Some(inbox) = self.inbox.take() {
            // Refused: the loop has ended, and already failed the Deferred.
            drop(inbox.send(Box::new(job)));
        }
    }
}

impl<T: Send + 'static> Drop for RemoteResolver<T> {
    fn drop(&mut self) {
        let id = self.id;
        // Dropped unfired there: the Deferred is abandoned.
        self.send(move || drop(take_waiting::<T>(id)));
    }
}

impl<T: Send + 'static> fmt::Debug for RemoteResolver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RemoteResolver<{}>", std::any::type_name::<T>())
    }
}

static NEXT_REMOTE: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// The loop thread's resolvers of Deferreds made by `new_remote`, by number, each a
    /// `Resolver<T>`: one dropped here unfired (as the loop ends) abandons its Deferred.
    static WAITING: RefCell<HashMap<u64, Box<dyn Any>>> = RefCell::new(HashMap::new());
}

/// Takes remote `id`'s resolver out of the table, if it is still there.
fn take_waiting<T: 'static>(id: u64) -> Option<Resolver<T>> {
    let resolver = WAITING.with(|waiting| waiting.borrow_mut().remove(&id))?;
    resolver
        .downcast::<Resolver<T>>()
        .ok()
        .map(|resolver| *resolver)
}

/// The loop has ended: every Deferred still waiting for its remote is abandoned (if anyone
/// waits on it; the loop drops this inside its `LoopEnded` teardown). Dropped when the
/// loop's run ends, even by a panic.
pub(super) struct EndRemotes;

impl Drop for EndRemotes {
    fn drop(&mut self) {
        // Taken out first: failing a Deferred runs its callbacks, which may drop remotes.
        let waiting = WAITING.with(|waiting| std::mem::take(&mut *waiting.borrow_mut()));
        waiting.into_values().for_each(crate::guard::dispose);
    }
}
