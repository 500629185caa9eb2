//! Each synchronous try/except/else/finally form, translated into Deferred code and run
//! twice: once when the first step succeeds, once when it fails.
//!
//! The asynchronous steps here fire at once (`Deferred::succeed` / `Deferred::fail`) so the
//! output is easy to follow; the chains behave the same when the result arrives later.
//!
//! Run it with `cargo run --example translations`.

use std::cell::RefCell;
use std::rc::Rc;

use deferreds::{testing, Deferred, Failure};

/// What the steps did, in order.
type Log = Rc<RefCell<Vec<String>>>;

#[derive(Debug, thiserror::Error)]
#[error("f could not finish")]
struct FError;

/// The first step, `y = f()`: succeeds with 1, or fails.
fn f(log: &Log, succeeds: bool) -> Deferred<i32> {
    log.borrow_mut().push("f".into());
    match succeeds {
        true => Deferred::succeed(1),
        false => Deferred::fail(FError),
    }
}

/// A next step, `h(y)`.
fn h(log: &Log) -> impl FnOnce(i32) -> Result<i32, Failure> {
    let log = log.clone();
    move |y| {
        log.borrow_mut().push(format!("h({y})"));
        Ok(y * 10)
    }
}

/// An error handler, `g(e)`, that recovers with -1.
fn g(log: &Log) -> impl FnOnce(Failure) -> Result<i32, Failure> {
    let log = log.clone();
    move |failure| {
        log.borrow_mut().push(format!("g({failure})"));
        Ok(-1)
    }
}

/// A step that runs either way, `finally: g()`; it passes the result on unchanged.
fn always(log: &Log) -> impl FnOnce(Result<i32, Failure>) -> Result<i32, Failure> {
    let log = log.clone();
    move |result| {
        log.borrow_mut().push("finally".into());
        result
    }
}

/// Runs one translation for both outcomes of `f` and prints what ran and the end result.
fn show(title: &str, synchronous: &str, chain: impl Fn(&Log, bool) -> Deferred<i32>) {
    println!("== {title}\n{synchronous}");
    for succeeds in [true, false] {
        let log = Log::default();
        let outcome = match chain(&log, succeeds).take_result() {
            Ok(Ok(value)) => format!("Ok({value})"),
            Ok(Err(failure)) => format!("Err({failure})"),
            Err(pending) => {
                testing::assert_no_result(&pending);
                "still waiting".into()
            }
        };
        let when = if succeeds { "f succeeds" } else { "f fails   " };
        println!("  {when}: ran {:?} -> {outcome}", log.borrow());
    }
    println!();
}

fn main() {
    show(
        "One thing, then another",
        "  y = f(); z = h(y)",
        |log, ok| f(log, ok).add_callback(h(log)),
    );
    show(
        "Simple failure handling",
        "  try: y = f()\n  except Exception as e: g(e)",
        |log, ok| f(log, ok).add_errback(g(log)),
    );
    show(
        "Handle an error, but do something else on success",
        "  try: y = f()\n  except Exception as e: g(e)\n  else: h(y)",
        |log, ok| f(log, ok).add_callbacks(h(log), g(log)),
    );
    show(
        "Handle an error, then proceed anyway",
        "  try: y = f()\n  except Exception as e: y = g(e)\n  h(y)",
        |log, ok| f(log, ok).add_errback(g(log)).add_callback(h(log)),
    );
    show(
        "Handle an error for the entire operation",
        "  try: y = f(); z = h(y)\n  except Exception as e: g(e)",
        |log, ok| f(log, ok).add_callback(h(log)).add_errback(g(log)),
    );
    show(
        "Do something regardless",
        "  try: y = f()\n  finally: g()",
        |log, ok| f(log, ok).add_both(always(log)),
    );
}
