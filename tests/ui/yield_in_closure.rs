use deferreds::{inline_callbacks, Deferred, Failure};

#[inline_callbacks]
fn sum(items: Vec<Deferred<u8>>) -> Result<u8, Failure> {
    let values: Vec<u8> = items.into_iter().map(|d| yield_!(d).unwrap()).collect();
    Ok(values.iter().sum())
}

fn main() {
    let _ = sum(vec![]);
}
