use deferreds::{inline_callbacks, Failure};

#[inline_callbacks]
fn awaits_a_future() -> Result<u8, Failure> {
    let value = yield_!(async { 5u8 })?;
    Ok(value)
}

fn main() {
    let _ = awaits_a_future();
}
