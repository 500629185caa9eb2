//! `Reactor`: the event loop's settings, its run, and its shutdown.

use std::cell::Cell;
use std::fmt;
use std::time::Duration;

use crate::deferred::Deferred;
use crate::errors::{abandoning_because, Abandonment};
use crate::failure::Failure;
use crate::future::RemoteWakes;

/// An event loop to run: Twisted's reactor, with its shutdown settings. [`react`] is
/// `Reactor::new().run(main)`.
///
/// [`run`](Reactor::run) runs `main` on a new tokio current-thread runtime (I/O and timers
/// enabled) inside a [`LocalSet`](tokio::task::LocalSet), so `main` and everything it starts
/// may use [`spawn_deferred`], [`defer_to_thread`], a [`TokioClock`](crate::TokioClock),
/// `tokio::task::spawn_local` and [`ensure_deferred`](crate::ensure_deferred) on futures
/// woken from any thread. When `main`'s Deferred fires, the loop shuts down in this order:
///
/// 1. The [`before_shutdown`](Reactor::before_shutdown) triggers are called, in the order
///    they were added, and their Deferreds waited for, all together, while the loop still
///    runs (Twisted's `addSystemEventTrigger("before", "shutdown", f)`).
/// 2. The loop stops: its tasks still pending are dropped, and the Deferreds still waiting
///    on them, or on a [`RemoteResolver`](crate::RemoteResolver), fail with an
///    [`AbandonedError`](crate::AbandonedError) saying the loop ended; closures sent with
///    [`call_from_thread`](crate::LoopHandle::call_from_thread) and not yet run are dropped.
///    From here on, [`spawn_deferred`] and [`defer_to_thread`] fail with
///    [`LoopNotRunningError`](crate::LoopNotRunningError).
/// 3. Blocking work already started on the thread pool is waited for, as tokio does: without
///    bound by default, or for at most the [`shutdown_timeout`](Reactor::shutdown_timeout).
/// 4. `run` returns `main`'s result.
///
/// ```
/// use std::time::Duration;
/// use deferreds::{defer_to_thread, Deferred, Reactor};
///
/// let (release, stuck) = std::sync::mpsc::channel::<()>();
/// let answer = Reactor::new()
///     .shutdown_timeout(Duration::from_millis(10)) // don't wait for the stuck job
///     .before_shutdown(|| {
///         defer_to_thread(|| {
///             std::io::Write::flush(&mut std::io::stdout())?; // done before the loop stops
///             Ok(())
///         })
///     })
///     .run(move || {
///         drop(defer_to_thread(move || Ok(stuck.recv().ok())));
///         Deferred::succeed(42)
///     });
/// assert_eq!(answer.unwrap(), 42);
/// drop(release);
/// ```
///
/// [`react`]: crate::react
/// [`spawn_deferred`]: crate::spawn_deferred
/// [`defer_to_thread`]: crate::defer_to_thread
#[derive(Default)]
pub struct Reactor {
    shutdown_timeout: Option<Duration>,
    thread_pool_size: Option<usize>,
    before_shutdown: Vec<Box<dyn FnOnce() -> Deferred<()>>>,
}

impl Reactor {
    /// A reactor with tokio's defaults: shutdown waits for blocking work without bound, and
    /// no triggers.
    ///
    /// ```
    /// let value = deferreds::Reactor::new().run(|| deferreds::Deferred::succeed(1));
    /// assert_eq!(value.unwrap(), 1);
    /// ```
    pub fn new() -> Self {
        Reactor::default()
    }

    /// Once the loop has stopped, waits at most `timeout` for blocking work still running
    /// on the thread pool (a [`defer_to_thread`](crate::defer_to_thread) job that never
    /// ends, say), then returns anyway and leaves those threads to finish on their own:
    /// tokio's `Runtime::shutdown_timeout`. It does not bound the
    /// [`before_shutdown`](Reactor::before_shutdown) triggers, which are waited for as long
    /// as they take, as in Twisted; give one a bound with [`add_timeout`](crate::add_timeout).
    ///
    /// ```
    /// use std::time::Duration;
    /// use deferreds::{defer_to_thread, Deferred, Reactor};
    ///
    /// let (release, stuck) = std::sync::mpsc::channel::<()>();
    /// let done = Reactor::new()
    ///     .shutdown_timeout(Duration::from_millis(10))
    ///     .run(move || {
    ///         drop(defer_to_thread(move || Ok(stuck.recv().ok())));
    ///         Deferred::succeed("returned")
    ///     });
    /// assert_eq!(done.unwrap(), "returned");
    /// drop(release); // the job ends now, on its own thread
    /// ```
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.shutdown_timeout = Some(timeout);
        self
    }

    /// Runs at most `size` [`defer_to_thread`](crate::defer_to_thread) jobs at once; the
    /// others wait their turn, in order: Twisted's `suggestThreadPoolSize`. A size of 0
    /// counts as 1. The default is tokio's (512).
    ///
    /// ```
    /// use deferreds::{defer_to_thread, gather_results, Reactor};
    ///
    /// let squares = Reactor::new().thread_pool_size(2).run(|| {
    ///     gather_results((1..=4).map(|n| defer_to_thread(move || Ok(n * n))))
    /// });
    /// assert_eq!(squares.unwrap(), [1, 4, 9, 16]);
    /// ```
    pub fn thread_pool_size(mut self, size: usize) -> Self {
        self.thread_pool_size = Some(size.max(1));
        self
    }

    /// Adds work to run when `main`'s Deferred has fired, before the loop stops: `trigger`
    /// is called then, and the loop waits for its Deferred, with its timers, tasks and
    /// threads still working. Twisted's `addSystemEventTrigger("before", "shutdown",
    /// trigger)`: triggers are called in the order they were added, then all waited for
    /// together. A trigger that fails or panics is reported as an
    /// [`UnhandledError`](crate::UnhandledError); the others still run, and
    /// [`run`](Reactor::run) still returns `main`'s result.
    ///
    /// ```
    /// use std::{cell::RefCell, rc::Rc, time::Duration};
    /// use deferreds::{defer_later, Deferred, Reactor, TokioClock};
    ///
    /// let log = Rc::new(RefCell::new(Vec::new()));
    /// let (in_main, in_trigger) = (log.clone(), log.clone());
    /// let result = Reactor::new()
    ///     .before_shutdown(move || {
    ///         let clock = TokioClock::new();
    ///         defer_later(&clock, Duration::from_millis(5), move || {
    ///             in_trigger.borrow_mut().push("saved state");
    ///             Ok(())
    ///         })
    ///     })
    ///     .run(move || {
    ///         in_main.borrow_mut().push("main done");
    ///         Deferred::succeed("exit")
    ///     });
    /// assert_eq!(result.unwrap(), "exit");
    /// assert_eq!(*log.borrow(), ["main done", "saved state"]);
    /// ```
    pub fn before_shutdown(mut self, trigger: impl FnOnce() -> Deferred<()> + 'static) -> Self {
        self.before_shutdown.push(Box::new(trigger));
        self
    }

    /// Runs `main` on the loop, shuts down as described on [`Reactor`], and returns the
    /// result of the Deferred `main` gave.
    ///
    /// The result fits `main`'s return type: `fn main() -> Result<(), Failure>` exits with
    /// status 1 and the failure printed if the Deferred failed. Panics if called on a thread
    /// that is already running a tokio runtime (as tokio does).
    ///
    /// ```
    /// use deferreds::{spawn_deferred, Failure, Reactor};
    ///
    /// fn main() -> Result<(), Failure> {
    ///     let answer = Reactor::new().run(|| spawn_deferred(async { Ok(42) }))?;
    ///     assert_eq!(answer, 42);
    ///     Ok(())
    /// }
    /// ```
    pub fn run<T: 'static>(self, main: impl FnOnce() -> Deferred<T>) -> Result<T, Failure> {
        let mut builder = tokio::runtime::Builder::new_current_thread();
        builder.enable_all();
        if let Some(size) = self.thread_pool_size {
            builder.max_blocking_threads(size);
        }
        let runtime = builder.build().map_err(Failure::new)?;
        // Declared before the tasks, so dropped after them, even by a panic.
        let end_remotes = super::remote::EndRemotes;
        let local = tokio::task::LocalSet::new();
        let triggers = self.before_shutdown;
        let result = {
            let _running = Running::start();
            local.block_on(&runtime, async move {
                tokio::task::spawn_local(RemoteWakes::receive());
                let result = main().await;
                run_triggers(triggers).await;
                result
            })
        };
        // Drops the tasks still pending and the remotes still unfired: the Deferreds
        // waiting on them fail now, abandoned because the loop ended.
        abandoning_because(Abandonment::LoopEnded, || {
            drop(local);
            drop(end_remotes);
        });
        match self.shutdown_timeout {
            Some(timeout) => runtime.shutdown_timeout(timeout),
            None => drop(runtime),
        }
        result
    }
}

/// Calls each trigger, then waits for all their Deferreds; failures are reported.
async fn run_triggers(triggers: Vec<Box<dyn FnOnce() -> Deferred<()>>>) {
    let started: Vec<Deferred<()>> = triggers
        .into_iter()
        .filter_map(|trigger| {
            crate::guard::guarded(trigger)
                .map_err(|panicked| crate::unhandled::report(panicked, None))
                .ok()
        })
        .collect();
    for trigger in started {
        if let Err(failure) = trigger.await {
            crate::unhandled::report(failure, None);
        }
    }
}

impl fmt::Debug for Reactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reactor")
            .field("shutdown_timeout", &self.shutdown_timeout)
            .field("thread_pool_size", &self.thread_pool_size)
            .field("before_shutdown", &self.before_shutdown.len())
            .finish()
    }
}

thread_local! {
    /// Whether a loop on this thread takes new work: from the start of `run` until its
    /// triggers are done.
    static RUNNING: Cell<bool> = const { Cell::new(false) };
}

/// Does a loop on this thread take new work?
pub(super) fn loop_is_running() -> bool {
    RUNNING.with(Cell::get)
}

/// Marks this thread's loop as running until dropped, even if `main` panics.
struct Running {
    outer: bool,
}

impl Running {
    fn start() -> Self {
        Running {
            outer: RUNNING.with(|running| running.replace(true)),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        RUNNING.with(|running| running.set(self.outer));
    }
}
