use deferreds::{inline_callbacks, Deferred, Failure};

#[inline_callbacks]
fn later(d: Deferred<u8>) -> Result<u8, Failure> {
    let _future = async move { yield_!(d) };
    Ok(0)
}

fn main() {
    let _ = later(Deferred::succeed(1));
}
