// A RemoteResolver carries its value to the loop thread from another thread, so a value
// that is not Send cannot have one.
use std::rc::Rc;

use deferreds::Deferred;

fn main() {
    let (_d, _remote) = Deferred::<Rc<u8>>::new_remote();
}
