//! What the attribute refuses in a function's body: `.await`, and `yield_!` where the
//! generator cannot suspend (inside closures, async blocks and nested functions).

use syn::spanned::Spanned;
use syn::visit::Visit;
use syn::{Block, ExprAsync, ExprAwait, ExprClosure, ItemFn, Macro};

pub fn check(body: &Block) -> Vec<syn::Error> {
    let mut checker = Checker {
        inside: None,
        errors: Vec::new(),
    };
    checker.visit_block(body);
    checker.errors
}

struct Checker {
    /// The nearest enclosing construct the generator cannot suspend in, if any.
    inside: Option<&'static str>,
    errors: Vec<syn::Error>,
}

impl Checker {
    fn within(&mut self, construct: &'static str, visit: impl FnOnce(&mut Self)) {
        let outer = self.inside.replace(construct);
        visit(self);
        self.inside = outer;
    }
}

impl<'ast> Visit<'ast> for Checker {
    fn visit_expr_closure(&mut self, closure: &'ast ExprClosure) {
        self.within("a closure", |this| {
            syn::visit::visit_expr_closure(this, closure)
        });
    }

    fn visit_expr_async(&mut self, block: &'ast ExprAsync) {
        self.within("an async block", |this| {
            syn::visit::visit_expr_async(this, block)
        });
    }

    fn visit_item_fn(&mut self, function: &'ast ItemFn) {
        self.within("a nested function", |this| {
            syn::visit::visit_item_fn(this, function)
        });
    }

    fn visit_expr_await(&mut self, awaited: &'ast ExprAwait) {
        if self.inside.is_none() {
            self.errors.push(syn::Error::new(
                awaited.await_token.span(),
                "`.await` cannot be used in an #[inline_callbacks] function: its body is a \
                 generator driven by Deferreds, not an async runtime. Wait on a Deferred with \
                 `yield_!(deferred)` instead",
            ));
        }
        syn::visit::visit_expr_await(self, awaited);
    }

    fn visit_macro(&mut self, invocation: &'ast Macro) {
        let is_yield = invocation
            .path
            .segments
            .last()
            .is_some_and(|segment| segment.ident == "yield_");
        if let (true, Some(construct)) = (is_yield, self.inside) {
            self.errors.push(syn::Error::new_spanned(
                invocation,
                format!(
                    "`yield_!` cannot be used inside {construct} in an #[inline_callbacks] \
                     function: only the function's own body can wait on a Deferred. Move the \
                     `yield_!` into the body (a `for` loop instead of an iterator adapter, say)"
                ),
            ));
        }
        syn::visit::visit_macro(self, invocation);
    }
}
