//! Durations: an integer literal with a unit suffix (`500ms`, `1s`, `5m`, `1h`), or
//! `{ const_expr }` in milliseconds (checked by a generated `const` assertion).

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{quote, quote_spanned};

#[derive(Clone)]
pub enum Duration {
    /// A literal, already converted.
    Millis { ms: u64, span: Span },
    /// `{ expr }`: a const expression in milliseconds.
    Const { expr: TokenStream, span: Span },
}

impl Duration {
    pub fn span(&self) -> Span {
        match self {
            Duration::Millis { span, .. } | Duration::Const { span, .. } => *span,
        }
    }

    /// Known at macro time?
    pub fn millis(&self) -> Option<u64> {
        match self {
            Duration::Millis { ms, .. } => Some(*ms),
            Duration::Const { .. } => None,
        }
    }

    /// A `u64` expression (milliseconds); a const one asserts at compile time it is > 0.
    pub fn to_millis_expr(&self, what: &str) -> TokenStream {
        match self {
            Duration::Millis { ms, .. } => quote!(#ms),
            Duration::Const { expr, span } => {
                let msg = format!("{what} must be a positive number of milliseconds");
                quote_spanned! {*span=> {
                    const MS: u64 = #expr;
                    const _: () = ::core::assert!(MS > 0, #msg);
                    MS
                }}
            }
        }
    }
}

/// Shows a millisecond count the way a user would write it (`6s`, `1500ms`, `5m`).
pub fn show(ms: u64) -> String {
    match ms {
        0 => "0ms".into(),
        _ if ms % 3_600_000 == 0 => format!("{}h", ms / 3_600_000),
        _ if ms % 60_000 == 0 => format!("{}m", ms / 60_000),
        _ if ms % 1000 == 0 => format!("{}s", ms / 1000),
        _ => format!("{ms}ms"),
    }
}

/// Parses one duration token.
pub fn parse(token: &TokenTree) -> syn::Result<Duration> {
    match token {
        // A `$d:literal` from `macro_rules!` arrives in an invisible group.
        TokenTree::Group(g) if g.delimiter() == proc_macro2::Delimiter::None => {
            let inner: Vec<TokenTree> = g.stream().into_iter().collect();
            match inner.as_slice() {
                [one] => parse(one),
                _ => Err(syn::Error::new(
                    g.span(),
                    "expected a duration such as `1s`, `500ms`, `5m`",
                )),
            }
        }
        TokenTree::Group(g) if g.delimiter() == proc_macro2::Delimiter::Brace => {
            Ok(Duration::Const {
                expr: g.stream(),
                span: g.span(),
            })
        }
        TokenTree::Literal(lit) => {
            let span = lit.span();
            match syn::Lit::new(lit.clone()) {
                syn::Lit::Int(int) => {
                    let unit = match int.suffix() {
                        "ms" => 1,
                        "s" => 1000,
                        "m" => 60_000,
                        "h" => 3_600_000,
                        "" => {
                            return Err(syn::Error::new(
                                span,
                                format!(
                                    "`{0}` needs a unit: `{0}ms`, `{0}s`, `{0}m` or `{0}h`",
                                    int.base10_digits()
                                ),
                            ));
                        }
                        other => {
                            return Err(syn::Error::new(
                                span,
                                format!(
                                    "unknown duration unit `{other}`; use ms, s, m or h (e.g. `{}s`)",
                                    int.base10_digits()
                                ),
                            ));
                        }
                    };
                    let n: u64 = int
                        .base10_digits()
                        .parse()
                        .map_err(|_| syn::Error::new(span, "duration too large"))?;
                    let ms = n
                        .checked_mul(unit)
                        .ok_or_else(|| syn::Error::new(span, "duration too large"))?;
                    Ok(Duration::Millis { ms, span })
                }
                syn::Lit::Float(f) => Err(syn::Error::new(
                    span,
                    format!(
                        "durations are whole numbers with a unit; write `{}` in a smaller unit, e.g. milliseconds",
                        f
                    ),
                )),
                _ => Err(syn::Error::new(
                    span,
                    "expected a duration such as `1s`, `500ms`, `5m`",
                )),
            }
        }
        other => Err(syn::Error::new(
            other.span(),
            "expected a duration such as `1s`, `500ms`, `5m`, or `{ millis_const }`",
        )),
    }
}

/// `ms` as a `Duration` expression.
pub fn std_duration(ms_expr: TokenStream) -> TokenStream {
    quote!(::core::time::Duration::from_millis(#ms_expr))
}
