//! `#[derive(Record)]`: a struct's fields as named columns. Its rows then print as a
//! table (`print` shows records as Structured Streaming's console sink does), and a query
//! reads its fields as columns (`sql(..)` checks them through rustc: a misspelled column is
//! "no field" at the query, with the nearest name).

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields};

use crate::names::rt;

/// The impls for `input`, or a spanned error that still expands to valid code.
pub fn derive(input: TokenStream) -> TokenStream {
    match expand(input) {
        Ok(out) => out,
        Err(e) => e.to_compile_error(),
    }
}

fn expand(input: TokenStream) -> syn::Result<TokenStream> {
    let input: DeriveInput = syn::parse2(input)?;
    let fields = match &input.data {
        Data::Struct(s) => match &s.fields {
            Fields::Named(named) => named.named.iter().collect::<Vec<_>>(),
            _ => {
                return Err(syn::Error::new(
                    input.ident.span(),
                    "#[derive(Record)] needs named fields (they are the columns); a tuple is a record already, its columns `_1`, `_2`, ..",
                ));
            }
        },
        _ => {
            return Err(syn::Error::new(
                input.ident.span(),
                "#[derive(Record)] works on structs with named fields",
            ));
        }
    };
    let rt = rt();
    let name = &input.ident;
    let n = fields.len();
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let idents: Vec<&syn::Ident> = fields.iter().filter_map(|f| f.ident.as_ref()).collect();
    let labels: Vec<String> = idents
        .iter()
        .map(|i| i.to_string().trim_start_matches("r#").to_owned())
        .collect();
    let cells = fields.iter().map(|f| {
        let id = &f.ident;
        quote_spanned!(f.ty.span()=> #rt::sql::table::SqlCell::cell(&self.#id))
    });
    let cells_again = fields.iter().map(|f| {
        let id = &f.ident;
        quote_spanned!(f.ty.span()=> #rt::sql::table::SqlCell::cell(&self.#id))
    });
    Ok(quote! {
        impl #impl_generics #rt::SparkDisplay for #name #ty_generics #where_clause {
            const COLUMNS: ::core::option::Option<&'static [&'static str]> =
                ::core::option::Option::Some(&[#(#labels),*]);
            fn fmt_spark(&self, __f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                // Spark's `Row.toString`: `[a,1]`.
                let __cells: [::std::string::String; #n] = [#(#cells),*];
                ::core::write!(__f, "[{}]", __cells.join(","))
            }
            fn cells(&self, __out: &mut ::std::vec::Vec<::std::string::String>) {
                #(__out.push(#cells_again);)*
            }
        }
    })
}
