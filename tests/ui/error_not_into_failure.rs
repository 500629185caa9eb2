use deferreds::inline_callbacks;

#[derive(Debug)]
struct NotAnError;

#[inline_callbacks]
fn broken() -> Result<u8, NotAnError> {
    Ok(1)
}

fn main() {
    let _ = broken();
}
