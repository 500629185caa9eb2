use deferreds::Deferred;

fn main() {
    let _ = Deferred::succeed(1).add_callback(|x| x + 1);
}
