use deferreds::yield_;

fn plain() -> Result<u8, deferreds::Failure> {
    yield_!(deferreds::Deferred::succeed(1u8))
}

fn main() {
    let _ = plain();
}
