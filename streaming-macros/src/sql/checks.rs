//! Type checks that name the column: a query's operations go through small generic
//! functions of the query's own, whose bounds are traits carrying a message written for that
//! place in the query.
//!
//! The runtime's traits (`SqlNum`, `SqlCmp`, ..) already refuse a mismatch, but rustc's
//! message can only name types ("SQL cannot compare `&str` with `i64`"), and every error
//! points at the whole query. Here each operation gets a trait of its own,
//!
//! ```text
//! #[diagnostic::on_unimplemented(message = "`action > 5`: SQL cannot compare column `action` (`{Self}`) with `{B}`")]
//! trait __Sql0Check3<B>: SqlCmp<B> {}
//! impl<A: SqlCmp<B>, B> __Sql0Check3<B> for A {}
//! fn __sql0_check3<A: __Sql0Check3<B>, B>(b: Option<B>, a: Option<A>) -> Option<bool> { gt(a, b) }
//! ```
//!
//! so the message names the expression, its columns and their types. The runtime trait is a
//! supertrait, so the function's body type-checks from the site trait alone and one mistake
//! gives one error. The right operand is the first parameter: rustc checks arguments in order
//! and reports a failed bound at the first argument it cannot accept, by which time `B` must be
//! known for the message to show it. Everything is `#[inline(always)]`: the checks cost nothing
//! at run time.

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote_spanned};

use super::expr::Writer;
use super::query::Expr;

/// What an operand is called in a message: `column `action` (`{Self}`)`, or its type.
fn operand(e: &Expr, ty: &str) -> String {
    match e {
        Expr::Column(c) => format!("column `{}` (`{ty}`)", escape(c)),
        _ => format!("`{ty}`"),
    }
}

/// The subject of a one-operand message: `column `name` is `{Self}``.
fn subject(e: &Expr) -> String {
    match e {
        Expr::Column(c) => format!("column `{}` is `{{Self}}`", escape(c)),
        e => format!("`{}` is `{{Self}}`", escape(&e.to_string())),
    }
}

/// Braces are the message's placeholders: a query's own are doubled.
fn escape(text: &str) -> String {
    text.replace('{', "{{").replace('}', "}}")
}

impl Writer {
    fn check_names(&self) -> (Ident, Ident) {
        let i = self.checks.borrow().len();
        (
            format_ident!("__Sql{}Check{}", self.query, i, span = self.span),
            format_ident!("__sql{}_check{}", self.query, i, span = self.span),
        )
    }

    /// A trait requiring `bound` (`bound<B>` when `binary`), with `message`.
    fn check_trait(
        &self,
        name: &Ident,
        bound: TokenStream,
        binary: bool,
        message: String,
        note: &str,
    ) -> TokenStream {
        let s = self.span;
        let attrs = quote_spanned! {s=>
            #[diagnostic::on_unimplemented(message = #message, label = "in this query", note = #note)]
            #[doc(hidden)]
            #[allow(non_camel_case_types)]
        };
        if binary {
            quote_spanned! {s=>
                #attrs
                trait #name<B>: #bound<B> {}
                impl<A: #bound<B> + ?::core::marker::Sized, B> #name<B> for A {}
            }
        } else {
            quote_spanned! {s=>
                #attrs
                trait #name: #bound {}
                impl<A: #bound + ?::core::marker::Sized> #name for A {}
            }
        }
    }

    fn push_check(&self, items: TokenStream) {
        self.checks.borrow_mut().push(items);
    }

    /// `e`, `a OP b`, an operation of two operands whose types must agree (`kind`).
    pub(super) fn binary_check(
        &self,
        e: &Expr,
        (a, b): (&Expr, &Expr),
        (va, vb): (TokenStream, TokenStream),
        kind: BinaryCheck,
    ) -> TokenStream {
        let s = self.span;
        let rt = self.rt();
        let (t, f) = self.check_names();
        let text = escape(&e.to_string());
        let (oa, ob) = (operand(a, "{Self}"), operand(b, "{B}"));
        let (bound, message, note, func, ret) = match kind {
            BinaryCheck::Arith(func) => (
                quote_spanned!(s=> #rt::sql::SqlArith),
                format!("`{text}`: SQL arithmetic needs numbers, and this combines {oa} with {ob}"),
                "BIGINT (integers) and DOUBLE (floats) mix; strings, booleans and timestamps take no arithmetic (CAST them first)",
                func,
                quote_spanned!(s=> ::core::option::Option<<A as #rt::sql::SqlArith<B>>::Out>),
            ),
            BinaryCheck::Cmp(func) => (
                quote_spanned!(s=> #rt::sql::SqlCmp),
                format!("`{text}`: SQL cannot compare {oa} with {ob}"),
                "numbers compare with numbers, strings with strings, booleans with booleans, timestamps with timestamps; CAST one side to compare across",
                func,
                quote_spanned!(s=> ::core::option::Option<bool>),
            ),
        };
        let func = Ident::new(func, s);
        let tr = self.check_trait(&t, bound, true, message, note);
        self.push_check(quote_spanned! {s=>
            #tr
            #[inline(always)]
            #[doc(hidden)]
            fn #f<A: #t<B>, B>(b: ::core::option::Option<B>, a: ::core::option::Option<A>) -> #ret {
                #rt::sql::#func(a, b)
            }
        });
        quote_spanned!(s=> #f(#vb, #va))
    }

    /// Two CASE branches' type witnesses folded into the type they widen to (`e` is the
    /// CASE): a STRING branch beside a BIGINT one is an error naming the CASE.
    pub(super) fn widen_check(&self, e: &Expr, a: TokenStream, b: TokenStream) -> TokenStream {
        let s = self.span;
        let rt = self.rt();
        let (t, f) = self.check_names();
        let tr = self.check_trait(
            &t,
            quote_spanned!(s=> #rt::sql::SqlWiden),
            true,
            format!(
                "`{}`: the branches of a CASE must have one type, and `{{Self}}` does not mix with `{{B}}`",
                escape(&e.to_string())
            ),
            "BIGINT and DOUBLE branches give a DOUBLE; other types mix only with themselves (CAST a branch to the other's type)",
        );
        self.push_check(quote_spanned! {s=>
            #tr
            #[inline(always)]
            #[doc(hidden)]
            fn #f<A: #t<B>, B>(b: #rt::sql::Witness<B>, a: #rt::sql::Witness<A>) -> #rt::sql::Witness<<A as #rt::sql::SqlWiden<B>>::Out> {
                #rt::sql::widen((a, b))
            }
        });
        quote_spanned!(s=> #f(#b, #a))
    }

    /// `a / b`: both must be numbers.
    pub(super) fn div_check(
        &self,
        e: &Expr,
        (a, b): (&Expr, &Expr),
        (va, vb): (TokenStream, TokenStream),
    ) -> TokenStream {
        let s = self.span;
        let rt = self.rt();
        let (t, f) = self.check_names();
        let tb = format_ident!("{}Right", t);
        let note = "`/` takes BIGINT or DOUBLE values and gives a DOUBLE; CAST a string first";
        let num = quote_spanned!(s=> #rt::sql::SqlNum);
        let left = self.check_trait(
            &t,
            num.clone(),
            false,
            format!(
                "`{}`: `/` needs numbers, and {}",
                escape(&e.to_string()),
                subject(a)
            ),
            note,
        );
        let right = self.check_trait(
            &tb,
            num,
            false,
            format!(
                "`{}`: `/` needs numbers, and {}",
                escape(&e.to_string()),
                subject(b)
            ),
            note,
        );
        self.push_check(quote_spanned! {s=>
            #left
            #right
            #[inline(always)]
            #[doc(hidden)]
            fn #f<A: #t, B: #tb>(b: ::core::option::Option<B>, a: ::core::option::Option<A>) -> ::core::option::Option<f64> {
                #rt::sql::div(a, b)
            }
        });
        quote_spanned!(s=> #f(#vb, #va))
    }

    /// `e`, an operation (`what`) of one operand `a` whose value is `value`, checked as
    /// `kind` says.
    pub(super) fn unary_check(
        &self,
        what: &str,
        e: &Expr,
        a: &Expr,
        value: TokenStream,
        kind: UnaryCheck,
    ) -> TokenStream {
        let s = self.span;
        let rt = self.rt();
        let (t, f) = self.check_names();
        let mut params = TokenStream::new();
        let mut args = Vec::new();
        let (bound, needs, note, ret, body) = match kind {
            UnaryCheck::Number(func) => {
                let func = Ident::new(func, s);
                (
                    quote_spanned!(s=> #rt::sql::SqlNum),
                    "a number",
                    "this takes BIGINT or DOUBLE values; CAST a string first",
                    quote_spanned!(s=> ::core::option::Option<V>),
                    quote_spanned!(s=> #rt::sql::#func(v)),
                )
            }
            UnaryCheck::Sum => (
                quote_spanned!(s=> #rt::sql::SqlNum),
                "a number",
                "SUM takes BIGINT or DOUBLE values; CAST a string first",
                quote_spanned!(s=> #rt::sql::agg::Sum<V>),
                quote_spanned!(s=> #rt::sql::agg::sum(v)),
            ),
            UnaryCheck::Avg => (
                quote_spanned!(s=> #rt::sql::SqlNum),
                "a number",
                "AVG takes BIGINT or DOUBLE values; CAST a string first",
                quote_spanned!(s=> #rt::sql::agg::Avg),
                quote_spanned!(s=> #rt::sql::agg::avg(v)),
            ),
            UnaryCheck::Text { func, out, extra } => {
                let func = Ident::new(func, s);
                let xs: Vec<Ident> = (0..extra.len())
                    .map(|i| format_ident!("x{}", i, span = s))
                    .collect();
                let types = extra.iter().map(|(ty, _)| ty);
                params = quote_spanned!(s=> #(, #xs: #types)*);
                args = extra.iter().map(|(_, v)| v.clone()).collect();
                (
                    quote_spanned!(s=> #rt::sql::SqlText),
                    "a string",
                    "CAST a number to STRING first",
                    out,
                    quote_spanned!(s=> #rt::sql::#func(v #(, #xs)*)),
                )
            }
            UnaryCheck::Condition => (
                quote_spanned!(s=> #rt::sql::SqlBoolValue),
                "a boolean",
                "a condition is a comparison, IS NULL, LIKE, a BOOLEAN column, or these joined by AND, OR, NOT",
                quote_spanned!(s=> ::core::option::Option<bool>),
                quote_spanned!(s=> #rt::sql::condition(v)),
            ),
        };
        let message = format!(
            "`{}`: {what} needs {needs}, and {}",
            escape(&e.to_string()),
            subject(a)
        );
        let tr = self.check_trait(&t, bound, false, message, note);
        self.push_check(quote_spanned! {s=>
            #tr
            #[inline(always)]
            #[doc(hidden)]
            fn #f<V: #t>(v: ::core::option::Option<V> #params) -> #ret {
                #body
            }
        });
        quote_spanned!(s=> #f(#value #(, #args)*))
    }

    /// A column's value (`col(&place)`): one check per column name and query, naming the
    /// column when its type is none SQL reads.
    pub(super) fn column_check(&self, column: &str, place: TokenStream) -> TokenStream {
        let s = self.span;
        let rt = self.rt();
        let known = self
            .columns
            .borrow()
            .iter()
            .find(|(c, _)| c == column)
            .map(|(_, f)| f.clone());
        let f = match known {
            Some(f) => f,
            None => {
                let (t, f) = self.check_names();
                let tr = self.check_trait(
                    &t,
                    quote_spanned!(s=> #rt::sql::SqlColumn),
                    false,
                    format!(
                        "column `{}` is a `{{Self}}`, which a SQL query cannot read",
                        escape(column)
                    ),
                    "columns can be integers, floats, `bool`, strings (`String`, `&str`, `Cow<str>`), `Timestamp`, or `Option` of these",
                );
                self.push_check(quote_spanned! {s=>
                    #tr
                    #[inline(always)]
                    #[doc(hidden)]
                    fn #f<T: #t + ?::core::marker::Sized>(v: &T) -> ::core::option::Option<<T as #rt::sql::SqlColumn>::Value<'_>> {
                        #rt::sql::col(v)
                    }
                });
                self.columns
                    .borrow_mut()
                    .push((column.to_owned(), f.clone()));
                f
            }
        };
        quote_spanned!(s=> #f(&#place))
    }

    /// The items the checks need, declared with the query's row struct.
    pub fn take_checks(&self) -> TokenStream {
        self.checks.take().into_iter().collect()
    }
}

/// Operations of two operands checked together.
pub enum BinaryCheck {
    /// `+ - * %`: the runtime function (`add`, ..).
    Arith(&'static str),
    /// `= <> < <= > >=`: the runtime function (`eq`, ..).
    Cmp(&'static str),
}

/// Operations of one operand.
pub enum UnaryCheck {
    /// Unary minus (`neg`).
    Number(&'static str),
    Sum,
    Avg,
    /// `lower`, `upper`, `length`, `substring`, LIKE: the runtime function, its result type,
    /// and its other arguments (type, value).
    Text {
        func: &'static str,
        out: TokenStream,
        extra: Vec<(TokenStream, TokenStream)>,
    },
    /// A WHERE, HAVING, CASE WHEN condition or an operand of AND, OR, NOT.
    Condition,
}
