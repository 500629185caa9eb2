use deferreds::{inline_callbacks, Failure};

#[inline_callbacks]
fn greet(name: &str) -> Result<String, Failure> {
    Ok(format!("hello {name}"))
}

fn main() {
    let _ = greet("Dave");
}
