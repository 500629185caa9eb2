//! `#[inline_callbacks]` basics: Twisted's inlineCallbacks `BasicTests` (catalogue O), the
//! seed's `getUsers` both ways, and the forms the attribute accepts.
//!
//! Twisted's "value on the next reactor turn" is a Deferred fired by `TestClock` after a
//! zero delay, so a test decides when it arrives.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use deferreds::testing::{assert_no_result, failure_result_of, success_result_of};
use deferreds::{defer_later, inline_callbacks, Clock, Deferred, Failure, PanicError, TestClock};

mod support;
use support::{note, Log, Oops};

#[derive(Debug, thiserror::Error)]
#[error("terminal")]
struct TerminalError;

/// A value on the clock's next turn (Twisted's `getValueViaDeferred`).
fn value_later<T: 'static>(clock: &TestClock, value: T) -> Deferred<T> {
    defer_later(clock, Duration::ZERO, move || Ok(value))
}

/// Catalogue O.155: a yielded value arrives; a yielded failure is caught by `match`; the
/// function's return value is the result.
#[test]
fn yields_values_and_catches_failures() {
    #[inline_callbacks]
    fn basics(clock: TestClock, log: Log) -> Result<&'static str, Failure> {
        let x = yield_!(value_later(&clock, "hi"))?;
        log.borrow_mut().push(x.to_string());
        match yield_!(Deferred::<()>::fail(Oops("OMG"))) {
            Ok(()) => log.borrow_mut().push("not reached".into()),
            Err(failure) => log.borrow_mut().push(failure.to_string()),
        }
        Ok("WOOSH")
    }
    let (clock, log) = (TestClock::new(), Log::default());
    let d = basics(clock.clone(), log.clone());
    assert_no_result(&d);
    clock.advance(Duration::ZERO);
    assert_eq!(success_result_of(d), "WOOSH");
    assert_eq!(*log.borrow(), ["hi", "OMG"]);
}

/// Catalogue O.156: yielding the Deferred of an async block (Twisted's coroutine) works the
/// same way.
#[test]
fn yields_a_future_made_deferred() {
    #[inline_callbacks]
    fn via_future(d: Deferred<u8>) -> Result<u8, Failure> {
        let doubled = yield_!(deferreds::ensure_deferred(async move {
            Ok::<_, Failure>(d.await? * 2)
        }))?;
        Ok(doubled + 1)
    }
    let (d, fire) = Deferred::new();
    let result = via_future(d);
    assert_no_result(&result);
    fire.callback(20);
    assert_eq!(success_result_of(result), 41);
}

/// Catalogue O.157: an error after a yield fails the returned Deferred.
#[test]
fn an_error_after_a_yield_fails_the_result() {
    #[inline_callbacks]
    fn divide(clock: TestClock) -> Result<u32, Failure> {
        let zero = yield_!(value_later(&clock, 0u32))?;
        Ok(1u32.checked_div(zero).ok_or(Oops("division by zero"))?)
    }
    let clock = TestClock::new();
    let d = divide(clock.clone());
    clock.advance(Duration::ZERO);
    assert_eq!(failure_result_of(d).error_message(), "division by zero");
}

/// Catalogue O.158: a body that never yields gives an already-fired Deferred.
#[test]
fn a_body_that_never_yields_has_fired() {
    #[inline_callbacks]
    fn nothing() -> Result<(), Failure> {
        Ok(())
    }
    let d = nothing();
    assert!(d.has_result());
    success_result_of(d);
}

/// Catalogue O.159: a failed Deferred yielded and handled: the result is the handler's.
#[test]
fn a_handled_fired_failure() {
    #[inline_callbacks]
    fn handled() -> Result<Option<u8>, Failure> {
        match yield_!(Deferred::<u8>::fail(TerminalError)) {
            Err(failure) if failure.check::<TerminalError>() => Ok(None),
            other => Ok(Some(other?)),
        }
    }
    assert_eq!(success_result_of(handled()), None);
}

/// Catalogue O.160: a pending Deferred that fails later, handled.
#[test]
fn a_handled_later_failure() {
    #[inline_callbacks]
    fn handled(d: Deferred<u8>) -> Result<&'static str, Failure> {
        if let Err(failure) = yield_!(d) {
            failure.trap::<TerminalError>()?;
            return Ok("handled");
        }
        Ok("no failure")
    }
    let (d, fire) = Deferred::new();
    let result = handled(d);
    assert_no_result(&result);
    fire.errback(TerminalError);
    assert_eq!(success_result_of(result), "handled");
}

/// Catalogue O.161: the same, waiting through an async block on the failing Deferred.
#[test]
fn a_handled_later_failure_through_a_future() {
    #[inline_callbacks]
    fn handled(d: Deferred<u8>) -> Result<bool, Failure> {
        let awaited = deferreds::ensure_deferred(async move { d.await });
        Ok(yield_!(awaited).is_err_and(|f| f.check::<TerminalError>()))
    }
    let (d, fire) = Deferred::new();
    let result = handled(d);
    fire.errback(TerminalError);
    assert!(success_result_of(result));
}

/// Catalogue O.162: many fired Deferreds yielded in a row use no more stack (a million
/// here; Twisted tests 5000).
#[test]
fn a_million_fired_yields_use_constant_stack() {
    #[inline_callbacks]
    fn many(n: u64) -> Result<u64, Failure> {
        let mut total = 0;
        for i in 0..n {
            total += yield_!(Deferred::succeed(i))?;
        }
        Ok(total)
    }
    assert_eq!(success_result_of(many(1_000_000)), 999_999 * 1_000_000 / 2);
}

/// Catalogue O.162 with pending Deferreds: 100,000 yields, each fired from outside.
#[test]
fn many_pending_yields() {
    type Pending = Rc<RefCell<Option<deferreds::Resolver<u64>>>>;
    #[inline_callbacks]
    fn many(n: u64, pending: Pending) -> Result<u64, Failure> {
        let mut total = 0;
        for _ in 0..n {
            let (d, resolver) = Deferred::new();
            *pending.borrow_mut() = Some(resolver);
            total += yield_!(d)?;
        }
        Ok(total)
    }
    let pending = Pending::default();
    let d = many(100_000, pending.clone());
    let mut next = 0;
    loop {
        let Some(resolver) = pending.borrow_mut().take() else {
            break;
        };
        resolver.callback(next);
        next += 1;
    }
    assert_eq!(next, 100_000);
    assert_eq!(success_result_of(d), 99_999 * 100_000 / 2);
}

/// Catalogue O.163–165 (yielding a plain value) do not apply: `yield_!` takes a Deferred,
/// and anything else is a compile error (`tests/ui/yield_not_deferred.rs`). The nearest
/// form, yielding `Deferred::succeed(v)`, gives `v` back.
#[test]
fn yielding_an_already_fired_deferred_gives_its_value_back() {
    #[inline_callbacks]
    fn echo() -> Result<u8, Failure> {
        let five = yield_!(Deferred::succeed(5))?;
        Ok(five)
    }
    assert_eq!(success_result_of(echo()), 5);
}

/// Catalogue O.166: `returnValue(v)` is `return Ok(v)`, from anywhere in the body.
#[test]
fn return_ok_is_return_value() {
    #[inline_callbacks]
    fn early(d: Deferred<u8>) -> Result<u8, Failure> {
        for attempt in 0.. {
            if attempt == 2 {
                return Ok(6);
            }
        }
        let late = yield_!(d)?;
        Ok(late)
    }
    let (d, _fire) = Deferred::new();
    assert_eq!(success_result_of(early(d)), 6);
}

/// Catalogue O.167–168 (decorating a non-generator) are compile errors here: the attribute
/// needs a `Result` return type (`tests/ui/not_result.rs`, `tests/ui/no_return_type.rs`).
/// A body that runs to its end without yielding is fine (O.158).
#[test]
fn a_body_without_yield_is_accepted() {
    #[inline_callbacks]
    fn plain(x: u8) -> Result<u8, Failure> {
        Ok(x * 2)
    }
    assert_eq!(success_result_of(plain(21)), 42);
}

/// Catalogue O.170: once the function is done and its result taken, nothing it held is kept
/// alive: no reference cycle through the generator.
#[test]
fn no_reference_cycle_after_completion() {
    #[inline_callbacks]
    fn hold(object: Rc<()>, d: Deferred<()>) -> Result<Rc<()>, Failure> {
        yield_!(d)?;
        Ok(object)
    }
    let object = Rc::new(());
    let (d, fire) = Deferred::new();
    let result = hold(object.clone(), d);
    assert_eq!(Rc::strong_count(&object), 2);
    fire.callback(());
    drop(success_result_of(result));
    assert_eq!(Rc::strong_count(&object), 1);
}

/// A generator whose awaited Deferred can never fire (its resolver dropped) is not leaked:
/// the body sees `AbandonedError`, and its state is freed.
#[test]
fn an_abandoned_wait_reaches_the_body_and_frees_it() {
    #[inline_callbacks]
    fn waits(d: Deferred<u8>, object: Rc<()>) -> Result<&'static str, Failure> {
        let _held = object;
        match yield_!(d) {
            Err(failure) if failure.check::<deferreds::AbandonedError>() => Ok("abandoned"),
            other => other.map(|_| "fired"),
        }
    }
    let object = Rc::new(());
    let (d, resolver) = Deferred::new();
    let result = waits(d, object.clone());
    drop(resolver);
    assert_eq!(success_result_of(result), "abandoned");
    assert_eq!(Rc::strong_count(&object), 1);
}

/// Notes in the log when it is dropped: a permit, a lock guard, a connection.
struct Guard(&'static str, Log);

impl Drop for Guard {
    fn drop(&mut self) {
        note(&self.1, format!("drop {}", self.0));
    }
}

/// Every parameter lives until the body ends, named or not, as in an `async fn`: `_permit`,
/// `_`, and both halves of a destructured tuple stay held while the body waits, and go in
/// the order an `async fn` drops them (the last parameter first, a pattern's bindings
/// before what the pattern left in place).
#[test]
fn parameters_live_until_the_body_ends() {
    #[inline_callbacks]
    fn holds(
        _permit: Guard,
        _: Guard,
        (_kept, _): (Guard, Guard),
        d: Deferred<u8>,
        log: Log,
    ) -> Result<u8, Failure> {
        let value = yield_!(d)?;
        note(&log, "resumed");
        Ok(value)
    }
    let log = Log::default();
    let guard = |name| Guard(name, log.clone());
    let (d, fire) = Deferred::new();
    let result = holds(
        guard("permit"),
        guard("_"),
        (guard("kept"), guard("tuple _")),
        d,
        log.clone(),
    );
    let result = result.add_callback({
        let log = log.clone();
        move |value| {
            note(&log, format!("outer got {value}"));
            Ok(value)
        }
    });
    assert!(log.borrow().is_empty(), "{:?}", log.borrow());
    fire.callback(7);
    assert_eq!(success_result_of(result), 7);
    assert_eq!(
        *log.borrow(),
        [
            "resumed",
            "drop kept",
            "drop tuple _",
            "drop _",
            "drop permit",
            "outer got 7"
        ]
    );
}

/// A method's `self` lives until the body ends too, though the body never names it; a
/// `mut` parameter is the body's to change.
#[test]
fn self_lives_until_the_body_ends() {
    struct Permit {
        _guard: Guard,
    }
    impl Permit {
        #[inline_callbacks]
        fn wait(self, mut d: Deferred<u8>, log: Log) -> Result<u8, Failure> {
            d = d.add_callback(|value| Ok(value + 1));
            let value = yield_!(d)?;
            note(&log, "resumed");
            Ok(value)
        }
    }
    let log = Log::default();
    let (d, fire) = Deferred::new();
    let result = Permit {
        _guard: Guard("self", log.clone()),
    }
    .wait(d, log.clone());
    assert!(log.borrow().is_empty(), "{:?}", log.borrow());
    fire.callback(1);
    assert_eq!(success_result_of(result), 2);
    assert_eq!(*log.borrow(), ["resumed", "drop self"]);
}

/// A body that fails after waiting also holds its parameters until it ends.
#[test]
fn parameters_live_until_a_failing_body_ends() {
    #[inline_callbacks]
    fn holds(_permit: Guard, _: Guard, d: Deferred<u8>) -> Result<u8, Failure> {
        yield_!(d)
    }
    let log = Log::default();
    let (d, fire) = Deferred::new();
    let result = holds(Guard("permit", log.clone()), Guard("_", log.clone()), d);
    assert!(log.borrow().is_empty(), "{:?}", log.borrow());
    fire.errback(Oops("refused"));
    note(&log, "fired");
    assert_eq!(failure_result_of(result).error_message(), "refused");
    assert_eq!(*log.borrow(), ["drop _", "drop permit", "fired"]);
}

/// Catalogue O.171: `yield_!` of a Deferred fired later with `()`, then a return value.
#[test]
fn return_after_waiting() {
    #[inline_callbacks]
    fn fourteen(d: Deferred<()>) -> Result<u8, Failure> {
        yield_!(d)?;
        Ok(14)
    }
    let (d, fire) = Deferred::new();
    let result = fourteen(d);
    fire.callback(());
    assert_eq!(success_result_of(result), 14);
}

/// The body runs up to its first wait when called, and the rest when the Deferred fires.
#[test]
fn runs_until_the_first_wait_at_call_time() {
    #[inline_callbacks]
    fn steps(d: Deferred<u8>, log: Log) -> Result<(), Failure> {
        log.borrow_mut().push("before".into());
        let v = yield_!(d)?;
        log.borrow_mut().push(format!("after {v}"));
        Ok(())
    }
    let log = Log::default();
    let (d, fire) = Deferred::new();
    let result = steps(d, log.clone());
    assert_eq!(*log.borrow(), ["before"]);
    log.borrow_mut().push("caller goes on".into());
    fire.callback(3);
    assert_eq!(*log.borrow(), ["before", "caller goes on", "after 3"]);
    success_result_of(result);
}

/// A body mixing fired and pending Deferreds runs in order.
#[test]
fn mixes_fired_and_pending() {
    #[inline_callbacks]
    fn mixed(clock: TestClock, log: Log) -> Result<u32, Failure> {
        let mut total = 0;
        for i in 0..6u32 {
            let d = match i % 2 {
                0 => Deferred::succeed(i),
                _ => defer_later(&clock, Duration::from_secs(1), move || Ok(i)),
            };
            total += yield_!(d)?;
            log.borrow_mut()
                .push(format!("{i} at {}s", clock.seconds().as_secs()));
        }
        Ok(total)
    }
    let (clock, log) = (TestClock::new(), Log::default());
    let d = mixed(clock.clone(), log.clone());
    for _ in 0..3 {
        clock.advance(Duration::from_secs(1));
    }
    assert_eq!(success_result_of(d), 15);
    assert_eq!(
        *log.borrow(),
        ["0 at 0s", "1 at 1s", "2 at 1s", "3 at 2s", "4 at 2s", "5 at 3s"]
    );
}

/// `?` on a failed yield propagates the very failure.
#[test]
fn question_mark_propagates_the_failure() {
    #[inline_callbacks]
    fn propagate(d: Deferred<u8>) -> Result<u8, Failure> {
        let v = yield_!(d)?;
        Ok(v + 1)
    }
    let original = Failure::new(Oops("original"));
    let failure = failure_result_of(propagate(Deferred::fail(original.clone())));
    assert!(failure.ptr_eq(&original));
}

/// A panic in the body becomes the failure of the result, with its message.
#[test]
fn a_panic_in_the_body_fails_the_result() {
    #[inline_callbacks]
    fn panics(d: Deferred<u8>) -> Result<u8, Failure> {
        let v = yield_!(d)?;
        if v > 1 {
            panic!("value {v} too large");
        }
        Ok(v)
    }
    let (d, fire) = Deferred::new();
    let result = panics(d);
    fire.callback(7);
    let failure = failure_result_of(result);
    assert!(failure.check::<PanicError>());
    assert!(failure.error_message().contains("value 7 too large"));
}

/// Errors of the user's own type, converted with `?` and `Into<Failure>`.
#[test]
fn user_error_types() {
    #[inline_callbacks]
    fn typed(fail: bool) -> Result<u8, Oops> {
        if fail {
            return Err(Oops("typed error"));
        }
        Ok(1)
    }
    assert_eq!(success_result_of(typed(false)), 1);
    let failure = failure_result_of(typed(true));
    assert!(failure.check::<Oops>());
}

/// `yield_!` in expression positions: a function argument, an `if` condition, a `while`
/// condition, a nested block.
#[test]
fn yield_in_any_expression_position() {
    #[inline_callbacks]
    fn positions() -> Result<Vec<u8>, Failure> {
        let mut out = Vec::new();
        out.push(yield_!(Deferred::succeed(1u8))?);
        if yield_!(Deferred::succeed(true))? {
            out.push(2);
        }
        let mut n = 0u8;
        while yield_!(Deferred::succeed(n))? < 2 {
            n += 1;
        }
        out.push(n + 1);
        let nested = {
            let inner = { yield_!(Deferred::succeed(4u8))? };
            inner
        };
        out.push(nested);
        out.push(std::cmp::max(yield_!(Deferred::succeed(5u8))?, 0));
        Ok(out)
    }
    assert_eq!(success_result_of(positions()), [1, 2, 3, 4, 5]);
}

/// Generic functions with where-clauses and `impl Trait` arguments.
#[test]
fn generic_functions() {
    #[inline_callbacks]
    fn describe<T>(d: Deferred<T>, prefix: impl std::fmt::Display) -> Result<String, Failure>
    where
        T: std::fmt::Debug,
    {
        let value = yield_!(d)?;
        Ok(format!("{prefix}: {value:?}"))
    }
    assert_eq!(
        success_result_of(describe(Deferred::succeed(vec![1, 2]), "got")),
        "got: [1, 2]"
    );
}

struct Client {
    name: String,
}

impl Client {
    /// A method on `self: Rc<Self>`.
    #[inline_callbacks]
    fn greet(self: Rc<Self>, d: Deferred<&'static str>) -> Result<String, Failure> {
        let greeting = yield_!(d)?;
        Ok(format!("{greeting}, {}", self.name))
    }

    /// A method taking `self` by value.
    #[inline_callbacks]
    fn into_name(self) -> Result<String, Failure> {
        yield_!(Deferred::succeed(()))?;
        Ok(self.name)
    }

    /// An associated function.
    #[inline_callbacks]
    pub(crate) fn make(name: &'static str) -> Result<Client, Failure> {
        let name = yield_!(Deferred::succeed(name.to_string()))?;
        Ok(Client { name })
    }
}

/// Methods (`self: Rc<Self>`, `self`) and associated functions, with visibility kept.
#[test]
fn methods_and_associated_functions() {
    let client = Rc::new(success_result_of(Client::make("Dave")));
    let (d, fire) = Deferred::new();
    let greeting = client.clone().greet(d);
    fire.callback("Hello");
    assert_eq!(success_result_of(greeting), "Hello, Dave");
    let client = Rc::try_unwrap(client).ok().unwrap();
    assert_eq!(success_result_of(client.into_name()), "Dave");
}

/// A result alias such as `io::Result<T>` is recognised.
#[test]
fn result_aliases() {
    #[inline_callbacks]
    fn read() -> std::io::Result<u8> {
        Err(std::io::Error::other("disk gone"))
    }
    assert_eq!(failure_result_of(read()).error_message(), "disk gone");
}

/// Recursion through its own Deferred: the function yields a call of itself.
#[test]
fn recursion_through_its_own_deferred() {
    #[inline_callbacks]
    fn countdown(n: u32) -> Result<u32, Failure> {
        if n == 0 {
            return Ok(0);
        }
        let rest = yield_!(countdown(n - 1))?;
        Ok(rest + n)
    }
    assert_eq!(success_result_of(countdown(100)), 5050);
}

// ---------------------------------------------------------------------------------------------
// The seed's getUsers

#[derive(Debug, thiserror::Error)]
#[error("connection refused")]
struct ConnectionError;

#[derive(Debug, thiserror::Error)]
#[error("bad request")]
struct BadRequest;

/// `makeRequest`, pending until the test answers it.
type Answer = deferreds::Resolver<String>;

fn parse(body: &str) -> Vec<String> {
    body.split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// The callback style: `d.addCallbacks(json.loads, connectionError)`.
fn get_users_with_callbacks(request: Deferred<String>, log: Log) -> Deferred<Vec<String>> {
    request.add_callbacks(
        |body| Ok(parse(&body)),
        move |failure| {
            failure.trap::<ConnectionError>()?;
            log.borrow_mut().push(format!(
                "makeRequest failed due to connection error: {failure}"
            ));
            Ok(vec![])
        },
    )
}

/// The inline style: try / except ConnectionError.
#[inline_callbacks]
fn get_users(request: Deferred<String>, log: Log) -> Result<Vec<String>, Failure> {
    match yield_!(request) {
        Ok(body) => Ok(parse(&body)),
        Err(failure) if failure.check::<ConnectionError>() => {
            log.borrow_mut().push(format!(
                "makeRequest failed due to connection error: {failure}"
            ));
            Ok(vec![])
        }
        Err(failure) => Err(failure),
    }
}

type GetUsers = fn(Deferred<String>, Log) -> Deferred<Vec<String>>;

const BOTH_WAYS: [(&str, GetUsers); 2] = [
    ("callbacks", get_users_with_callbacks),
    ("inline", get_users),
];

fn request() -> (Deferred<String>, Answer) {
    Deferred::new()
}

/// The seed's getUsers, both ways: the parsed body on success.
#[test]
fn get_users_success_both_ways() {
    for (way, get) in BOTH_WAYS {
        let log = Log::default();
        let (d, answer) = request();
        let users = get(d, log.clone());
        assert_no_result(&users);
        answer.callback("alice,bob".into());
        assert_eq!(success_result_of(users), ["alice", "bob"], "{way}");
        assert!(log.borrow().is_empty(), "{way}");
    }
}

/// Both ways: a connection error is logged and becomes an empty list.
#[test]
fn get_users_connection_error_both_ways() {
    for (way, get) in BOTH_WAYS {
        let log = Log::default();
        let (d, answer) = request();
        let users = get(d, log.clone());
        answer.errback(ConnectionError);
        assert!(success_result_of(users).is_empty(), "{way}");
        assert_eq!(
            *log.borrow(),
            ["makeRequest failed due to connection error: connection refused"],
            "{way}"
        );
    }
}

/// Both ways: any other failure goes on to the caller, untouched.
#[test]
fn get_users_other_errors_propagate_both_ways() {
    for (way, get) in BOTH_WAYS {
        let log = Log::default();
        let (d, answer) = request();
        let users = get(d, log.clone());
        answer.errback(BadRequest);
        assert!(failure_result_of(users).check::<BadRequest>(), "{way}");
        assert!(log.borrow().is_empty(), "{way}");
    }
}

/// Twisted's `called` of an inlineCallbacks Deferred is false until the generator returns:
/// so is `is_called()` while the body waits at a `yield_!`, however many times it waits.
#[test]
fn not_called_while_the_body_waits() {
    #[inline_callbacks]
    fn twice(first: Deferred<u8>, second: Deferred<u8>) -> Result<u8, Failure> {
        let a = yield_!(first)?;
        let b = yield_!(second)?;
        Ok(a + b)
    }

    let (first, fire_first) = Deferred::new();
    let (second, fire_second) = Deferred::new();
    let mut d = twice(first, second);
    let controller = d.controller();
    assert!(!d.is_called() && !controller.is_called());
    assert!(d.is_waiting());
    fire_first.callback(1);
    assert!(!d.is_called() && !controller.is_called());
    fire_second.callback(2);
    assert!(d.is_called() && controller.is_called());
    assert_eq!(success_result_of(d), 3);
}
