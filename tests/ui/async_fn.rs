use deferreds::{inline_callbacks, Failure};

#[inline_callbacks]
async fn fetch() -> Result<u8, Failure> {
    Ok(1)
}

fn main() {
    let _ = fetch();
}
