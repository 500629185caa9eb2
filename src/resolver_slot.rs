//! `ResolverSlot<T>`: a place in a long-lived object for the resolver of the Deferred it will
//! fire from a later event (Twisted's `self.d`).

use std::cell::Cell;
use std::fmt;

use crate::deferred::resolver::Resolver;
use crate::deferred::Deferred;
use crate::failure::Failure;

/// Holds the [`Resolver`] of at most one pending Deferred, so an object can hand out a
/// Deferred now and fire it from whichever later event brings the result: Twisted's
/// `self.d = Deferred()` ... `d, self.d = self.d, None; d.callback(x)`.
///
/// Everything goes through `&self` (the slot is a [`Cell`]), so the object holding it needs
/// neither a `RefCell` nor `Rc<Self>` to fire it:
///
/// - [`arm`](Self::arm) makes a new Deferred, keeps its resolver and returns the Deferred.
///   While the slot is armed, arming again gives [`AlreadyArmedError`] and leaves the waiting
///   Deferred in place (where Twisted code would assert that `self.d` is `None`).
/// - [`callback`](Self::callback), [`errback`](Self::errback) and
///   [`resolve`](Self::resolve) take the resolver out, leaving the slot empty, and only then
///   fire it. The Deferred's callbacks therefore run with the slot empty, and may arm it again
///   for the next event or fire it again (which gives the error). Firing an empty slot gives
///   [`AlreadyCalledError`], Twisted's `AlreadyCalledError` as a value.
/// - [`take`](Self::take) empties the slot and gives the resolver back, to fire elsewhere or
///   to drop.
///
/// A resolver in the slot is an ordinary resolver: if its Deferred was cancelled meanwhile,
/// firing it is ignored (and counts as firing: the slot is empty afterwards). Dropping an
/// armed slot drops the resolver, which fails the Deferred with
/// [`AbandonedError`](crate::AbandonedError) if anyone still waits for it.
///
/// A protocol object answering one request at a time:
///
/// ```
/// use deferreds::{testing, AlreadyCalledError, Deferred, ResolverSlot};
///
/// /// Asks a server one question at a time; the answer is the next line it sends.
/// #[derive(Default)]
/// struct Client {
///     pending: ResolverSlot<String>,
/// }
///
/// impl Client {
///     fn ask(&self, _question: &str) -> Deferred<String> {
///         let answer = self.pending.arm().expect("one question at a time");
///         // ... write the question to the transport ...
///         answer
///     }
///
///     /// Called by the transport for every line received.
///     fn line_received(&self, line: &str) -> Result<(), AlreadyCalledError> {
///         self.pending.callback(line.to_string())
///     }
/// }
///
/// let client = Client::default();
/// let answer = client.ask("what time is it?");
/// testing::assert_no_result(&answer);
///
/// client.line_received("noon").unwrap();
/// assert_eq!(testing::success_result_of(answer), "noon");
///
/// // A line nobody asked for is an error the protocol sees and can handle.
/// assert_eq!(client.line_received("unsolicited"), Err(AlreadyCalledError));
/// ```
///
/// To fire the slot from a closure (a timer, another Deferred's callback), share it with an
/// `Rc<ResolverSlot<T>>`. A callback of the slot's own Deferred that holds the slot forms a
/// reference cycle while the slot is armed; firing or taking the resolver breaks it.
pub struct ResolverSlot<T: 'static> {
    resolver: Cell<Option<Resolver<T>>>,
}

/// A [`ResolverSlot`] was fired while it held no resolver: its Deferred was fired (or its
/// resolver taken) already, or no Deferred was armed since. Twisted raises
/// `AlreadyCalledError` for the same mistake.
///
/// ```
/// use deferreds::{AlreadyCalledError, ResolverSlot};
///
/// let slot = ResolverSlot::<u8>::new();
/// assert_eq!(slot.callback(1), Err(AlreadyCalledError));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, thiserror::Error)]
#[error(
    "the ResolverSlot holds no resolver: its Deferred was already fired or taken, or none was \
     armed (arm a new Deferred with ResolverSlot::arm before firing)"
)]
pub struct AlreadyCalledError;

/// [`ResolverSlot::arm`] was called while the slot still held the resolver of a Deferred it
/// armed before. That Deferred stays armed.
///
/// ```
/// use deferreds::{AlreadyArmedError, ResolverSlot};
///
/// let slot = ResolverSlot::<u8>::new();
/// let _first = slot.arm().unwrap();
/// assert_eq!(slot.arm().unwrap_err(), AlreadyArmedError);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, thiserror::Error)]
#[error(
    "the ResolverSlot is already armed with an unfired Deferred's resolver (fire it, or take \
     it with ResolverSlot::take, before arming another)"
)]
pub struct AlreadyArmedError;

impl<T: 'static> ResolverSlot<T> {
    /// An empty slot.
    ///
    /// ```
    /// let slot = deferreds::ResolverSlot::<u8>::new();
    /// assert!(!slot.is_armed());
    /// ```
    pub fn new() -> Self {
        ResolverSlot {
            resolver: Cell::new(None),
        }
    }

    /// Makes a new Deferred, keeps its resolver in the slot and returns the Deferred. Fails
    /// with [`AlreadyArmedError`], changing nothing, while the slot is armed already.
    ///
    /// ```
    /// use deferreds::{testing, ResolverSlot};
    ///
    /// let slot = ResolverSlot::new();
    /// let d = slot.arm().unwrap();
    /// assert!(slot.is_armed());
    /// slot.callback("ready").unwrap();
    /// assert_eq!(testing::success_result_of(d), "ready");
    /// ```
    #[track_caller]
    pub fn arm(&self) -> Result<Deferred<T>, AlreadyArmedError> {
        if self.is_armed() {
            return Err(AlreadyArmedError);
        }
        let (d, resolver) = Deferred::new();
        self.resolver.set(Some(resolver));
        Ok(d)
    }

    /// Does the slot hold a resolver, so that firing it would fire a Deferred?
    ///
    /// ```
    /// let slot = deferreds::ResolverSlot::<u8>::new();
    /// let _d = slot.arm().unwrap();
    /// assert!(slot.is_armed());
    /// slot.callback(1).unwrap();
    /// assert!(!slot.is_armed());
    /// ```
    pub fn is_armed(&self) -> bool {
        let resolver = self.resolver.take();
        let armed = resolver.is_some();
        self.resolver.set(resolver);
        armed
    }

    /// Empties the slot and gives back the resolver it held, if any.
    ///
    /// ```
    /// use deferreds::{testing, ResolverSlot};
    ///
    /// let slot = ResolverSlot::new();
    /// let d = slot.arm().unwrap();
    /// let resolver = slot.take().unwrap();
    /// assert!(!slot.is_armed());
    /// resolver.callback(5);
    /// assert_eq!(testing::success_result_of(d), 5);
    /// ```
    pub fn take(&self) -> Option<Resolver<T>> {
        self.resolver.take()
    }

    /// Empties the slot, then fires its Deferred with `value`. Fails with
    /// [`AlreadyCalledError`] if the slot held no resolver.
    ///
    /// ```
    /// use deferreds::{testing, AlreadyCalledError, ResolverSlot};
    ///
    /// let slot = ResolverSlot::new();
    /// let d = slot.arm().unwrap();
    /// assert_eq!(slot.callback(3), Ok(()));
    /// assert_eq!(slot.callback(4), Err(AlreadyCalledError));
    /// assert_eq!(testing::success_result_of(d), 3);
    /// ```
    #[track_caller]
    pub fn callback(&self, value: T) -> Result<(), AlreadyCalledError> {
        self.resolve(Ok(value))
    }

    /// Empties the slot, then fires its Deferred with `failure`. Fails with
    /// [`AlreadyCalledError`] if the slot held no resolver.
    ///
    /// ```
    /// use deferreds::{testing, ResolverSlot};
    ///
    /// let slot = ResolverSlot::<u8>::new();
    /// let d = slot.arm().unwrap();
    /// slot.errback(std::fmt::Error).unwrap();
    /// assert!(testing::failure_result_of(d).check::<std::fmt::Error>());
    /// ```
    #[track_caller]
    pub fn errback(&self, failure: impl Into<Failure>) -> Result<(), AlreadyCalledError> {
        self.resolve(Err(failure.into()))
    }

    /// Empties the slot, then fires its Deferred with a value or a failure. Fails with
    /// [`AlreadyCalledError`] if the slot held no resolver.
    ///
    /// ```
    /// use deferreds::{testing, Failure, ResolverSlot};
    ///
    /// let slot = ResolverSlot::new();
    /// let d = slot.arm().unwrap();
    /// slot.resolve(Ok::<_, Failure>("done")).unwrap();
    /// assert_eq!(testing::success_result_of(d), "done");
    /// ```
    #[track_caller]
    pub fn resolve(&self, result: Result<T, Failure>) -> Result<(), AlreadyCalledError> {
        // Out of the slot before firing: the callbacks that run may use the slot again.
        let resolver = self.resolver.take().ok_or(AlreadyCalledError)?;
        resolver.resolve(result);
        Ok(())
    }
}

impl<T: 'static> Default for ResolverSlot<T> {
    /// An empty slot, as [`ResolverSlot::new`].
    ///
    /// ```
    /// let slot: deferreds::ResolverSlot<u8> = Default::default();
    /// assert!(!slot.is_armed());
    /// ```
    fn default() -> Self {
        ResolverSlot::new()
    }
}

impl<T: 'static> fmt::Debug for ResolverSlot<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = if self.is_armed() { "armed" } else { "empty" };
        write!(
            f,
            "ResolverSlot<{}> {{ {state} }}",
            std::any::type_name::<T>()
        )
    }
}
