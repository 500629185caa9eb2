//! Unhandled failures and the debugging switch: Twisted's `LogTests`, the unhandled-error
//! parts of the chaining tests, and the debug tests (`testSwitchDebugging`,
//! `test_errorLogDebugInfo`), adapted: a failure nothing handled is reported when the last
//! handle to its chain is dropped.
//!
//! The unhandled-error hook and the debugging switch are process-wide, so every test here
//! takes `LOCK` and puts both back as it found them.

use std::sync::{Arc, Mutex};

use deferreds::testing::{capture_unhandled, failure_result_of, success_result_of};
use deferreds::{
    fail, is_debugging, set_debugging, set_unhandled_error_hook, take_unhandled_error_hook,
    CancelledError, Deferred, Failure, PanicError, UnhandledError,
};

mod support;
use support::process_wide::serial;
use support::ZeroDivisionError;

fn divide(n: u32, by: u32) -> Result<u32, Failure> {
    Ok(n.checked_div(by).ok_or(ZeroDivisionError)?)
}

fn messages(reports: &[UnhandledError]) -> Vec<String> {
    reports
        .iter()
        .map(|r| r.failure().error_message())
        .collect()
}

/// A failing callback on a Deferred nobody holds any more is reported once, with its failure.
#[test]
fn test_error_log() {
    let _s = serial();
    let reports = capture_unhandled(|| {
        let (d, resolver) = Deferred::<u32>::new();
        drop(d.add_callback(|n| divide(n, 0)));
        resolver.callback(1);
    });
    assert_eq!(reports.len(), 1);
    assert!(reports[0].failure().check::<ZeroDivisionError>());
}

/// The same when the Deferred is made, failed and dropped inside a helper function.
#[test]
fn test_error_log_with_inner_frame_ref() {
    fn helper() {
        let (d, resolver) = Deferred::<u32>::new();
        let d = d.add_callback(|n| divide(n, 0));
        resolver.callback(1);
        drop(d);
    }
    let _s = serial();
    let reports = capture_unhandled(helper);
    assert_eq!(reports.len(), 1);
    assert!(reports[0].failure().check::<ZeroDivisionError>());
}

/// Nothing is reported while a handle is held; the report comes when the last one is dropped.
#[test]
fn reported_only_when_the_last_handle_is_dropped() {
    let _s = serial();
    let mut kept = None;
    let reports = capture_unhandled(|| {
        let (d, resolver) = Deferred::<u32>::new();
        let d = d.add_callback(|n| divide(n, 0));
        resolver.callback(1);
        kept = Some(d);
    });
    assert!(reports.is_empty(), "{reports:?}");
    let reports = capture_unhandled(|| drop(kept.take()));
    assert_eq!(messages(&reports), vec!["division by zero"]);
}

/// A report reads `Unhandled error in Deferred:` followed by the failure.
#[test]
fn test_error_log_no_repr() {
    let _s = serial();
    let reports = capture_unhandled(|| drop(fail::<u8>(Failure::new(ZeroDivisionError))));
    assert_eq!(reports.len(), 1);
    let text = reports[0].to_string();
    assert!(text.starts_with("Unhandled error in Deferred:\n"), "{text}");
    assert!(text.contains("division by zero"), "{text}");
    assert!(text.contains("ZeroDivisionError"), "{text}");
}

/// The report carries the very failure that went unhandled.
#[test]
fn report_carries_the_same_failure() {
    let _s = serial();
    let failure = Failure::msg("lost");
    let sent = failure.clone();
    let reports = capture_unhandled(move || {
        let (d, resolver) = Deferred::<u8>::new();
        resolver.errback(sent);
        drop(d);
    });
    assert_eq!(reports.len(), 1);
    assert!(reports[0].failure().ptr_eq(&failure));
}

/// A failure an errback handled is not reported.
#[test]
fn not_reported_once_an_errback_handled_it() {
    let _s = serial();
    let reports = capture_unhandled(|| {
        let (d, resolver) = Deferred::<u32>::new();
        let d = d.add_callback(|n| divide(n, 0)).add_errback(|_| Ok(0));
        resolver.callback(1);
        drop(d);
        drop(fail::<u8>(Failure::msg("handled")).add_errback(|_| Ok(1)));
    });
    assert!(reports.is_empty(), "{reports:?}");
}

/// An errback that fails again leaves its own failure unhandled, and that one is reported.
#[test]
fn reported_when_an_errback_fails_again() {
    let _s = serial();
    let reports = capture_unhandled(|| {
        let d: Deferred<u8> = fail(Failure::msg("first"));
        drop(d.add_errback(|_| -> Result<u8, Failure> { Err(Failure::msg("second")) }));
    });
    assert_eq!(messages(&reports), vec!["second"]);
}

/// A failure recovered from and then raised by a later callback is reported.
#[test]
fn reported_when_a_later_callback_fails_after_recovery() {
    let _s = serial();
    let reports = capture_unhandled(|| {
        let d: Deferred<u32> = fail(Failure::msg("first"));
        drop(d.add_errback(|_| Ok(1)).add_callback(|n| divide(n, 0)));
    });
    assert_eq!(messages(&reports), vec!["division by zero"]);
}

/// A failure from a callback-returned failed Deferred moves into the outer chain; once the
/// outer errback handles it, nothing is reported.
#[test]
fn test_chained_error_cleanup() {
    let _s = serial();
    let reports = capture_unhandled(|| {
        let (d, resolver) = Deferred::<()>::new();
        let d = d
            .add_callback(|()| fail::<u8>(Failure::msg("zoop")))
            .add_errback(|f| {
                assert_eq!(f.error_message(), "zoop");
                Ok(0)
            });
        resolver.callback(());
        assert_eq!(success_result_of(d), 0);
    });
    assert!(reports.is_empty(), "{reports:?}");
}

/// The same when the inner Deferred fails later, after the outer started waiting on it.
#[test]
fn chained_error_cleanup_asynchronous() {
    let _s = serial();
    let reports = capture_unhandled(|| {
        let (inner, inner_resolver) = Deferred::<u8>::new();
        let (d, resolver) = Deferred::<()>::new();
        let d = d.add_callback(move |()| inner).add_errback(|_| Ok(0));
        resolver.callback(());
        inner_resolver.errback(Failure::msg("zoop"));
        assert_eq!(success_result_of(d), 0);
    });
    assert!(reports.is_empty(), "{reports:?}");
}

/// A failed Deferred whose errback returns an unfired Deferred no longer holds the failure:
/// dropping everything reports nothing.
#[test]
fn test_error_cleared_by_chaining() {
    let _s = serial();
    let reports = capture_unhandled(|| {
        let (good, good_resolver) = Deferred::<u8>::new();
        let bad: Deferred<u8> = fail(Failure::msg("oh no"));
        let bad = bad.add_errback(move |_| good);
        drop(bad);
        drop(good_resolver);
    });
    assert!(reports.is_empty(), "{reports:?}");
}

/// A failure moved on by `chain_deferred` belongs to the target: handled there, nothing is
/// reported; unhandled there, it is reported once.
#[test]
fn failure_moved_by_chain_deferred_is_reported_only_by_the_target() {
    let _s = serial();
    let reports = capture_unhandled(|| {
        let (target, target_resolver) = Deferred::<u8>::new();
        let source: Deferred<u8> = fail(Failure::msg("moved"));
        drop(source.chain_deferred(target_resolver));
        assert_eq!(failure_result_of(target).error_message(), "moved");
    });
    assert!(reports.is_empty(), "{reports:?}");

    let reports = capture_unhandled(|| {
        let (target, target_resolver) = Deferred::<u8>::new();
        let source: Deferred<u8> = fail(Failure::msg("moved"));
        drop(source.chain_deferred(target_resolver));
        drop(target);
    });
    assert_eq!(messages(&reports), vec!["moved"]);
}

/// A failure produced by a panicking callback is reported, with the panic's message.
#[test]
fn reported_for_a_panicking_callback() {
    let _s = serial();
    let reports = capture_unhandled(|| {
        let (d, resolver) = Deferred::<u8>::new();
        drop(d.add_callback(|_| -> Result<u8, Failure> { panic!("callback exploded") }));
        resolver.callback(1);
    });
    assert_eq!(reports.len(), 1);
    let panic = reports[0].failure().downcast_ref::<PanicError>().unwrap();
    assert_eq!(panic.message(), "callback exploded");
}

/// `failure_result_of` takes the failure, so nothing is reported.
#[test]
fn not_reported_after_failure_result_of() {
    let _s = serial();
    let reports = capture_unhandled(|| {
        let d: Deferred<u8> = fail(Failure::msg("taken"));
        let d = d.add_callback(|n| Ok(n + 1));
        assert_eq!(failure_result_of(d).error_message(), "taken");
    });
    assert!(reports.is_empty(), "{reports:?}");
}

/// A cancelled Deferred dropped without an errback reports its `CancelledError`.
#[test]
fn cancelled_and_dropped_reports_cancelled_error() {
    let _s = serial();
    let reports = capture_unhandled(|| {
        let (d, _resolver) = Deferred::<u8>::new();
        d.cancel();
        drop(d);
    });
    assert_eq!(reports.len(), 1);
    assert!(reports[0].failure().check::<CancelledError>());
}

/// The hook receives reports made outside a capture; setting returns the previous hook and
/// taking removes it.
#[test]
fn unhandled_error_hook_receives_reports() {
    let _s = serial();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    assert!(set_unhandled_error_hook(move |report| {
        s.lock().unwrap().push(report.failure().error_message());
    })
    .is_none());
    drop(fail::<u8>(Failure::msg("to the hook")));
    assert_eq!(*seen.lock().unwrap(), vec!["to the hook"]);

    let previous = set_unhandled_error_hook(|_| {});
    assert!(previous.is_some());
    let previous = previous.unwrap();
    let report = capture_unhandled(|| drop(fail::<u8>(Failure::msg("replayed"))));
    previous(&report[0]);
    assert_eq!(*seen.lock().unwrap(), vec!["to the hook", "replayed"]);

    assert!(take_unhandled_error_hook().is_some());
    assert!(take_unhandled_error_hook().is_none());
}

/// A capture takes precedence over the hook on its own thread, and only there: another
/// thread's report still reaches the hook.
#[test]
fn capture_is_per_thread_and_overrides_the_hook() {
    let _s = serial();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    set_unhandled_error_hook(move |report| {
        s.lock().unwrap().push(report.failure().error_message());
    });
    let reports = capture_unhandled(|| {
        drop(fail::<u8>(Failure::msg("this thread")));
        std::thread::spawn(|| drop(fail::<u8>(Failure::msg("other thread"))))
            .join()
            .unwrap();
    });
    assert_eq!(messages(&reports), vec!["this thread"]);
    assert_eq!(*seen.lock().unwrap(), vec!["other thread"]);
}

/// Captures nest: an inner capture keeps its reports from the outer one.
#[test]
fn captures_nest() {
    let _s = serial();
    let mut inner = Vec::new();
    let outer = capture_unhandled(|| {
        drop(fail::<u8>(Failure::msg("outer")));
        inner = capture_unhandled(|| drop(fail::<u8>(Failure::msg("inner"))));
    });
    assert_eq!(messages(&outer), vec!["outer"]);
    assert_eq!(messages(&inner), vec!["inner"]);
}

/// With debugging off, reports carry no locations.
#[test]
fn no_debug_locations_when_debugging_is_off() {
    let _s = serial();
    assert!(!is_debugging());
    let reports = capture_unhandled(|| {
        let (d, resolver) = Deferred::<u8>::new();
        resolver.errback(Failure::msg("plain"));
        drop(d);
    });
    assert_eq!(reports[0].debug_locations(), "");
    assert!(!reports[0].to_string().contains("(debug:"));
}

/// With debugging on, the report says where the Deferred was created and fired.
#[test]
fn debug_report_includes_creation_and_firing() {
    let _s = serial();
    set_debugging(true);
    assert!(is_debugging());
    let reports = capture_unhandled(|| {
        let (d, resolver) = Deferred::<u8>::new();
        resolver.errback(Failure::msg("traced"));
        drop(d);
    });
    let locations = reports[0].debug_locations();
    assert!(locations.contains("created at "), "{locations}");
    assert!(locations.contains("fired at "), "{locations}");
    let text = reports[0].to_string();
    assert!(text.contains("(debug:"), "{text}");
    assert!(text.contains(" created at "), "{text}");
    assert!(text.contains(" fired at "), "{text}");
}

/// With debugging on, the recorded places are the lines of this file that created and fired
/// the Deferred, in the report and in the Deferred's `Debug` output.
#[test]
fn debug_locations_name_the_creating_and_firing_lines() {
    let _s = serial();
    set_debugging(true);
    let mut created_line = 0;
    let mut fired_line = 0;
    let mut debug_text = String::new();
    let reports = capture_unhandled(|| {
        created_line = line!() + 1;
        let (d, resolver) = Deferred::<u8>::new();
        fired_line = line!() + 1;
        resolver.errback(Failure::msg("traced"));
        debug_text = format!("{d:?}");
        drop(d);
    });
    let created = format!("created at {}:{}:", file!(), created_line);
    let fired = format!("fired at {}:{}:", file!(), fired_line);
    let locations = reports[0].debug_locations();
    assert!(locations.contains(&created), "{locations}");
    assert!(locations.contains(&fired), "{locations}");
    assert!(debug_text.contains(&created), "{debug_text}");
    assert!(debug_text.contains(&fired), "{debug_text}");
}

/// Debugging switched on after creation records only where the Deferred was fired.
#[test]
fn test_error_log_debug_info() {
    let _s = serial();
    let reports = capture_unhandled(|| {
        let (d, resolver) = Deferred::<u32>::new();
        let d = d.add_callback(|n| divide(n, 0));
        set_debugging(true);
        resolver.callback(1);
        drop(d);
    });
    assert_eq!(reports.len(), 1);
    let locations = reports[0].debug_locations();
    assert!(locations.contains("fired at "), "{locations}");
    assert!(!locations.contains("created at "), "{locations}");
}

/// Switching debugging on or off between creating, adding callbacks and firing never breaks
/// the chain.
#[test]
fn test_switch_debugging() {
    let _s = serial();
    let reports = capture_unhandled(|| {
        set_debugging(false);
        let (d, resolver) = Deferred::<u8>::new();
        let d = d.add_both(|_| Ok(()));
        set_debugging(true);
        resolver.callback(1);
        success_result_of(d);

        set_debugging(false);
        let (d, resolver) = Deferred::<u8>::new();
        resolver.callback(1);
        set_debugging(true);
        let d = d.add_both(|r| Ok(r.is_ok()));
        assert!(success_result_of(d));

        set_debugging(true);
        let (d, resolver) = Deferred::<u8>::new();
        let d = d.add_callback(|n| Ok(n + 1));
        set_debugging(false);
        resolver.callback(1);
        assert_eq!(success_result_of(d), 2);

        set_debugging(true);
        let d = Deferred::succeed(3u8);
        set_debugging(false);
        let d = d.add_callback(|n| Ok(n * 2));
        assert_eq!(success_result_of(d), 6);
    });
    assert!(reports.is_empty(), "{reports:?}");
}

/// A failed Deferred made while debugging records where it was created.
#[test]
fn debug_report_for_fail_names_creation() {
    let _s = serial();
    set_debugging(true);
    let reports = capture_unhandled(|| drop(fail::<u8>(Failure::msg("made failed"))));
    assert_eq!(reports.len(), 1);
    assert!(reports[0].debug_locations().contains("created at "));
}

/// `Debug` for a report names the type and shows the failure.
#[test]
fn unhandled_error_debug_output() {
    let _s = serial();
    let reports = capture_unhandled(|| drop(fail::<u8>(Failure::msg("shown"))));
    let text = format!("{:?}", reports[0]);
    assert!(text.starts_with("UnhandledError"), "{text}");
    assert!(text.contains("shown"), "{text}");
}

/// An inner failure handed to an outer chain nobody holds is reported once, by the outer.
#[test]
fn failure_handed_to_an_unheld_outer_is_reported_once() {
    let _s = serial();
    let reports = capture_unhandled(|| {
        let (inner, inner_resolver) = Deferred::<u8>::new();
        let (outer, outer_resolver) = Deferred::<()>::new();
        drop(outer.add_callback(move |()| inner));
        outer_resolver.callback(());
        inner_resolver.errback(Failure::msg("inner failed"));
    });
    assert_eq!(messages(&reports), vec!["inner failed"]);
}

/// A hook that panics (a test suite's favourite) does not unwind into the chain that was
/// being run: the `chain_deferred` source goes on to its later callbacks.
#[test]
fn a_panicking_hook_leaves_the_chain_going() {
    let _s = serial();
    let calls = Arc::new(Mutex::new(0));
    let counted = calls.clone();
    set_unhandled_error_hook(move |_| {
        *counted.lock().unwrap() += 1;
        panic!("the hook panicked");
    });
    let after = Arc::new(Mutex::new(false));
    let (source, fire_source) = Deferred::<u8>::new();
    let (target, fire_target) = Deferred::<u8>::new();
    drop(target); // the target's failure will be unhandled
    let ran = after.clone();
    let source = source.chain_deferred(fire_target).add_callback(move |()| {
        *ran.lock().unwrap() = true;
        Ok(())
    });
    fire_source.errback(Failure::msg("to nobody"));
    assert_eq!(*calls.lock().unwrap(), 1);
    assert!(*after.lock().unwrap());
    success_result_of(source);
}

/// A hook that panics while another panic unwinds (a failed Deferred dropped by the
/// unwinding) does not abort the process.
#[test]
fn a_panicking_hook_during_unwinding_does_not_abort() {
    let _s = serial();
    let calls = Arc::new(Mutex::new(0));
    let counted = calls.clone();
    set_unhandled_error_hook(move |_| {
        *counted.lock().unwrap() += 1;
        panic!("the hook panicked");
    });
    let unwound = std::panic::catch_unwind(|| {
        let _lost = fail::<u8>(Failure::msg("dropped while unwinding"));
        panic!("the test's own panic");
    });
    assert!(unwound.is_err());
    assert_eq!(*calls.lock().unwrap(), 1);
}

thread_local! {
    /// What a thread keeps until it exits, after the library's own per-thread state is gone.
    static KEPT_UNTIL_EXIT: std::cell::RefCell<Vec<Deferred<u8>>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// Failed Deferreds a thread keeps in its own `thread_local!` are dropped at thread exit,
/// possibly after the library's per-thread state: they are still reported (to the hook),
/// and nothing panics or aborts.
#[test]
fn reports_at_thread_exit_do_not_panic() {
    let _s = serial();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    set_unhandled_error_hook(move |report| {
        s.lock().unwrap().push(report.failure().error_message());
    });
    std::thread::spawn(|| {
        // Registered first, so destroyed last: after the library's thread-locals below.
        KEPT_UNTIL_EXIT.with(|_| {});
        let warm_up = capture_unhandled(|| {
            // Touches the capture and the queue of nested drops.
            let mut outer = Deferred::succeed(0u8);
            outer.pause();
            let mut inner = Deferred::succeed(0u8);
            inner.pause();
            let inner = inner.add_callback(Ok).add_callback(Ok);
            drop(outer.add_callback(move |n| {
                drop(inner);
                Ok(n)
            }));
            drop(fail::<u8>(Failure::msg("warm-up")));
        });
        assert_eq!(messages(&warm_up), vec!["warm-up"]);
        let (pending, resolver) = Deferred::<u8>::new();
        let mut paused = pending.add_callback(Ok).add_callback(Ok);
        paused.pause();
        resolver.errback(Failure::msg("paused at exit"));
        KEPT_UNTIL_EXIT.with(|kept| {
            let mut kept = kept.borrow_mut();
            kept.push(fail::<u8>(Failure::msg("kept until exit")));
            kept.push(paused);
        });
    })
    .join()
    .unwrap();
    let mut seen = seen.lock().unwrap().clone();
    seen.sort();
    assert_eq!(seen, vec!["kept until exit", "paused at exit"]);
}

/// A future's Deferred fired while its thread exits, from a thread-local dropped after the
/// library's own thread-locals, wakes a task the thread no longer has: nothing happens, and
/// nothing is reported (the wake used to panic on the gone thread-local of tasks, which
/// came out as an unhandled `PanicError`).
#[test]
fn a_wake_while_the_thread_exits_finds_no_task_and_reports_nothing() {
    struct FiresOnDrop(Option<deferreds::Resolver<u8>>);
    impl Drop for FiresOnDrop {
        fn drop(&mut self) {
            if let Some(resolver) = self.0.take() {
                resolver.callback(1);
            }
        }
    }
    thread_local! {
        static LAST: std::cell::RefCell<FiresOnDrop> =
            const { std::cell::RefCell::new(FiresOnDrop(None)) };
    }
    let _s = serial();
    let reports = Arc::new(Mutex::new(Vec::new()));
    let seen = reports.clone();
    set_unhandled_error_hook(move |report| seen.lock().unwrap().push(report.to_string()));
    std::thread::spawn(|| {
        // Used first, so dropped last: after the library's thread-locals.
        LAST.with(|_| {});
        let (awaited, resolver) = Deferred::<u8>::new();
        let d = deferreds::ensure_deferred(async move { awaited.await });
        LAST.with(|last| last.borrow_mut().0 = Some(resolver));
        drop(d);
    })
    .join()
    .expect("the thread exits cleanly");
    assert_eq!(*reports.lock().unwrap(), Vec::<String>::new());
}

#[deferreds::inline_callbacks]
fn waits_for(d: Deferred<u8>) -> Result<u8, Failure> {
    Ok(yield_!(d)?)
}

/// With debugging on, an `#[inline_callbacks]` Deferred that waits keeps where it was made
/// (the coroutine function's definition, in this file).
#[test]
fn a_waiting_coroutine_keeps_where_it_was_created() {
    let _s = serial();
    set_debugging(true);
    let (inner, resolver) = Deferred::<u8>::new();
    let d = waits_for(inner);
    let text = format!("{d:?}");
    assert!(text.contains(&format!("created at {}:", file!())), "{text}");
    resolver.callback(1);
    assert_eq!(success_result_of(d), 1);
}
