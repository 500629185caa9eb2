use deferreds::{inline_callbacks, Deferred};

#[inline_callbacks]
fn count(d: Deferred<u32>) -> u32 {
    yield_!(d).unwrap_or(0)
}

fn main() {
    let _ = count(Deferred::succeed(1));
}
