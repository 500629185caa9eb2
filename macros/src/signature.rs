//! What the attribute accepts in a function's signature, and why it refuses the rest.

use syn::visit_mut::VisitMut;
use syn::{
    FnArg, GenericArgument, GenericParam, PathArguments, ReturnType, Signature, Type,
    TypeImplTrait, TypeParamBound,
};

/// The value type `T` of the declared `Result<T, E>` (or alias `Result<T>`).
pub fn value_type(signature: &Signature) -> syn::Result<Type> {
    let found =
        match &signature.output {
            ReturnType::Default => return Err(syn::Error::new_spanned(
                &signature.ident,
                "an #[inline_callbacks] function must return `Result<T, E>` (E: Into<Failure>); \
                 callers get a `Deferred<T>`. Add a return type, e.g. `-> Result<(), Failure>`",
            )),
            ReturnType::Type(_, found) => found,
        };
    result_value_type(found).ok_or_else(|| {
        syn::Error::new_spanned(
            found,
            format!(
                "an #[inline_callbacks] function must return `Result<T, E>` (E: Into<Failure>), \
                 or an alias such as `io::Result<T>`; callers get a `Deferred<T>`. \
                 Found `{}`",
                quote::quote!(#found)
            ),
        )
    })
}

fn result_value_type(found: &Type) -> Option<Type> {
    let Type::Path(path) = found else { return None };
    let last = path.path.segments.last()?;
    if last.ident != "Result" {
        return None;
    }
    let PathArguments::AngleBracketed(arguments) = &last.arguments else {
        return None;
    };
    let types: Vec<&Type> = arguments
        .args
        .iter()
        .filter_map(|argument| match argument {
            GenericArgument::Type(found) => Some(found),
            _ => None,
        })
        .collect();
    match types.as_slice() {
        [value] | [value, _] => Some((*value).clone()),
        _ => None,
    }
}

/// Errors for what a generator cannot do: be `async`, borrow its arguments.
pub fn check(signature: &Signature) -> Vec<syn::Error> {
    let mut errors = Vec::new();
    if let Some(asyncness) = &signature.asyncness {
        errors.push(syn::Error::new_spanned(
            asyncness,
            "an #[inline_callbacks] function is not `async`: remove `async`. It returns a \
             Deferred, and waits on other Deferreds with `yield_!(deferred)`",
        ));
    }
    for argument in &signature.inputs {
        let borrowed = match argument {
            FnArg::Receiver(receiver) => {
                receiver.reference.is_some() || matches!(&*receiver.ty, Type::Reference(_))
            }
            FnArg::Typed(typed) => is_borrowed(&typed.ty),
        };
        if borrowed {
            errors.push(syn::Error::new_spanned(
                argument,
                "an #[inline_callbacks] function cannot take borrowed arguments: its body \
                 runs as a generator that outlives the call. Take owned values (or `&'static` \
                 references), or `self: Rc<Self>` instead of `&self`",
            ));
        }
    }
    for parameter in &signature.generics.params {
        if let GenericParam::Lifetime(lifetime) = parameter {
            errors.push(syn::Error::new_spanned(
                lifetime,
                "an #[inline_callbacks] function cannot have lifetime parameters: its body runs \
                 as a generator that outlives the call, so everything it holds is 'static",
            ));
        }
    }
    errors
}

/// A reference that does not live for ever (`&'static str` is as good as owned).
fn is_borrowed(ty: &Type) -> bool {
    match ty {
        Type::Reference(reference) => !matches!(
            &reference.lifetime,
            Some(lifetime) if lifetime.ident == "static"
        ),
        _ => false,
    }
}

/// The generator outlives the call, so whatever it holds must be `'static`: say so for
/// each type parameter and `impl Trait` argument, so callers need not.
pub fn require_static(signature: &mut Signature) {
    let type_names: Vec<syn::Ident> = signature
        .generics
        .type_params()
        .map(|parameter| parameter.ident.clone())
        .collect();
    let where_clause = signature.generics.make_where_clause();
    for name in type_names {
        where_clause
            .predicates
            .push(syn::parse_quote!(#name: 'static));
    }
    for argument in &mut signature.inputs {
        if let FnArg::Typed(typed) = argument {
            StaticImplTrait.visit_type_mut(&mut typed.ty);
        }
    }
}

struct StaticImplTrait;

impl VisitMut for StaticImplTrait {
    fn visit_type_impl_trait_mut(&mut self, found: &mut TypeImplTrait) {
        found
            .bounds
            .push(TypeParamBound::Lifetime(syn::parse_quote!('static)));
        syn::visit_mut::visit_type_impl_trait_mut(self, found);
    }
}
