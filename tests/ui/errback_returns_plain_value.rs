use deferreds::{Deferred, Failure};

fn main() {
    let _ = Deferred::<u8>::fail(Failure::msg("no")).add_errback(|_failure: Failure| 0u8);
}
