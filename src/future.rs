//! Futures interop: `.await` a Deferred in async code, and drive a future that awaits
//! Deferreds as a Deferred (`ensure_deferred`).

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, ThreadId};

use crate::controller::Controller;
use crate::deferred::Deferred;
use crate::errors::CancelledError;
use crate::failure::Failure;
use crate::resolver::Resolver;

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
                    let slot = Rc::new(Slot {
                        result: RefCell::new(None),
                        waker: RefCell::new(Some(cx.waker().clone())),
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
                *slot.waker.borrow_mut() = Some(cx.waker().clone());
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
/// A waker is `Send`, but the future is not: a wake from another thread never polls the
/// future there; it does nothing, and the future waits until something on its own thread
/// wakes it. A future that is only ever woken from other threads needs an event loop
/// polling on this thread.
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
        cancelled.errback(CancelledError);
        // Dropping the future drops (so cancels) whatever it was awaiting.
        let task = TASKS.with(|tasks| tasks.borrow_mut().remove(&id));
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
            match crate::step::guarded(|| pinned.as_mut().poll(&mut context)) {
                Ok(Poll::Pending) if self.woken.get() => continue,
                Ok(Poll::Pending) => break None,
                Ok(Poll::Ready(output)) => break Some(output.map_err(Into::into)),
                Err(panicked) => break Some(Err(panicked)),
            }
        };
        self.polling.set(false);
        if let Some(result) = finished {
            self.future.borrow_mut().take();
            TASKS.with(|tasks| tasks.borrow_mut().remove(&self.id));
            let resolver = self.resolver.borrow_mut().take();
            if let Some(resolver) = resolver {
                resolver.resolve(result);
            }
        }
    }
}

/// Wakes a task on its own thread; from any other thread, does nothing (the future is not
/// `Send`, so it cannot be polled there).
struct TaskWaker {
    id: u64,
    thread: ThreadId,
}

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if thread::current().id() != self.thread {
            return;
        }
        let task = TASKS.with(|tasks| tasks.borrow().get(&self.id).cloned());
        if let Some(task) = task {
            task.poll_now();
        }
    }
}
