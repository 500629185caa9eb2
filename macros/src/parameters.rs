//! Parameters move into the generator, as an `async fn`'s move into its future: each one
//! lives until the body ends, even one the body never names (`_permit: Guard`, `_`).
//!
//! A closure captures only what its body names, so the expansion names every parameter at
//! the top of the body, the way the compiler desugars an `async fn`: a plain binding `x` is
//! moved with `let x = x;`; any other pattern is renamed `__argN` in the signature, moved
//! with `let __argN = __argN;`, then destructured with `let <pattern> = __argN;`. Locals drop
//! in reverse order, so the parameters drop after the body's own locals, the last one
//! first, exactly as an `async fn`'s do.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::{FnArg, Pat, PatIdent, Signature};

/// Rewrites the signature's patterns and gives the statements that open the body.
pub fn move_into_body(signature: &mut Signature) -> TokenStream {
    let mut statements = TokenStream::new();
    for (index, argument) in signature.inputs.iter_mut().enumerate() {
        let typed = match argument {
            // Named in the body only through `self`, which cannot be rebound: a borrow
            // makes the closure capture it whole (it is owned: `&self` is refused).
            FnArg::Receiver(_) => {
                statements.extend(quote!(let _ = &self;));
                continue;
            }
            FnArg::Typed(typed) => typed,
        };
        match &mut *typed.pat {
            Pat::Ident(PatIdent {
                by_ref: None,
                mutability,
                ident,
                subpat: None,
                ..
            }) => {
                // The outer function only passes the value on: `mut` belongs to the body.
                statements.extend(quote!(let #mutability #ident = #ident;));
                *mutability = None;
            }
            pattern => {
                let name = format_ident!("__arg{index}");
                statements.extend(quote! {
                    let #name = #name;
                    let #pattern = #name;
                });
                *typed.pat = syn::parse_quote!(#name);
            }
        }
    }
    statements
}
