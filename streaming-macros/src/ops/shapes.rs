//! Operator shapes that several operators share: an adapter wrapping the iterator with
//! one function, and barriers implemented by a runtime module.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::quote_spanned;
use syn::Ident;

use super::{Operator, StageContext};
use crate::args;

/// A barrier whose runtime half is a module of `streaming-runtime/src/ops/` with
/// `fold(it)`, `merge(a, b)` and `finish(acc)`; the operator takes no arguments.
pub struct RuntimeBarrier {
    module: &'static str,
}

impl RuntimeBarrier {
    /// `name` takes no arguments and is implemented by `rt::ops::<name>`.
    pub fn parse(
        op: &Ident,
        tokens: &[TokenTree],
        module: &'static str,
    ) -> syn::Result<Box<dyn Operator>> {
        args::no_more(op, tokens, &format!("`{op}` (it takes no arguments)"))?;
        Ok(Box::new(RuntimeBarrier { module }))
    }

    fn module(&self, g: &StageContext) -> TokenStream {
        let (rt, m) = (g.rt(), Ident::new(self.module, g.span));
        quote_spanned!(g.span=> #rt::ops::#m)
    }
}

impl Operator for RuntimeBarrier {
    fn fold(&self, g: &StageContext, it: &Ident) -> TokenStream {
        let m = self.module(g);
        quote_spanned!(g.span=> #m::fold(#it))
    }
    fn merge(&self, g: &StageContext, a: &Ident, b: &Ident) -> TokenStream {
        let m = self.module(g);
        quote_spanned!(g.span=> #m::merge(#a, #b))
    }
    fn finish(&self, g: &StageContext, acc: &Ident) -> TokenStream {
        let m = self.module(g);
        quote_spanned!(g.span=> #m::finish(#acc))
    }
}

/// A reduction by one function (`reduce`): like [`RuntimeBarrier`], with the reducer passed
/// to the module's `fold` and `merge`.
pub struct ReducerBarrier {
    module: &'static str,
    f: args::Reducer,
}

impl ReducerBarrier {
    pub fn parse(
        op: &Ident,
        tokens: &[TokenTree],
        module: &'static str,
    ) -> syn::Result<Box<dyn Operator>> {
        Ok(Box::new(ReducerBarrier {
            module,
            f: args::one_reducer(op, tokens)?,
        }))
    }
}

impl Operator for ReducerBarrier {
    fn fold(&self, g: &StageContext, it: &Ident) -> TokenStream {
        let (rt, m, f) = (g.rt(), Ident::new(self.module, g.span), self.f.closure());
        quote_spanned!(g.span=> #rt::ops::#m::fold(#it, #f))
    }
    fn merge(&self, g: &StageContext, a: &Ident, b: &Ident) -> TokenStream {
        let (rt, m, f) = (g.rt(), Ident::new(self.module, g.span), self.f.closure());
        quote_spanned!(g.span=> #rt::ops::#m::merge(#a, #b, #f))
    }
    fn finish(&self, g: &StageContext, acc: &Ident) -> TokenStream {
        let (rt, m) = (g.rt(), Ident::new(self.module, g.span));
        quote_spanned!(g.span=> #rt::ops::#m::finish(#acc))
    }
}

/// Writes a stage's code from its context, its input and its closure.
type Writer = fn(&StageContext, &Ident, TokenStream) -> TokenStream;

/// A stateless stage whose code wraps the iterator with its function, e.g. `map`; with
/// `fusion off` it is a stage of its own over a materialised batch (`unfused`).
pub struct Adapter {
    /// The DSL name (`map`, `filter`, ...), for plan rewrites.
    name: String,
    f: args::FnArg,
    write: Writer,
    unfused: Writer,
    /// See [`Operator::borrows_input`].
    borrows_input: bool,
}

impl Adapter {
    /// `op f` where `f` is a function of one element. `write(g, it, closure)` wraps the
    /// iterator `it`; `unfused(g, batch, closure)` maps the materialised `batch` to a `Vec`.
    pub fn parse(
        op: &Ident,
        tokens: &[TokenTree],
        write: Writer,
        unfused: Writer,
    ) -> syn::Result<Box<dyn Operator>> {
        Ok(Box::new(Adapter {
            name: op.to_string(),
            f: args::function(op, tokens, 1)?,
            write,
            unfused,
            borrows_input: false,
        }))
    }

    /// Like [`Adapter::parse`], for an operator whose function may take the element by
    /// reference when `borrows(f)` says so (see [`Operator::borrows_input`]).
    pub fn parse_borrowing(
        op: &Ident,
        tokens: &[TokenTree],
        write: Writer,
        unfused: Writer,
        borrows: fn(&args::FnArg) -> bool,
    ) -> syn::Result<Box<dyn Operator>> {
        let f = args::function(op, tokens, 1)?;
        Ok(Box::new(Adapter {
            name: op.to_string(),
            borrows_input: borrows(&f),
            f,
            write,
            unfused,
        }))
    }
}

impl Operator for Adapter {
    fn borrows_input(&self) -> bool {
        self.borrows_input
    }
    fn adapter_fn(&self) -> Option<(&str, &args::FnArg)> {
        Some((&self.name, &self.f))
    }
    fn adapt(&self, g: &StageContext, it: &Ident) -> TokenStream {
        if g.timed {
            return self.timed(g, it);
        }
        (self.write)(g, it, self.f.closure(1))
    }
    fn adapt_unfused(&self, g: &StageContext, batch: &Ident) -> Option<TokenStream> {
        if g.timed {
            let it = Ident::new("__it", Span::mixed_site());
            let rt = g.rt();
            let code = self.timed(g, &it);
            return Some(quote_spanned! {g.span=> {
                let #it = ::core::iter::IntoIterator::into_iter(#batch);
                #rt::ops::collect_vec(#code)
            }});
        }
        Some((self.unfused)(g, batch, self.f.closure(1)))
    }
}

impl Adapter {
    /// Over stamped elements `(Timestamp, x)`: the function sees `x`, the stamp stays
    /// (`rt::event_time::timed` has every adapter, under its DSL name).
    fn timed(&self, g: &StageContext, it: &Ident) -> TokenStream {
        let (rt, f) = (g.rt(), self.f.closure(1));
        let op = Ident::new(&self.name, g.span);
        quote_spanned!(g.span=> #rt::event_time::timed::#op(#it, #f))
    }
}
