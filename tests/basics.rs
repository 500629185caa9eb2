//! Callbacks, errbacks and results: Twisted's `DeferredTests` basics (catalogue A), and the
//! seed's six translations of synchronous error handling, each for a first step that
//! succeeds and one that fails.
//!
//! Catalogue D (`AlreadyCalledError`: firing twice) is a compile error here, since firing
//! consumes the `Resolver` (`tests/ui/fire_twice.rs`).

use deferreds::testing::{assert_no_result, failure_result_of, success_result_of};
use deferreds::{Deferred, Failure, PanicError};

mod support;
use support::{note, Log, Oops as GenericError};

/// Catalogue A.1: a callback gets the value it was fired with; no errback runs.
#[test]
fn callback_gets_the_value() {
    let log = Log::default();
    let (d, fire) = Deferred::<&str>::new();
    let d = d.add_callbacks(
        {
            let log = log.clone();
            move |value| {
                note(&log, format!("callback {value}"));
                Ok(())
            }
        },
        {
            let log = log.clone();
            move |_| {
                note(&log, "errback");
                Ok(())
            }
        },
    );
    fire.callback("hello");
    assert_eq!(*log.borrow(), ["callback hello"]);
    success_result_of(d);
}

/// Catalogue A.2–3: Twisted's extra callback arguments are what the closure captures.
#[test]
fn extra_arguments_are_captured() {
    let world = "world";
    let d = Deferred::succeed("hello").add_callback(move |hello| Ok(format!("{hello} {world}")));
    assert_eq!(success_result_of(d), "hello world");
}

/// Catalogue A.4: two callbacks see the value in order, the first passing it on.
#[test]
fn two_callbacks_in_order() {
    let log = Log::default();
    let (d, fire) = Deferred::new();
    let d = d
        .add_callback({
            let log = log.clone();
            move |v: String| {
                note(&log, format!("first {v}"));
                Ok(v)
            }
        })
        .add_callback({
            let log = log.clone();
            move |v| {
                note(&log, format!("second {v}"));
                Ok(())
            }
        });
    fire.callback("hello".to_string());
    assert_eq!(*log.borrow(), ["first hello", "second hello"]);
    success_result_of(d);
}

/// Catalogue A.5: a failure passes by a callback-only step and reaches the next errback,
/// which gets exactly that error.
#[test]
fn a_failure_passes_callbacks_by() {
    let log = Log::default();
    let (d, fire) = Deferred::<()>::new();
    let d = d
        .add_callback({
            let log = log.clone();
            move |()| {
                note(&log, "callback");
                Ok(())
            }
        })
        .add_errback({
            let log = log.clone();
            move |failure| {
                note(
                    &log,
                    format!(
                        "errback {}",
                        failure.downcast_ref::<GenericError>().unwrap()
                    ),
                );
                Ok(())
            }
        });
    fire.errback(GenericError("oopsie"));
    assert_eq!(*log.borrow(), ["errback oopsie"]);
    success_result_of(d);
}

/// Catalogue A.6–7: `add_callbacks` runs exactly one of its pair.
#[test]
fn add_callbacks_runs_one_of_the_pair() {
    for fail in [false, true] {
        let log = Log::default();
        let (d, fire) = Deferred::<&str>::new();
        let d = d.add_callbacks(
            {
                let log = log.clone();
                move |v| {
                    note(&log, format!("cb {v}"));
                    Ok(1)
                }
            },
            {
                let log = log.clone();
                move |f| {
                    note(&log, format!("eb {f}"));
                    Ok(2)
                }
            },
        );
        match fail {
            false => fire.callback("hello"),
            true => fire.errback(GenericError("bad")),
        }
        let expected = if fail { ["eb bad"] } else { ["cb hello"] };
        assert_eq!(*log.borrow(), expected);
        assert_eq!(success_result_of(d), if fail { 2 } else { 1 });
    }
}

/// Catalogue A.8: a callback on an already-fired Deferred runs at once.
#[test]
fn callbacks_on_a_fired_deferred_run_at_once() {
    let log = Log::default();
    let d = Deferred::succeed("success").add_callback({
        let log = log.clone();
        move |v| {
            note(&log, v);
            Ok(())
        }
    });
    assert_eq!(*log.borrow(), ["success"]);
    success_result_of(d);
}

/// Catalogue A.9: firing a new Deferred and `succeed` give the same observable state.
#[test]
fn succeed_matches_manual_success() {
    let (manual, fire) = Deferred::new();
    fire.callback("success");
    let ready = Deferred::succeed("success");
    for d in [&manual, &ready] {
        assert!(d.is_called() && d.has_result() && !d.is_paused() && !d.is_waiting());
    }
    assert_eq!(format!("{manual:?}"), format!("{ready:?}"));
    assert_eq!(success_result_of(manual), success_result_of(ready));
}

/// Catalogue A.10: an errback on an already-failed Deferred runs at once with the error.
#[test]
fn errbacks_on_a_failed_deferred_run_at_once() {
    let log = Log::default();
    let d = Deferred::<()>::fail(GenericError("fail")).add_errback({
        let log = log.clone();
        move |f| {
            note(&log, f.to_string());
            Ok(())
        }
    });
    assert_eq!(*log.borrow(), ["fail"]);
    success_result_of(d);
}

/// Catalogue A.12: a callback's `Err`, `?` or panic sends the chain to the next errback.
#[test]
fn callback_errors_go_to_the_next_errback() {
    let returned = Deferred::succeed(1)
        .add_callback(|_| -> Result<u8, Failure> { Err(GenericError("returned").into()) });
    assert_eq!(failure_result_of(returned).error_message(), "returned");

    let question_mark = Deferred::succeed("x").add_callback(|s| Ok(s.parse::<u8>()?));
    assert!(failure_result_of(question_mark).check::<std::num::ParseIntError>());

    let panicked = Deferred::succeed(0u8).add_callback(|x| Ok(10 / x));
    let failure = failure_result_of(panicked);
    assert!(failure.check::<PanicError>());
    assert!(
        failure.error_message().contains("divide by zero"),
        "{failure}"
    );
}

/// Catalogue A.14: a callback's value goes on; after a callback fails, the next callback is
/// skipped and the same failure object arrives.
#[test]
fn a_failing_callback_skips_the_next() {
    assert_eq!(
        success_result_of(Deferred::succeed(6).add_callback(|x| Ok(x + 1))),
        7
    );
    let original = Failure::new(GenericError("rte"));
    let twice = original.clone();
    let d = Deferred::succeed(6)
        .add_callback(move |_| -> Result<i32, Failure> { Err(twice) })
        .add_callback(|_| -> Result<i32, Failure> { panic!("skipped") });
    assert!(failure_result_of(d).ptr_eq(&original));
}

/// An errback's `Ok` puts the chain back on the callback side.
#[test]
fn an_errback_recovers() {
    let d = Deferred::<u8>::fail(GenericError("x"))
        .add_errback(|_| Ok(5))
        .add_callback(|v| Ok(v * 2));
    assert_eq!(success_result_of(d), 10);
}

/// An errback that fails again passes the (new) failure on; callbacks in between are skipped.
#[test]
fn an_errback_may_fail_again() {
    let d = Deferred::<u8>::fail(GenericError("first"))
        .add_errback(|f| -> Result<u8, Failure> {
            Err(GenericError(if f.check::<GenericError>() {
                "second"
            } else {
                "?"
            })
            .into())
        })
        .add_callback(|_| -> Result<u8, Failure> { panic!("skipped") });
    assert_eq!(failure_result_of(d).error_message(), "second");
}

/// `trap` re-fails anything but the trapped type.
#[test]
fn trap_selects_by_type() {
    let trapped = Deferred::<u8>::fail(GenericError("x")).add_errback(|f| {
        f.trap::<GenericError>()?;
        Ok(1)
    });
    assert_eq!(success_result_of(trapped), 1);
    let passed_on = Deferred::<u8>::fail(std::fmt::Error).add_errback(|f| {
        f.trap::<GenericError>()?;
        Ok(1)
    });
    assert!(failure_result_of(passed_on).check::<std::fmt::Error>());
}

/// Callbacks change the value's type along the chain, with `Ok(..)` inferred.
#[test]
fn callbacks_change_the_type() {
    let d = Deferred::succeed("42")
        .add_callback(|s| Ok(s.parse::<i64>()?))
        .add_callback(|n| Ok(n as f64 / 4.0))
        .add_callback(|x| Ok(format!("{x:.1}")));
    assert_eq!(success_result_of(d), "10.5");
}

/// `add_both` sees values and failures alike (finally) and may change either.
#[test]
fn add_both_sees_either() {
    let value = Deferred::succeed(1).add_both(|r| Ok(r.is_ok()));
    assert!(success_result_of(value));
    let failed = Deferred::<u8>::fail(GenericError("x")).add_both(|r| Ok(r.is_ok()));
    assert!(!success_result_of(failed));
}

/// A pending Deferred has no result until fired, whatever is added to it.
#[test]
fn nothing_runs_before_firing() {
    let log = Log::default();
    let (d, fire) = Deferred::<u8>::new();
    let d = d.add_callback({
        let log = log.clone();
        move |v| {
            note(&log, "ran");
            Ok(v)
        }
    });
    assert_no_result(&d);
    assert!(log.borrow().is_empty());
    fire.callback(1);
    assert_eq!(*log.borrow(), ["ran"]);
    assert_eq!(success_result_of(d), 1);
}

// ---------------------------------------------------------------------------------------------
// The seed's translations: y = f(); h(y); g(e) for errors

/// Runs `chain` with a first step that succeeds (1) or fails, and gives the log and result.
fn run(
    fail: bool,
    chain: impl FnOnce(Deferred<i32>, &Log) -> Deferred<i32>,
) -> (Vec<String>, Result<i32, String>) {
    let log = Log::default();
    let f = match fail {
        false => Deferred::succeed(1),
        true => Deferred::fail(GenericError("f failed")),
    };
    let result = chain(f, &log).take_result().map_err(|_| ()).expect("fired");
    let result = result.map_err(|failure| failure.to_string());
    let entries = log.borrow().clone();
    (entries, result)
}

fn h(log: &Log) -> impl FnOnce(i32) -> Result<i32, Failure> {
    let log = log.clone();
    move |y| {
        note(&log, format!("h({y})"));
        Ok(y * 10)
    }
}

fn g(log: &Log) -> impl FnOnce(Failure) -> Result<i32, Failure> {
    let log = log.clone();
    move |e| {
        note(&log, format!("g({e})"));
        Ok(-1)
    }
}

/// `y = f(); h(y)`: h runs on success; a failure skips it.
#[test]
fn seed_one_thing_then_another() {
    assert_eq!(
        run(false, |f, log| f.add_callback(h(log))),
        (vec!["h(1)".into()], Ok(10))
    );
    assert_eq!(
        run(true, |f, log| f.add_callback(h(log))),
        (vec![], Err("f failed".into()))
    );
}

/// `try: f() except: g(e)`.
#[test]
fn seed_simple_failure_handling() {
    assert_eq!(run(false, |f, log| f.add_errback(g(log))), (vec![], Ok(1)));
    assert_eq!(
        run(true, |f, log| f.add_errback(g(log))),
        (vec!["g(f failed)".into()], Ok(-1))
    );
}

/// `try: f() except: g(e) else: h(y)`; a failure of h does not reach g.
#[test]
fn seed_except_else() {
    let chain = |f: Deferred<i32>, log: &Log| f.add_callbacks(h(log), g(log));
    assert_eq!(run(false, chain), (vec!["h(1)".into()], Ok(10)));
    assert_eq!(run(true, chain), (vec!["g(f failed)".into()], Ok(-1)));
    let failing_h = |f: Deferred<i32>, log: &Log| {
        f.add_callbacks(
            |_| -> Result<i32, Failure> { Err(GenericError("h failed").into()) },
            g(log),
        )
    };
    assert_eq!(run(false, failing_h), (vec![], Err("h failed".into())));
}

/// `try: y = f() except: y = g(e)` then `h(y)`.
#[test]
fn seed_handle_then_proceed() {
    let chain = |f: Deferred<i32>, log: &Log| f.add_errback(g(log)).add_callback(h(log));
    assert_eq!(run(false, chain), (vec!["h(1)".into()], Ok(10)));
    assert_eq!(
        run(true, chain),
        (vec!["g(f failed)".into(), "h(-1)".into()], Ok(-10))
    );
}

/// `try: y = f(); z = h(y) except: g(e)`: one handler for both steps.
#[test]
fn seed_one_handler_for_several_steps() {
    let chain = |f: Deferred<i32>, log: &Log| f.add_callback(h(log)).add_errback(g(log));
    assert_eq!(run(false, chain), (vec!["h(1)".into()], Ok(10)));
    assert_eq!(run(true, chain), (vec!["g(f failed)".into()], Ok(-1)));
    let failing_h = |f: Deferred<i32>, log: &Log| {
        f.add_callback(|_| -> Result<i32, Failure> { Err(GenericError("h failed").into()) })
            .add_errback(g(log))
    };
    assert_eq!(run(false, failing_h), (vec!["g(h failed)".into()], Ok(-1)));
}

/// `try: y = f() finally: g()`: g runs either way and the outcome goes on.
#[test]
fn seed_finally() {
    let chain = |f: Deferred<i32>, log: &Log| {
        let log = log.clone();
        f.add_both(move |result| {
            note(&log, "finally");
            result
        })
    };
    assert_eq!(run(false, chain), (vec!["finally".into()], Ok(1)));
    assert_eq!(
        run(true, chain),
        (vec!["finally".into()], Err("f failed".into()))
    );
}
