// A Deferred left unread is a warning (an error here): its value would be lost.
#![deny(unused_must_use)]

use deferreds::Deferred;

fn main() {
    let (d, resolver) = Deferred::<u8>::new();
    d.add_callback(|n| Ok(n + 1));
    resolver.callback(1);
}
