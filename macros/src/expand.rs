//! Parse → check → expand: the function becomes one returning a Deferred whose body runs
//! as a generator driven by `deferreds`.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::ItemFn;

use crate::{body, parameters, signature};

pub fn inline_callbacks(args: TokenStream, item: TokenStream) -> TokenStream {
    let function: ItemFn = match syn::parse2(item) {
        Ok(function) => function,
        Err(error) => return error.to_compile_error(),
    };
    let mut errors = Vec::new();
    if !args.is_empty() {
        errors.push(syn::Error::new_spanned(
            &args,
            "#[inline_callbacks] takes no arguments",
        ));
    }
    errors.extend(signature::check(&function.sig));
    errors.extend(body::check(&function.block));
    let value_type = signature::value_type(&function.sig);
    match (value_type, errors.is_empty()) {
        (Ok(value_type), true) => expand(function, value_type),
        (value_type, _) => refuse(function, value_type.err().into_iter().chain(errors)),
    }
}

/// The errors, beside the function with its body stubbed out: callers still type-check (and
/// IDEs still see the function) without a cascade of follow-on errors from the body.
fn refuse(function: ItemFn, errors: impl Iterator<Item = syn::Error>) -> TokenStream {
    let errors = errors.map(|error| error.to_compile_error());
    let ItemFn {
        attrs, vis, sig, ..
    } = function;
    let declared = match &sig.output {
        syn::ReturnType::Type(_, declared) => quote!(#declared),
        syn::ReturnType::Default => quote!(()),
    };
    let output = match signature::value_type(&sig) {
        Ok(value_type) => quote!(-> ::deferreds::Deferred<#value_type>),
        Err(_) => {
            let declared = &sig.output;
            quote!(#declared)
        }
    };
    let (ident, generics, inputs) = (&sig.ident, &sig.generics, &sig.inputs);
    let where_clause = &generics.where_clause;
    quote! {
        #(#errors)*
        #(#attrs)*
        #[allow(unused_variables, unreachable_code)]
        #vis fn #ident #generics (#inputs) #output #where_clause {
            // Names the declared return type, so its imports do not warn as unused.
            let _: ::core::marker::PhantomData<#declared>;
            ::core::unreachable!()
        }
    }
}

fn expand(function: ItemFn, value_type: syn::Type) -> TokenStream {
    let ItemFn {
        attrs,
        vis,
        mut sig,
        block,
    } = function;
    let syn::ReturnType::Type(_, declared) = sig.output.clone() else {
        unreachable!("value_type accepted the signature")
    };
    signature::require_static(&mut sig);
    let parameters = parameters::move_into_body(&mut sig);
    let name = sig.ident.to_string();
    let (ident, generics, inputs) = (&sig.ident, &sig.generics, &sig.inputs);
    let where_clause = &generics.where_clause;
    let (constness, unsafety) = (&sig.constness, &sig.unsafety);
    let statements = &block.stmts;
    let yield_site = quote_spanned! {block.span()=>
        &::deferreds::__private::Site {
            function: #name,
            file: ::core::file!(),
            line: ::core::line!(),
        }
    };
    quote! {
        #(#attrs)*
        #vis #constness #unsafety fn #ident #generics (#inputs) -> ::deferreds::Deferred<#value_type>
        #where_clause
        {
            ::deferreds::__private::inline_callbacks::<#declared, _>(
                &::deferreds::__private::Site {
                    function: #name,
                    file: ::core::file!(),
                    line: ::core::line!(),
                },
                move |__yielder: ::deferreds::__private::Yielder| async move {
                    #[allow(unused_macros)]
                    macro_rules! yield_ {
                        ($deferred:expr $(,)?) => {
                            match ::deferreds::__private::take_now(::deferreds::__private::Yieldable::into_deferred($deferred)) {
                                ::core::result::Result::Ok(result) => result,
                                ::core::result::Result::Err(pending) => {
                                    ::deferreds::__private::wait(&__yielder, pending, #yield_site).await
                                }
                            }
                        };
                    }
                    #parameters
                    #(#statements)*
                },
            )
        }
    }
}
