//! The batch-directory sinks, which differ only in how they encode a batch:
//! `save_as_text_files(prefix [, suffix])` (each element's Spark text form) and
//! `save_as_object_files(prefix [, suffix])` (serde records), each batch to
//! `prefix-<ms>[.suffix]/part-00000`.

use proc_macro2::{TokenStream, TokenTree};
use quote::{format_ident, quote_spanned};
use syn::Ident;
use syn::spanned::Spanned;

use super::{Flags, OpDef, Operator, Role, StageContext};
use crate::args;

/// The operators this file defines.
pub const OPERATORS: &[OpDef] = &[
    OpDef {
        name: "save_as_text_files",
        role: Role::Sink,
        flags: Flags::NONE,
        parse,
    },
    OpDef {
        name: "save_as_object_files",
        role: Role::Sink,
        flags: Flags::NONE,
        parse,
    },
];

pub struct SaveAsFiles {
    /// The operator's name, which is also its runtime module (`sink::<name>::finish`).
    name: String,
    prefix: syn::Expr,
    suffix: Option<syn::Expr>,
}

pub fn parse(op: &Ident, tokens: &[TokenTree]) -> syn::Result<Box<dyn Operator>> {
    let name = op.to_string();
    let usage = format!("`{name}(\"out/counts\")` or `{name}(\"out/counts\", \"txt\")`");
    let mut e = args::exprs(op, tokens, 1, 2, &usage)?;
    let suffix = if e.len() == 2 { e.pop() } else { None };
    Ok(Box::new(SaveAsFiles {
        name,
        prefix: e.remove(0),
        suffix,
    }))
}

impl Operator for SaveAsFiles {
    fn setup(&self, g: &StageContext) -> TokenStream {
        let (p, s, prefix) = (g.var("prefix"), g.var("suffix"), &self.prefix);
        let suffix = match &self.suffix {
            Some(e) => {
                quote_spanned!(e.span()=> ::core::option::Option::Some(::std::string::ToString::to_string(&#e)))
            }
            None => quote_spanned!(g.span=> ::core::option::Option::None),
        };
        quote_spanned! {prefix.span()=>
            let #p: ::std::string::String = ::std::string::ToString::to_string(&#prefix);
            let #s: ::core::option::Option<::std::string::String> = #suffix;
        }
    }
    fn finish(&self, g: &StageContext, acc: &Ident) -> TokenStream {
        let (rt, p, s, ctx) = (g.rt(), g.var("prefix"), g.var("suffix"), g.ctx);
        let module = format_ident!("{}", self.name, span = g.span);
        quote_spanned!(g.span=> #rt::sink::#module::finish(#ctx, &#p, ::core::option::Option::as_deref(&#s), &#acc)?;)
    }
}
