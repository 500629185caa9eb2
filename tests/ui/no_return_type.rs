use deferreds::inline_callbacks;

#[inline_callbacks]
fn nothing() {}

fn main() {
    nothing();
}
