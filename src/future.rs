//! Futures interop: `.await` a Deferred in async code, and drive a future that awaits
//! Deferreds as a Deferred (`ensure_deferred`).

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, ThreadId};

use crate::deferred::controller::Controller;
use crate::deferred::resolver::Resolver;
use crate::deferred::Deferred;
use crate::errors::CancelledError;
use crate::failure::Failure;

/// `.await` on a Deferred gives its result: `Ok(value)` or `Err(failure)`.
///
/// The Deferred's result is taken at once if it has one; otherwise a callback added to the
/// Deferred stores it and wakes the task. Dropping the future before it is ready cancels the
/// Deferred, as dropping a future cancels its work in async Rust.
///
/// ```
/// use deferreds::{ensure_deferred, testing, Deferred, Failure};
///
/// let (d, resolver) = Deferred::<u32>::new();
/// let doubled = ensure_deferred(async move {
///     let value = d.await?;
///     Ok::<_, Failure>(value * 2)
/// });
/// resolver.callback(21);
/// assert_eq!(testing::success_result_of(doubled), 42);
/// ```
impl<T: 'static> IntoFuture for Deferred<T> {
    type Output = Result<T, Failure>;
    type IntoFuture = DeferredFuture<T>;

    fn into_future(self) -> DeferredFuture<T> {
        DeferredFuture {
            state: Awaiting::Unpolled(self),
        }
    }
}

/// The future of a [`Deferred`]: what `.await` on a Deferred polls. See the
/// [`IntoFuture`](#impl-IntoFuture-for-Deferred%3CT%3E) impl on `Deferred`.
///
/// ```
/// use std::future::IntoFuture;
/// let future = deferreds::Deferred::succeed(1).into_future();
/// # drop(future);
/// ```
pub struct DeferredFuture<T: 'static> {
    state: Awaiting<T>,
}

enum Awaiting<T: 'static> {
    Unpolled(Deferred<T>),
    Waiting {
        slot: Rc<Slot<T>>,
        controller: Controller,
    },
    Done,
}

/// Where the Deferred's callback leaves the result for the future.
struct Slot<T> {
    result: RefCell<Option<Result<T, Failure>>>,
    waker: RefCell<Option<Waker>>,
}

// Nothing in a `DeferredFuture` relies on staying in place: the value, if any, is only
// ever moved out whole.
impl<T: 'static> Unpin for DeferredFuture<T> {}

impl<T: 'static> Future for DeferredFuture<T> {
    type Output = Result<T, Failure>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        match std::mem::replace(&mut this.state, Awaiting::Done) {
            Awaiting::Unpolled(deferred) => match deferred.take_result() {
                Ok(result) => Poll::Ready(result),
                Err(mut deferred) => {
                    // The waker is left by `poll_waiting` below, once.
                    let slot = Rc::new(Slot {
                        result: RefCell::new(None),
                        waker: RefCell::new(None),
                    });
                    let controller = deferred.controller();
                    let filled = slot.clone();
                    let _ = deferred.add_both(move |result| {
                        *filled.result.borrow_mut() = Some(result);
                        let waker = filled.waker.borrow_mut().take();
                        if let Some(waker) = waker {
                            waker.wake();
                        }
                        Ok(())
                    });
                    this.state = Awaiting::Waiting { slot, controller };
                    this.poll_waiting(cx)
                }
            },
            waiting @ Awaiting::Waiting { .. } => {
                this.state = waiting;
                this.poll_waiting(cx)
            }
            Awaiting::Done => panic!("a DeferredFuture was polled after it completed"),
        }
    }
}

/// A `DeferredFuture` is terminated once it has given its output, so it can sit in
/// `futures::select!` (with the `futures` feature). Until then it is not, even if its
/// Deferred has fired: the output is still to be taken.
///
/// ```
/// use deferreds::{ensure_deferred, testing, Deferred, Failure};
/// use futures::future::FusedFuture;
/// use std::future::IntoFuture;
///
/// let (reply, fire_reply) = Deferred::<&str>::new();
/// let (timeout, fire_timeout) = Deferred::<()>::new();
/// let outcome = ensure_deferred(async move {
///     let (mut reply, mut timeout) = (reply.into_future(), timeout.into_future());
///     let outcome = futures::select! {
///         text = reply => text?,
///         _ = timeout => "timed out",
///     };
///     assert!(timeout.is_terminated() && !reply.is_terminated());
///     Ok::<_, Failure>(outcome)
/// });
/// fire_timeout.callback(());
/// assert_eq!(testing::success_result_of(outcome), "timed out");
/// # drop(fire_reply);
/// ```
#[cfg(feature = "futures")]
#[cfg_attr(docsrs, doc(cfg(feature = "futures")))]
impl<T: 'static> futures_core::FusedFuture for DeferredFuture<T> {
    fn is_terminated(&self) -> bool {
        matches!(self.state, Awaiting::Done)
    }
}

impl<T: 'static> DeferredFuture<T> {
    fn poll_waiting(&mut self, cx: &mut Context<'_>) -> Poll<Result<T, Failure>> {
        let Awaiting::Waiting { slot, .. } = &self.state else {
            unreachable!("only called while waiting")
        };
        let result = slot.result.borrow_mut().take();
        match result {
            Some(result) => {
                self.state = Awaiting::Done;
                Poll::Ready(result)
            }
            None => {
                // Polled again by the same task (the usual case): the waker held will do.
                let mut waker = slot.waker.borrow_mut();
                if !waker
                    .as_ref()
                    .is_some_and(|held| held.will_wake(cx.waker()))
                {
                    let replaced = waker.replace(cx.waker().clone());
                    drop(waker);
                    drop(replaced); // outside the borrow: a waker's drop is its own code
                }
                Poll::Pending
            }
        }
    }
}

impl<T: 'static> Drop for DeferredFuture<T> {
    fn drop(&mut self) {
        if let Awaiting::Waiting { slot, controller } = &self.state {
            if slot.result.borrow().is_none() {
                controller.cancel();
            }
        }
    }
}

impl<T: 'static> fmt::Debug for DeferredFuture<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.state {
            Awaiting::Unpolled(_) => "not polled yet",
            Awaiting::Waiting { .. } => "waiting",
            Awaiting::Done => "done",
        };
        write!(
            f,
            "DeferredFuture<{}> {{ {state} }}",
            std::any::type_name::<T>()
        )
    }
}

/// Runs a future that awaits Deferreds, and gives its result as a Deferred: Twisted's
/// `ensureDeferred` / `Deferred.fromCoroutine`.
///
/// There is no executor: the future is polled at once, up to its first `.await` that is not
/// ready, and then again whenever it is woken on this thread, which is what a Deferred it
/// awaits does when it fires. Like `#[inline_callbacks]`, this is for code built from
/// Deferreds; futures that need an event loop (sockets, a runtime's timers) need one
/// polling on this thread.
///
/// Cancelling the returned Deferred drops the future, which cancels the Deferred it was
/// awaiting; the Deferred then fails with [`CancelledError`](crate::CancelledError). Unlike a
/// Twisted coroutine, the future does not see the cancellation at its `await` and cannot
/// recover from it: dropping is how async Rust cancels. A body that must handle its own
/// cancellation is written with [`#[inline_callbacks]`](crate::inline_callbacks).
///
/// A waker is `Send`, but the future is not, so it is only ever polled on this thread. A
/// wake from another thread (a oneshot sent from a thread, a `spawn_blocking` handle) is
/// passed to the event loop when [`react`](crate::react) runs on this thread, and the loop
/// polls the future here. With no loop running here, nothing can poll it: it waits until it
/// is woken on this thread, or until a loop starts here. Such a wake is reported once per
/// future, as an unhandled [`CrossThreadWakeError`] from the waking thread, so the hang is
/// not silent.
///
/// ```
/// use deferreds::{ensure_deferred, testing, Deferred, Failure};
///
/// let (first, fire_first) = Deferred::<u32>::new();
/// let (second, fire_second) = Deferred::<u32>::new();
/// let sum = ensure_deferred(async move {
///     let a = first.await?;
///     let b = second.await?;
///     Ok::<_, Failure>(a + b)
/// });
/// fire_first.callback(1);
/// testing::assert_no_result(&sum);
/// fire_second.callback(2);
/// assert_eq!(testing::success_result_of(sum), 3);
/// ```
pub fn ensure_deferred<F, T, E>(future: F) -> Deferred<T>
where
    F: Future<Output = Result<T, E>> + 'static,
    T: 'static,
    E: Into<Failure> + 'static,
{
    let id = NEXT_TASK.fetch_add(1, Ordering::Relaxed);
    let (deferred, resolver) = Deferred::with_stopper(move |cancelled| {
        cancelled.errback(Failure::of_library(CancelledError));
        // Dropping the future drops (so cancels) whatever it was awaiting.
        // While the thread exits, the tasks may be gone already: nothing to drop then.
        let task = TASKS.try_with(|tasks| tasks.borrow_mut().remove(&id));
        drop(task);
    });
    let task: Rc<dyn Pollable> = Rc::new(Task {
        id,
        future: RefCell::new(Some(Box::pin(future))),
        resolver: RefCell::new(Some(resolver)),
        polling: Cell::new(false),
        woken: Cell::new(false),
        waker: Waker::from(Arc::new(TaskWaker {
            id,
            thread: thread::current().id(),
            inbox: INBOX.with(Arc::clone),
            reported: AtomicBool::new(false),
        })),
    });
    TASKS.with(|tasks| tasks.borrow_mut().insert(id, task.clone()));
    task.poll_now();
    deferred
}

static NEXT_TASK: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// The futures `ensure_deferred` is running on this thread, by id: a waker (which must be
    /// `Send`) names its task instead of holding it.
    static TASKS: RefCell<HashMap<u64, Rc<dyn Pollable>>> = RefCell::new(HashMap::new());
}

/// A task that can be polled, whatever its future's type.
trait Pollable {
    fn poll_now(&self);
}

struct Task<F, T: 'static> {
    id: u64,
    /// `None` once finished.
    future: RefCell<Option<Pin<Box<F>>>>,
    resolver: RefCell<Option<Resolver<T>>>,
    /// Set while the future is being polled, so a wake during the poll polls again after it
    /// instead of inside it.
    polling: Cell<bool>,
    woken: Cell<bool>,
    waker: Waker,
}

impl<F, T, E> Pollable for Task<F, T>
where
    F: Future<Output = Result<T, E>>,
    T: 'static,
    E: Into<Failure>,
{
    fn poll_now(&self) {
        if self.polling.replace(true) {
            self.woken.set(true);
            return;
        }
        let mut context = Context::from_waker(&self.waker);
        let finished = loop {
            self.woken.set(false);
            let mut future = self.future.borrow_mut();
            let Some(pinned) = future.as_mut() else {
                break None;
            };
            match crate::guard::guarded(|| pinned.as_mut().poll(&mut context)) {
                Ok(Poll::Pending) if self.woken.get() => continue,
                Ok(Poll::Pending) => break None,
                Ok(Poll::Ready(output)) => break Some(output.map_err(Into::into)),
                Err(panicked) => break Some(Err(panicked)),
            }
        };
        self.polling.set(false);
        if let Some(result) = finished {
            let future = self.future.borrow_mut().take();
            // The future is the user's: a `Drop` that panics is reported, and the task's
            // books are still closed and its Deferred still fired.
            crate::guard::dispose(future);
            let _ = TASKS.try_with(|tasks| tasks.borrow_mut().remove(&self.id));
            let resolver = self.resolver.borrow_mut().take();
            if let Some(resolver) = resolver {
                resolver.resolve(result);
            }
        }
    }
}

/// Wakes a task: on its own thread by polling it at once; from any other thread by passing
/// the wake to its thread's inbox, for the event loop there.
struct TaskWaker {
    id: u64,
    thread: ThreadId,
    inbox: Arc<Inbox>,
    /// Whether a wake with no loop to receive it was reported already.
    reported: AtomicBool,
}

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if thread::current().id() != self.thread {
            let delivered = self.inbox.post(self.id);
            if !delivered && !self.reported.swap(true, Ordering::Relaxed) {
                crate::unhandled::report(Failure::new(CrossThreadWakeError), None);
            }
            return;
        }
        poll_task(self.id);
    }
}

/// Polls the task with this id, if it is still running on this thread (while the thread
/// exits, its tasks may be gone: a wake then finds none).
fn poll_task(id: u64) {
    let task = TASKS
        .try_with(|tasks| tasks.borrow().get(&id).cloned())
        .ok()
        .flatten();
    if let Some(task) = task {
        task.poll_now();
    }
}

/// A future run by [`ensure_deferred`] was woken from another thread while no event loop
/// ran on the thread that owns it, so nothing could poll it: it waits until it is woken on
/// its own thread, or until [`react`](crate::react) runs there. Reported once per future,
/// as an [`UnhandledError`](crate::UnhandledError), from the thread that woke it.
///
/// ```
/// use std::{future::Future, pin::Pin, sync::{Arc, Mutex}, task::{Context, Poll, Waker}};
/// use deferreds::{ensure_deferred, testing, CrossThreadWakeError, Failure};
///
/// // A future that lets whoever holds `waker` wake it.
/// struct Parked(Arc<Mutex<Option<Waker>>>);
/// impl Future for Parked {
///     type Output = Result<(), Failure>;
///     fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
///         *self.0.lock().unwrap() = Some(cx.waker().clone());
///         Poll::Pending
///     }
/// }
/// let waker = Arc::new(Mutex::new(None));
/// let parked = ensure_deferred(Parked(waker.clone()));
/// let waker = waker.lock().unwrap().take().unwrap();
/// let reports = std::thread::spawn(move || testing::capture_unhandled(|| waker.wake()))
///     .join()
///     .unwrap();
/// assert!(reports[0].failure().check::<CrossThreadWakeError>());
/// testing::assert_no_result(&parked);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, thiserror::Error)]
#[error(
    "a future run by ensure_deferred was woken from another thread, but no event loop runs \
     on the thread that owns it, so nothing can poll it there: it waits until woken on its \
     own thread (await such futures inside react, whose loop receives these wakes)"
)]
pub struct CrossThreadWakeError;

thread_local! {
    /// Where other threads leave wakes for this thread's tasks, and work for its loop.
    static INBOX: Arc<Inbox> = Arc::default();
}

/// Work sent to run on a loop thread.
#[cfg(feature = "tokio")]
pub(crate) type Job = Box<dyn FnOnce() + Send>;

/// The wakes and work other threads left for one thread, and the event loop (if one runs
/// there) to tell about them.
#[derive(Default)]
pub(crate) struct Inbox {
    state: Mutex<InboxState>,
}

#[derive(Default)]
struct InboxState {
    /// Ids of woken tasks, each once, in the order they were woken.
    woken: Vec<u64>,
    /// Work for the running loop, in the order it was sent.
    #[cfg(feature = "tokio")]
    jobs: Vec<Job>,
    /// Whether a loop receives this thread's wakes now.
    loop_running: bool,
    /// Counts the loops run on this thread, so work meant for one that ended never reaches
    /// a later one.
    #[cfg(feature = "tokio")]
    generation: u64,
    /// Wakes the loop's delivery task; set once it has been polled.
    delivery: Option<Waker>,
}

impl Inbox {
    fn state(&self) -> MutexGuard<'_, InboxState> {
        // Nothing runs user code under this lock, so a poisoned one is still consistent.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Leaves a wake for task `id`; says whether a loop is there to receive it.
    fn post(&self, id: u64) -> bool {
        let mut state = self.state();
        if !state.woken.contains(&id) {
            state.woken.push(id);
        }
        let running = state.loop_running;
        let delivery = state.delivery.clone();
        drop(state);
        if let Some(delivery) = delivery {
            delivery.wake();
        }
        running
    }
}

/// The event loop's side of this thread's inbox: a future, polled on the loop thread, that
/// never finishes, polls each task woken from another thread and runs the jobs sent to it.
/// While it exists, wakes from other threads count as delivered and jobs are taken.
#[cfg(feature = "tokio")]
pub(crate) struct RemoteWakes {
    inbox: Arc<Inbox>,
}

#[cfg(feature = "tokio")]
impl RemoteWakes {
    /// Starts receiving this thread's wakes from other threads, including any left before,
    /// and jobs sent for this loop (see [`LoopInbox`]).
    pub(crate) fn receive() -> Self {
        let inbox = INBOX.with(Arc::clone);
        let mut state = inbox.state();
        state.loop_running = true;
        state.generation += 1;
        drop(state);
        RemoteWakes { inbox }
    }
}

#[cfg(feature = "tokio")]
impl Future for RemoteWakes {
    type Output = std::convert::Infallible;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let (woken, jobs) = {
            let mut state = self.inbox.state();
            state.delivery = Some(cx.waker().clone());
            (
                std::mem::take(&mut state.woken),
                std::mem::take(&mut state.jobs),
            )
        };
        if woken.is_empty() && jobs.is_empty() {
            return Poll::Pending;
        }
        woken.into_iter().for_each(poll_task);
        for job in jobs {
            if let Err(panicked) = crate::guard::guarded(job) {
                crate::unhandled::report(panicked, None);
            }
        }
        // More may have come meanwhile: take them on the loop's next turn, so that work
        // sending more work cannot keep the loop from its timers and I/O.
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

#[cfg(feature = "tokio")]
impl Drop for RemoteWakes {
    fn drop(&mut self) {
        let jobs = {
            let mut state = self.inbox.state();
            state.loop_running = false;
            state.delivery = None;
            std::mem::take(&mut state.jobs)
        };
        // The loop has ended: work that has not run never will (dropped outside the lock).
        jobs.into_iter().for_each(crate::guard::dispose);
    }
}

/// Where other threads send jobs for the loop running on one thread: `Send`, and tied to
/// that one loop, so it refuses work once the loop has ended.
#[cfg(feature = "tokio")]
#[derive(Clone)]
pub(crate) struct LoopInbox {
    inbox: Arc<Inbox>,
    generation: u64,
}

#[cfg(feature = "tokio")]
impl LoopInbox {
    /// The inbox of the loop running on this thread, if one is receiving.
    pub(crate) fn current() -> Option<Self> {
        let inbox = INBOX.with(Arc::clone);
        let state = inbox.state();
        let generation = state.generation;
        let running = state.loop_running;
        drop(state);
        running.then_some(LoopInbox { inbox, generation })
    }

    /// Sends `job` to run on the loop; gives it back if that loop has ended.
    pub(crate) fn send(&self, job: Job) -> Result<(), Job> {
        let mut state = self.inbox.state();
        if !state.loop_running || state.generation != self.generation {
            return Err(job);
        }
        // Jobs already waiting mean the loop was woken for them, and takes them all at once.
        let wake = state.jobs.is_empty();
        state.jobs.push(job);
        let delivery = state.delivery.clone().filter(|_| wake);
        drop(state);
        if let Some(delivery) = delivery {
            delivery.wake();
        }
        Ok(())
    }
}
