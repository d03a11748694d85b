//! `save_as_text_files(prefix [, suffix])`: each batch to `prefix-<ms>[.suffix]/part-00000`.

use proc_macro2::{TokenStream, TokenTree};
use quote::quote_spanned;
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
];

pub struct SaveAsTextFiles {
    prefix: syn::Expr,
    suffix: Option<syn::Expr>,
}

pub fn parse(op: &Ident, tokens: &[TokenTree]) -> syn::Result<Box<dyn Operator>> {
    let mut e = args::exprs(
        op,
        tokens,
        1,
        2,
        "`save_as_text_files(\"out/counts\")` or `save_as_text_files(\"out/counts\", \"txt\")`",
    )?;
    let suffix = if e.len() == 2 { e.pop() } else { None };
    Ok(Box::new(SaveAsTextFiles {
        prefix: e.remove(0),
        suffix,
    }))
}

impl Operator for SaveAsTextFiles {
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
        quote_spanned!(g.span=> #rt::sink::save_as_text_files::finish(#ctx, &#p, ::core::option::Option::as_deref(&#s), &#acc)?;)
    }
}
