use deferreds::{inline_callbacks, testing, Deferred, Failure};
use std::num::ParseIntError;

#[inline_callbacks]
fn add_later(a: Deferred<u32>, b: u32) -> Result<u32, Failure> {
    let a = yield_!(a)?;
    Ok(a + b)
}

#[inline_callbacks]
fn parse(text: String) -> Result<i64, ParseIntError> {
    let n: i64 = text.parse()?;
    Ok(n)
}

#[inline_callbacks]
fn io_alias() -> std::io::Result<u8> {
    Ok(3)
}

#[test]
fn pending_then_fired() {
    let (d, r) = Deferred::new();
    let out = add_later(d, 2);
    testing::assert_no_result(&out);
    r.callback(40);
    assert_eq!(testing::success_result_of(out), 42);
    assert_eq!(testing::success_result_of(parse("5".into())), 5);
    assert!(testing::failure_result_of(parse("x".into())).check::<ParseIntError>());
    assert_eq!(testing::success_result_of(io_alias()), 3);
}

#[inline_callbacks]
fn many(n: u64) -> Result<u64, Failure> {
    let mut total = 0;
    for i in 0..n {
        total += yield_!(Deferred::succeed(i))?;
    }
    Ok(total)
}

#[test]
fn million_fired_yields() {
    assert_eq!(testing::success_result_of(many(1_000_000)), 499_999_500_000);
}
