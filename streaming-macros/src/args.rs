//! Argument shapes shared by operators.
//!
//! Functions come in three forms everywhere one is expected: a closure
//! (`map |line| parse(line)`), a callable in parentheses (`map(parse)`), or a method
//! shorthand on the element (`filter starts_with("#")` = `|x| x.starts_with("#")`,
//! `flat_map split` = `|x| x.split_whitespace()`). Reductions also take the operator
//! shorthands `+ - * min max`.

use proc_macro2::{Delimiter, Span, TokenStream, TokenTree};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::parse::{Parse, ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, ExprClosure, Ident, Token};

use crate::names::rt;

/// A function argument in one of the three forms.
pub enum FnArg {
    Closure(Box<ExprClosure>),
    Callable(Box<Expr>),
    Method {
        method: Ident,
        turbofish: TokenStream,
        args: Option<TokenStream>,
        span: Span,
    },
}

impl FnArg {
    /// The `split` / `split(sep)` method shorthand, which the runtime implements for
    /// borrowed strings as well as owned ones.
    pub fn is_split(&self) -> bool {
        matches!(self, FnArg::Method { method, .. } if method == "split")
    }

    /// `split` without a separator: words, as `split_whitespace` gives them.
    pub fn is_split_whitespace(&self) -> bool {
        matches!(self, FnArg::Method { method, args: None, .. } if method == "split")
    }

    /// `starts_with("lit")` or `starts_with('c')`: the literal's text, when it is a plain
    /// string or char literal.
    pub fn starts_with_literal(&self) -> Option<String> {
        let FnArg::Method {
            method,
            turbofish,
            args: Some(args),
            ..
        } = self
        else {
            return None;
        };
        if method != "starts_with" || !turbofish.is_empty() {
            return None;
        }
        match syn::parse2::<syn::Lit>(args.clone()).ok()? {
            syn::Lit::Str(s) => Some(s.value()),
            syn::Lit::Char(c) => Some(c.value().to_string()),
            _ => None,
        }
    }

    /// A closure expression of `arity` arguments. Closures are emitted verbatim, where the
    /// runtime function receiving them gives rustc their argument types.
    pub fn closure(&self, arity: usize) -> TokenStream {
        let params: Vec<Ident> = (0..arity)
            .map(|i| format_ident!("__a{}", i, span = Span::mixed_site()))
            .collect();
        match self {
            // The batch job owns everything the pipeline captures (it is a `move` closure,
            // like Spark's serialised closures) and re-creates each stage's closure per
            // batch, so a stage closure's own `move` would move out of the job: drop it and
            // let the closure borrow from the job instead.
            FnArg::Closure(c) => {
                let mut c = c.clone();
                c.capture = None;
                c.to_token_stream()
            }
            FnArg::Callable(expr) => {
                let f = Ident::new("__f", Span::mixed_site());
                quote_spanned! {expr.span()=> {
                    #[allow(unused_mut)]
                    let mut #f = #expr;
                    move |#(#params),*| #f(#(#params),*)
                }}
            }
            FnArg::Method {
                method,
                turbofish,
                args,
                span,
            } => {
                let x = Ident::new("__x", Span::mixed_site());
                let rt = rt();
                match (method.to_string().as_str(), args) {
                    // `split` on its own splits on whitespace, as Spark's examples' split(" ")
                    // is meant; on owned strings it yields owned pieces.
                    ("split", None) => {
                        quote_spanned!(*span=> |#x| #rt::shorthand::split_whitespace(#x))
                    }
                    ("split", Some(a)) => {
                        quote_spanned!(*span=> |#x| #rt::shorthand::split(#x, #a))
                    }
                    (_, Some(a)) => quote_spanned!(*span=> |#x| #x.#method #turbofish (#a)),
                    (_, None) => quote_spanned!(*span=> |#x| #x.#method #turbofish ()),
                }
            }
        }
    }
}

/// What an operator expects, for messages: e.g. "map |x| ...".
pub fn usage_fn(op: &str, arity: usize) -> String {
    match arity {
        1 => format!("`{op} |x| ...`, `{op}(f)` or a method shorthand such as `{op} to_string`"),
        2 => format!("`{op}(|a, b| ...)` or `{op}(f)`"),
        n => format!("a function of {n} arguments"),
    }
}

fn is_punct(t: &TokenTree, c: char) -> bool {
    matches!(t, TokenTree::Punct(p) if p.as_char() == c)
}

/// Parses the tokens after an operator name as a function of `arity` arguments.
pub fn function(op: &Ident, tokens: &[TokenTree], arity: usize) -> syn::Result<FnArg> {
    let name = op.to_string();
    let Some(first) = tokens.first() else {
        return Err(syn::Error::new(
            op.span(),
            format!("`{name}` needs a function: {}", usage_fn(&name, arity)),
        ));
    };
    let stream: TokenStream = tokens.iter().cloned().collect();
    // A closure: `|x| ...`, `|| ...`, `move |x| ...`.
    if is_punct(first, '|') || matches!(first, TokenTree::Ident(i) if i == "move") {
        let closure: ExprClosure = syn::parse2(stream)?;
        return checked_closure(&name, closure, arity).map(|c| FnArg::Closure(Box::new(c)));
    }
    // A callable in parentheses: `map(parse)`; a closure in parentheses stays a closure.
    if let [TokenTree::Group(g)] = tokens {
        if g.delimiter() == Delimiter::Parenthesis {
            let expr: Expr = syn::parse2(g.stream())?;
            return Ok(match expr {
                Expr::Closure(c) => FnArg::Closure(Box::new(checked_closure(&name, c, arity)?)),
                other => FnArg::Callable(Box::new(other)),
            });
        }
    }
    // A method shorthand: `name`, `name(args)`, `name::<T>(args)`.
    if let TokenTree::Ident(method) = first {
        if arity != 1 {
            return Err(syn::Error::new(
                method.span(),
                format!(
                    "`{name}` needs a function of {arity} arguments: {}",
                    usage_fn(&name, arity)
                ),
            ));
        }
        let shorthand: MethodShorthand = syn::parse2(stream)?;
        return Ok(FnArg::Method {
            method: shorthand.method,
            turbofish: shorthand.turbofish,
            args: shorthand.args,
            span: first.span(),
        });
    }
    Err(syn::Error::new(
        first.span(),
        format!("`{name}` needs a function: {}", usage_fn(&name, arity)),
    ))
}

fn checked_closure(op: &str, closure: ExprClosure, arity: usize) -> syn::Result<ExprClosure> {
    let n = closure.inputs.len();
    if n != arity {
        let plural = if arity == 1 { "" } else { "s" };
        return Err(syn::Error::new(
            closure.or1_token.span(),
            format!(
                "`{op}` takes a function of {arity} argument{plural}, but this closure takes {n}: write {}",
                usage_fn(op, arity)
            ),
        ));
    }
    Ok(closure)
}

struct MethodShorthand {
    method: Ident,
    turbofish: TokenStream,
    args: Option<TokenStream>,
}

impl Parse for MethodShorthand {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let method: Ident = input.parse()?;
        let mut turbofish = TokenStream::new();
        if input.peek(Token![::]) {
            let colons: Token![::] = input.parse()?;
            let generics: syn::AngleBracketedGenericArguments = input.parse()?;
            turbofish = quote!(#colons #generics);
        }
        let args = if input.peek(syn::token::Paren) {
            let content;
            syn::parenthesized!(content in input);
            Some(content.parse::<TokenStream>()?)
        } else {
            None
        };
        if !input.is_empty() {
            return Err(input.error(
                "unexpected tokens after the method shorthand; use a closure `|x| ...` for anything longer",
            ));
        }
        Ok(MethodShorthand {
            method,
            turbofish,
            args,
        })
    }
}

/// A reduction function: `+ - * min max`, or a function of two values.
pub enum Reducer {
    Op { op: &'static str, span: Span },
    Fn(FnArg),
}

impl Reducer {
    /// The operator shorthand (`+`, `min`, ...), if the reducer is one.
    pub fn shorthand(&self) -> Option<&'static str> {
        match self {
            Reducer::Op { op, .. } => Some(op),
            Reducer::Fn(_) => None,
        }
    }

    pub fn closure(&self) -> TokenStream {
        let (a, b) = (
            Ident::new("__a", Span::mixed_site()),
            Ident::new("__b", Span::mixed_site()),
        );
        match self {
            Reducer::Op { op, span } => match *op {
                "+" => quote_spanned!(*span=> |#a, #b| #a + #b),
                "-" => quote_spanned!(*span=> |#a, #b| #a - #b),
                "*" => quote_spanned!(*span=> |#a, #b| #a * #b),
                // PartialOrd, so that floats reduce too.
                "min" => quote_spanned!(*span=> |#a, #b| if #b < #a { #b } else { #a }),
                _ => quote_spanned!(*span=> |#a, #b| if #b > #a { #b } else { #a }),
            },
            Reducer::Fn(f) => f.closure(2),
        }
    }
}

struct ReducerSyn(Reducer);

thread_local! {
    // The operator being parsed, for ReducerSyn's messages (syn's Parse takes no context).
    static OP_NAME: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

impl Parse for ReducerSyn {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let span = input.span();
        let op = if input.peek(Token![+]) {
            input.parse::<Token![+]>()?;
            Some("+")
        } else if input.peek(Token![-]) && (input.peek2(Token![,]) || is_last_token(input)) {
            input.parse::<Token![-]>()?;
            Some("-")
        } else if input.peek(Token![*]) {
            input.parse::<Token![*]>()?;
            Some("*")
        } else if (input.peek(syn::Ident) && (input.peek2(Token![,]) || is_last_token(input)))
            && (input
                .fork()
                .parse::<Ident>()
                .is_ok_and(|i| i == "min" || i == "max"))
        {
            let i: Ident = input.parse()?;
            Some(if i == "min" { "min" } else { "max" })
        } else {
            None
        };
        if let Some(op) = op {
            return Ok(ReducerSyn(Reducer::Op { op, span }));
        }
        let expr: Expr = input.parse()?;
        Ok(ReducerSyn(Reducer::Fn(match expr {
            Expr::Closure(c) => FnArg::Closure(Box::new(checked_closure(
                &OP_NAME.with(|n| n.borrow().clone()),
                c,
                2,
            )?)),
            other => FnArg::Callable(Box::new(other)),
        })))
    }
}

fn is_last_token(input: ParseStream) -> bool {
    let fork = input.fork();
    let _ = fork.parse::<TokenTree>();
    fork.is_empty()
}

/// A group's contents split at its top-level commas (`(10s, 5s, offset 1s)`: three parts;
/// a comma inside a nested group stays in its part).
pub fn comma_separated(inner: TokenStream) -> Vec<Vec<TokenTree>> {
    inner.into_iter().fold(vec![Vec::new()], |mut acc, t| {
        match &t {
            TokenTree::Punct(p) if p.as_char() == ',' => acc.push(Vec::new()),
            _ => acc.last_mut().into_iter().for_each(|v| v.push(t.clone())),
        }
        acc
    })
}

/// The contents of `( ... )` directly after an operator name, and what follows it.
pub fn paren_group<'t>(
    op: &Ident,
    tokens: &'t [TokenTree],
    usage: &str,
) -> syn::Result<(TokenStream, Span, &'t [TokenTree])> {
    match tokens.first() {
        Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Parenthesis => {
            Ok((g.stream(), g.span(), &tokens[1..]))
        }
        Some(t) => Err(syn::Error::new(
            t.span(),
            format!("expected `(` after `{op}`: write {usage}"),
        )),
        None => Err(syn::Error::new(
            op.span(),
            format!("`{op}` needs arguments: write {usage}"),
        )),
    }
}

/// `(f)`: exactly one reducer, e.g. `reduce_by_key(+)` (an inverse is for windows only).
pub fn one_reducer(op: &Ident, tokens: &[TokenTree]) -> syn::Result<Reducer> {
    let usage = format!("`{op}(+)`, `{op}(max)` or `{op}(|a, b| ...)`");
    let (mut fs, span, rest) = reducers(op, tokens, &usage)?;
    no_more(op, &rest, &usage)?;
    if fs.len() != 1 {
        return Err(syn::Error::new(
            span,
            format!("`{op}` takes one function: {usage} (an inverse applies only to windows)"),
        ));
    }
    Ok(fs.remove(0))
}

/// `(r1, r2, ...)`: one or more reducers, e.g. `reduce(+)` or `reduce(+, -)`.
pub fn reducers(
    op: &Ident,
    tokens: &[TokenTree],
    usage: &str,
) -> syn::Result<(Vec<Reducer>, Span, Vec<TokenTree>)> {
    let (inner, span, rest) = paren_group(op, tokens, usage)?;
    OP_NAME.with(|n| *n.borrow_mut() = op.to_string());
    let parsed = Punctuated::<ReducerSyn, Token![,]>::parse_terminated.parse2(inner)?;
    if parsed.is_empty() {
        return Err(syn::Error::new(
            span,
            format!("`{op}` needs a function: write {usage}"),
        ));
    }
    Ok((
        parsed.into_iter().map(|r| r.0).collect(),
        span,
        rest.to_vec(),
    ))
}

/// `(e1, e2, ...)` with between `min` and `max` expressions.
pub fn exprs(
    op: &Ident,
    tokens: &[TokenTree],
    min: usize,
    max: usize,
    usage: &str,
) -> syn::Result<Vec<Expr>> {
    let (inner, span, rest) = paren_group(op, tokens, usage)?;
    no_more(op, rest, usage)?;
    let parsed = Punctuated::<Expr, Token![,]>::parse_terminated.parse2(inner)?;
    let n = parsed.len();
    if n < min || n > max {
        return Err(syn::Error::new(
            span,
            format!("wrong number of arguments to `{op}` ({n}): write {usage}"),
        ));
    }
    Ok(parsed.into_iter().collect())
}

/// Errors unless `tokens` is empty.
pub fn no_more(op: &Ident, tokens: &[TokenTree], usage: &str) -> syn::Result<()> {
    match tokens.first() {
        None => Ok(()),
        Some(t) => Err(syn::Error::new(
            t.span(),
            format!("unexpected tokens after `{op}`: write {usage}"),
        )),
    }
}

/// A trailing `asc` / `desc`; returns the tokens before it and whether it is descending.
pub fn order_suffix(tokens: &[TokenTree]) -> (&[TokenTree], Option<bool>) {
    match tokens.split_last() {
        Some((TokenTree::Ident(i), rest)) if i == "desc" => (rest, Some(true)),
        Some((TokenTree::Ident(i), rest)) if i == "asc" => (rest, Some(false)),
        _ => (tokens, None),
    }
}
