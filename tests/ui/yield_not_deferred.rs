use deferreds::{inline_callbacks, Failure};

#[inline_callbacks]
fn plain() -> Result<u8, Failure> {
    let value = yield_!(5u8)?;
    Ok(value)
}

fn main() {
    let _ = plain();
}
