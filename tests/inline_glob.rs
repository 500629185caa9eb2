use deferreds::*;

#[inline_callbacks]
fn twice(d: Deferred<u32>) -> Result<u32, Failure> {
    let v = yield_!(d)?;
    Ok(v * 2)
}

#[test]
fn glob_import_does_not_clash() {
    assert_eq!(testing::success_result_of(twice(succeed(4))), 8);
}
