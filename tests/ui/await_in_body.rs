use deferreds::{inline_callbacks, Failure};

#[inline_callbacks]
fn fetch() -> Result<u8, Failure> {
    let value = std::future::ready(1u8).await;
    Ok(value)
}

fn main() {
    let _ = fetch();
}
