//! The names generated code uses: the runtime's path and the variables the job binds.
//! Operators, sources and argument shapes all write code with them, so they stand below
//! every layer that writes code.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::Ident;

/// Path of the runtime as generated code sees it (through the facade crate).
pub fn rt() -> TokenStream {
    quote!(::streaming::__private::rt)
}

/// The runtime path with `span`, so errors in a call point at the user's tokens.
pub fn rt_at(span: Span) -> TokenStream {
    quote_spanned!(span=> ::streaming::__private::rt)
}

/// A variable of the generated job, hygienic: the user's code cannot name it.
pub fn ident(name: &str) -> Ident {
    Ident::new(name, Span::mixed_site())
}

/// The batch's parallelism (a `usize` bound at the start of the job), which stage code may
/// use inside the closures of a parallel run.
pub fn parallelism_var() -> Ident {
    ident("__parallelism")
}

/// The variable holding a materialised stream's batch (a stage defining a stream, such as
/// `late(name)`, writes to it).
pub fn stream_var(name: &Ident) -> Ident {
    format_ident!("__stream_{}", name, span = Span::mixed_site())
}

/// The variable holding a named model's handle (`let m = kmeans(..)..;`).
pub fn model_var(name: &Ident) -> Ident {
    format_ident!("__model_{}", name, span = Span::mixed_site())
}
