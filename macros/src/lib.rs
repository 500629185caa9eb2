//! The `#[inline_callbacks]` attribute of the `deferreds` crate. Use it through
//! `deferreds::inline_callbacks`, whose documentation explains it.

mod body;
mod expand;
mod parameters;
mod signature;

use proc_macro::TokenStream;

/// Turns a function returning `Result<T, E>` into one returning `Deferred<T>`, whose body
/// runs as a generator that waits on Deferreds with `yield_!`. Documented in `deferreds`.
#[proc_macro_attribute]
pub fn inline_callbacks(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::inline_callbacks(args.into(), item.into()).into()
}
