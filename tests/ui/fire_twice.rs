// Twisted's AlreadyCalledError is a compile error: firing consumes the resolver.
use deferreds::Deferred;

fn main() {
    let (_d, resolver) = Deferred::<u8>::new();
    resolver.callback(1);
    resolver.errback(std::fmt::Error);
}
