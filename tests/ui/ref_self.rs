use deferreds::{inline_callbacks, Failure};

struct Client;

impl Client {
    #[inline_callbacks]
    fn get(&self) -> Result<u8, Failure> {
        Ok(1)
    }
}

fn main() {
    let _ = Client.get();
}
