//! `maybe_deferred`: one interface for code that may or may not be asynchronous (catalogue I).

use std::rc::Rc;

use deferreds::testing::{assert_no_result, failure_result_of, success_result_of};
use deferreds::{inline_callbacks, maybe_deferred, Deferred, Failure, PanicError};

mod support;
use support::Oops as ValueError;

/// Catalogue I.102: a plain value comes back as an already-fired Deferred, the very value.
#[test]
fn a_value() {
    let object = Rc::new(5);
    let d = maybe_deferred({
        let object = object.clone();
        move || Ok(object)
    });
    assert!(d.has_result());
    assert!(Rc::ptr_eq(&success_result_of(d), &object));
}

/// Catalogue I.103: arguments are what the closure captures.
#[test]
fn a_value_from_arguments() {
    let plus_five = |x: i32| x + 5;
    assert_eq!(
        success_result_of(maybe_deferred(move || Ok(plus_five(10)))),
        15
    );
}

/// Catalogue I.104: an error (returned, or a panic) becomes the failure.
#[test]
fn an_error_or_a_panic() {
    let d = maybe_deferred(|| -> Result<u8, Failure> {
        Err(ValueError("that value is unacceptable").into())
    });
    assert_eq!(
        failure_result_of(d).error_message(),
        "that value is unacceptable"
    );
    let d = maybe_deferred(|| -> Result<u8, Failure> { panic!("that value is unacceptable") });
    let failure = failure_result_of(d);
    assert!(failure.check::<PanicError>());
    assert!(failure
        .error_message()
        .contains("that value is unacceptable"));
}

/// Catalogue I.105: a returned Failure is passed on as the same failure.
#[test]
fn a_failure_is_passed_on_identically() {
    let original = Failure::new(ValueError("x"));
    let given = original.clone();
    let d = maybe_deferred(move || -> Result<u8, Failure> { Err(given) });
    assert!(failure_result_of(d).ptr_eq(&original));
}

/// Catalogue I.106: a returned pending Deferred is the result, firing when it does.
#[test]
fn a_pending_deferred() {
    let (inner, fire) = Deferred::<&str>::new();
    let d = maybe_deferred(move || inner);
    assert_no_result(&d);
    fire.callback("Success");
    assert_eq!(success_result_of(d), "Success");
}

/// Catalogue I.107: a returned Deferred that fails later.
#[test]
fn a_deferred_that_fails() {
    let (inner, fire) = Deferred::<u8>::new();
    let d = maybe_deferred(move || inner);
    fire.errback(ValueError("runtime"));
    assert!(failure_result_of(d).check::<ValueError>());
}

/// Catalogue I.108: the function is an inline-callbacks function (Twisted's coroutine),
/// called directly or through a plain function that adds a callback.
#[test]
fn an_inline_callbacks_function() {
    #[inline_callbacks]
    fn seven(d: Deferred<u8>) -> Result<u8, Failure> {
        Ok(yield_!(d)? + 6)
    }
    let (d, fire) = Deferred::new();
    let direct = maybe_deferred(move || seven(d));
    fire.callback(1);
    assert_eq!(success_result_of(direct), 7);

    let indirect = maybe_deferred(|| seven(Deferred::succeed(1)).add_callback(|v| Ok(v + 1)));
    assert_eq!(success_result_of(indirect), 8);

    #[inline_callbacks]
    fn fails() -> Result<u8, Failure> {
        yield_!(Deferred::succeed(()))?;
        Err(ValueError("from the body").into())
    }
    assert_eq!(
        failure_result_of(maybe_deferred(fails)).error_message(),
        "from the body"
    );
}

/// The function runs at once, before `maybe_deferred` returns.
#[test]
fn runs_at_once() {
    let ran = std::cell::Cell::new(false);
    let d = maybe_deferred(|| {
        ran.set(true);
        Ok(())
    });
    assert!(ran.get());
    success_result_of(d);
}
