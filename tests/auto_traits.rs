//! Auto traits, checked at compile time: a `Deferred` and its `Resolver` and `Controller` stay
//! on their thread (`!Send`, `!Sync`), while `Failure` and the error types can cross threads.
//!
//! The negative checks use the ambiguity trick: `AmbiguousIfImpl<_>` has a blanket impl for
//! every type and a second one for types with the auto trait; naming the method with an
//! inferred parameter compiles only if exactly one impl applies, that is, only if the type
//! does not have the auto trait.

use deferreds::{
    AbandonedError, CancelledError, Controller, Deferred, Failure, PanicError, Resolver,
    TimeoutError, UnhandledError,
};

macro_rules! assert_not_impl {
    ($ty:ty: $auto:path) => {{
        #[allow(dead_code)]
        trait AmbiguousIfImpl<A> {
            fn some_item() {}
        }
        impl<T: ?Sized> AmbiguousIfImpl<()> for T {}
        #[allow(dead_code)]
        struct Invalid;
        impl<T: ?Sized + $auto> AmbiguousIfImpl<Invalid> for T {}
        // Compiles only when `$ty` does not implement `$auto`.
        let _ = <$ty as AmbiguousIfImpl<_>>::some_item;
    }};
}

fn assert_send_sync<T: Send + Sync + 'static>() {}

fn assert_clone<T: Clone>() {}

/// `Deferred<T>` is neither `Send` nor `Sync`, even when `T` is.
#[test]
fn deferred_is_not_send_or_sync() {
    assert_not_impl!(Deferred<u8>: Send);
    assert_not_impl!(Deferred<u8>: Sync);
    assert_not_impl!(Deferred<String>: Send);
}

/// `Resolver<T>` is neither `Send` nor `Sync`: a Deferred is fired on its own thread.
#[test]
fn resolver_is_not_send_or_sync() {
    assert_not_impl!(Resolver<u8>: Send);
    assert_not_impl!(Resolver<u8>: Sync);
}

/// `Controller` is neither `Send` nor `Sync`.
#[test]
fn controller_is_not_send_or_sync() {
    assert_not_impl!(Controller: Send);
    assert_not_impl!(Controller: Sync);
}

/// `Failure` is `Send + Sync + Clone + 'static`, so errors can cross threads.
#[test]
fn failure_is_send_sync_clone_static() {
    assert_send_sync::<Failure>();
    assert_clone::<Failure>();
}

/// The library's error types are `Send + Sync + 'static` (so they fit in a `Failure`) and
/// cheap to clone.
#[test]
fn error_types_are_send_sync() {
    assert_send_sync::<CancelledError>();
    assert_send_sync::<TimeoutError>();
    assert_send_sync::<AbandonedError>();
    assert_send_sync::<PanicError>();
    assert_clone::<CancelledError>();
    assert_clone::<TimeoutError>();
    assert_clone::<AbandonedError>();
    assert_clone::<PanicError>();
}

/// Unhandled-error reports can be passed from the hook to another thread.
#[test]
fn unhandled_error_is_send_sync_clone() {
    assert_send_sync::<UnhandledError>();
    assert_clone::<UnhandledError>();
}
