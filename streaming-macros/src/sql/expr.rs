//! A query's expressions written as Rust: each an `Option<value>` computed with the
//! runtime's `sql` functions (NULL is `None`), so that rustc checks its types and a misnamed
//! column is rustc's "no field" error, pointing at the query.

use std::cell::RefCell;

use proc_macro2::{Literal, Span, TokenStream};
use quote::quote_spanned;
use syn::Ident;

use super::checks::{BinaryCheck, UnaryCheck};
use super::query::{BinOp, Expr, Func, SqlType};
use crate::names::rt_at;
use crate::suggest;

/// Where the names of an expression are found.
pub enum Scope<'a> {
    /// Before grouping: columns of the row `row` of the FROM stream.
    Row { row: &'a Ident, from: &'a FromShape },
    /// After a JOIN: the element `row` is `(key, (left, right))` (`right` an `Option` for
    /// a left join).
    Joined {
        row: &'a Ident,
        left: &'a FromShape,
        right: &'a FromShape,
        left_outer: bool,
    },
    /// After grouping: the GROUP BY expressions and the aggregates are variables; a column
    /// may also be an output column's alias (Spark resolves those in HAVING).
    Grouped {
        keys: &'a [(Expr, Ident)],
        aggs: &'a [(Expr, Ident)],
        aliases: &'a [(String, Expr)],
        /// GROUP BY an event-time window: the variable holding the group's `Window`.
        window: Option<&'a Ident>,
    },
}

/// How the FROM stream's elements hold their columns.
pub struct FromShape {
    /// The alias (or the stream's name) that may qualify a column (`w.word`).
    pub name: String,
    pub stream: String,
    /// `FROM s AS t(a, b)`: the elements are a value (one name) or a tuple, named so.
    /// `None`: a struct whose fields are the columns (or a tuple read as `_1`, `_2`, ..).
    pub columns: Option<Vec<String>>,
}

/// Writes expressions; errors are messages for the query's span.
pub struct Writer {
    pub span: Span,
    /// The query's number in the expansion (its checks' names).
    pub query: usize,
    /// The checks' items so far ([`super::checks`]).
    pub(super) checks: RefCell<Vec<TokenStream>>,
    /// The column checks so far, by column name.
    pub(super) columns: RefCell<Vec<(String, Ident)>>,
}

impl Writer {
    pub fn new(span: Span, query: usize) -> Self {
        Writer {
            span,
            query,
            checks: RefCell::default(),
            columns: RefCell::default(),
        }
    }

    pub(super) fn rt(&self) -> TokenStream {
        rt_at(self.span)
    }

    /// `e` as a condition: an `Option<bool>`, checked to be a boolean.
    pub fn condition(&self, e: &Expr, scope: &Scope<'_>) -> Result<TokenStream, String> {
        let v = self.expr(e, scope)?;
        // Operations that give booleans need no check.
        let boolean = matches!(
            e,
            Expr::Binary(
                _,
                BinOp::Eq
                    | BinOp::Ne
                    | BinOp::Lt
                    | BinOp::Le
                    | BinOp::Gt
                    | BinOp::Ge
                    | BinOp::And
                    | BinOp::Or,
                _
            ) | Expr::Not(_)
                | Expr::IsNull(..)
                | Expr::Like { .. }
                | Expr::Bool(_)
        );
        if boolean {
            return Ok(v);
        }
        Ok(self.unary_check("a condition", e, e, v, UnaryCheck::Condition))
    }

    fn some(&self, v: TokenStream) -> TokenStream {
        quote_spanned!(self.span=> ::core::option::Option::Some(#v))
    }

    /// A group's key part as its expressions read it: the key's value (a DOUBLE key is a
    /// `KeyDouble` while grouping and an `f64` again after).
    fn key_value(&self, var: &Ident) -> TokenStream {
        let rt = self.rt();
        quote_spanned!(self.span=> #rt::sql::agg::grouped(&#var))
    }

    /// The expression's value, an `Option`.
    pub fn expr(&self, e: &Expr, scope: &Scope<'_>) -> Result<TokenStream, String> {
        let rt = self.rt();
        let s = self.span;
        // After grouping, a GROUP BY expression (or a SELECT DISTINCT column) is its key's
        // value as a whole (`SELECT a % 3 .. GROUP BY a % 3`): its columns alone are not
        // grouped, so it must not be computed from them (that did not compile).
        if let Scope::Grouped { keys, .. } = scope
            && !matches!(e, Expr::Column(_))
            && let Some((_, var)) = keys.iter().find(|(k, _)| k == e)
        {
            return Ok(self.key_value(var));
        }
        Ok(match e {
            Expr::Column(name) => return self.column(name, scope),
            Expr::TimeWindow(_) => match scope {
                Scope::Grouped {
                    window: Some(w), ..
                } => self.some(quote_spanned!(s=> ::core::clone::Clone::clone(&#w))),
                _ => {
                    return Err(
                        "an event-time window (`window(..)`, `session_window(..)`) belongs in GROUP BY".into(),
                    );
                }
            },
            Expr::Int(n) => self.some(Literal::i64_suffixed(*n).into_token_stream_at(s)),
            Expr::Float(f) => self.some(Literal::f64_suffixed(*f).into_token_stream_at(s)),
            Expr::Str(v) => self.some(Literal::string(v).into_token_stream_at(s)),
            Expr::Bool(b) => {
                let b = if *b {
                    quote_spanned!(s=> true)
                } else {
                    quote_spanned!(s=> false)
                };
                self.some(b)
            }
            Expr::Null => quote_spanned!(s=> ::core::option::Option::None),
            Expr::Binary(a, op, b) => {
                if let BinOp::And | BinOp::Or = op {
                    let (ca, cb) = (self.condition(a, scope)?, self.condition(b, scope)?);
                    let f = Ident::new(if *op == BinOp::And { "and" } else { "or" }, s);
                    return Ok(quote_spanned!(s=> #rt::sql::#f(#ca, #cb)));
                }
                let (va, vb) = (self.expr(a, scope)?, self.expr(b, scope)?);
                let kind = match op {
                    BinOp::Add => BinaryCheck::Arith("add"),
                    BinOp::Sub => BinaryCheck::Arith("sub"),
                    BinOp::Mul => BinaryCheck::Arith("mul"),
                    BinOp::Rem => BinaryCheck::Arith("rem"),
                    BinOp::Eq => BinaryCheck::Cmp("eq"),
                    BinOp::Ne => BinaryCheck::Cmp("ne"),
                    BinOp::Lt => BinaryCheck::Cmp("lt"),
                    BinOp::Le => BinaryCheck::Cmp("le"),
                    BinOp::Gt => BinaryCheck::Cmp("gt"),
                    BinOp::Ge => BinaryCheck::Cmp("ge"),
                    BinOp::Div => return Ok(self.div_check(e, (a, b), (va, vb))),
                    BinOp::And | BinOp::Or => unreachable!("handled above"),
                };
                self.binary_check(e, (a, b), (va, vb), kind)
            }
            Expr::Not(a) => {
                let a = self.condition(a, scope)?;
                quote_spanned!(s=> #rt::sql::not(#a))
            }
            Expr::Neg(a) => {
                let v = self.expr(a, scope)?;
                self.unary_check("unary `-`", e, a, v, UnaryCheck::Number("neg"))
            }
            Expr::IsNull(a, negated) => {
                let a = self.expr(a, scope)?;
                let test = quote_spanned!(s=> #rt::sql::is_null(&#a));
                if *negated {
                    quote_spanned!(s=> #rt::sql::not(#test))
                } else {
                    test
                }
            }
            Expr::Like {
                expr,
                pattern,
                negated,
            } => {
                let v = self.expr(expr, scope)?;
                let test = self.unary_check(
                    "LIKE",
                    e,
                    expr,
                    v,
                    UnaryCheck::Text {
                        func: "like",
                        out: quote_spanned!(s=> ::core::option::Option<bool>),
                        extra: vec![(
                            quote_spanned!(s=> &'static str),
                            quote_spanned!(s=> #pattern),
                        )],
                    },
                );
                if *negated {
                    quote_spanned!(s=> #rt::sql::not(#test))
                } else {
                    test
                }
            }
            Expr::Cast(a, t) => {
                let a = self.expr(a, scope)?;
                let f = Ident::new(
                    match t {
                        SqlType::BigInt => "cast_bigint",
                        SqlType::Double => "cast_double",
                        SqlType::String => "cast_string",
                        SqlType::Boolean => "cast_boolean",
                    },
                    s,
                );
                quote_spanned!(s=> #rt::sql::#f(#a))
            }
            Expr::Case { whens, otherwise } => {
                return self.case(e, whens, otherwise.as_deref(), scope);
            }
            Expr::Func(f, args) => {
                let values = args
                    .iter()
                    .map(|a| self.expr(a, scope))
                    .collect::<Result<Vec<_>, _>>()?;
                let text = |func: &'static str, out: TokenStream, extra| {
                    let name = func.split('_').next().unwrap_or(func);
                    self.unary_check(
                        &format!("`{name}`"),
                        e,
                        &args[0],
                        values[0].clone(),
                        UnaryCheck::Text { func, out, extra },
                    )
                };
                let string = quote_spanned!(s=> ::core::option::Option<::std::string::String>);
                let int = quote_spanned!(s=> ::core::option::Option<i64>);
                let ints = |rest: &[TokenStream]| {
                    rest.iter()
                        .map(|v| (int.clone(), v.clone()))
                        .collect::<Vec<_>>()
                };
                match f {
                    Func::Lower => text("lower", string, Vec::new()),
                    Func::Upper => text("upper", string, Vec::new()),
                    Func::Length => text("length", int.clone(), Vec::new()),
                    Func::Concat => {
                        // A NULL literal is a part of no type: written as NULL itself
                        // (`text_of(&None)` could not infer its type).
                        let parts = values.iter().zip(args).map(|(v, e)| match e {
                            Expr::Null => quote_spanned!(s=> ::core::option::Option::None),
                            _ => quote_spanned!(s=> #rt::sql::text_of(&#v)),
                        });
                        quote_spanned!(s=> #rt::sql::concat(&[#(#parts),*]))
                    }
                    Func::Substring if args.len() == 2 => {
                        text("substring_from", string, ints(&values[1..]))
                    }
                    Func::Substring => text("substring", string, ints(&values[1..])),
                }
            }
            Expr::Agg(..) => match scope {
                Scope::Row { .. } | Scope::Joined { .. } => {
                    return Err(format!(
                        "the aggregate `{}` cannot be used here: aggregates belong in SELECT and HAVING",
                        e
                    ));
                }
                Scope::Grouped { aggs, .. } => match aggs.iter().find(|(x, _)| x == e) {
                    Some((_, var)) => quote_spanned!(s=> ::core::clone::Clone::clone(&#var)),
                    None => {
                        return Err(format!("internal: aggregate `{}` not planned", e));
                    }
                },
            },
        })
    }

    /// `CASE WHEN c THEN r .. [ELSE o] END`. Each result is owned: a column's string
    /// (`&str`) and a computed one (`String`) are both STRING, and the branches must have one
    /// Rust type (`CASE WHEN .. THEN s ELSE upper(s) END` did not compile). NULL stays
    /// `None`, its type taken from the other branches. Branches of different SQL types
    /// widen as Spark's do (BIGINT and DOUBLE give a DOUBLE): each branch is a closure,
    /// called only when chosen; the closures' types, folded by the runtime's `widen`, give
    /// the CASE's type (nothing is computed for it), and the chosen value is converted to
    /// it.
    fn case(
        &self,
        e: &Expr,
        whens: &[(Expr, Expr)],
        otherwise: Option<&Expr>,
        scope: &Scope<'_>,
    ) -> Result<TokenStream, String> {
        let s = self.span;
        let rt = self.rt();
        let results: Vec<&Expr> = whens.iter().map(|(_, r)| r).chain(otherwise).collect();
        let typed = results.iter().filter(|r| !matches!(r, Expr::Null)).count();
        // One typed branch (or none) has its type already: the branches are written in
        // place, as before widening existed.
        let widening = typed > 1;
        let ty = Ident::new("__case_type", Span::mixed_site().located_at(s));
        let mut closures = Vec::new();
        let mut witnesses = Vec::new();
        let mut values = Vec::new();
        for (i, r) in results.iter().enumerate() {
            let v = self.expr(r, scope)?;
            if matches!(r, Expr::Null) {
                values.push(v);
                continue;
            }
            let owned = quote_spanned!(s=> #rt::sql::owned(#v));
            if !widening {
                values.push(owned);
                continue;
            }
            let c = Ident::new(&format!("__case{i}"), Span::mixed_site().located_at(s));
            closures.push(quote_spanned!(s=> let #c = || #owned;));
            witnesses.push(quote_spanned!(s=> #rt::sql::witness(&#c)));
            values.push(quote_spanned!(s=> #rt::sql::widened(#ty, #c)));
        }
        let mut values = values.into_iter();
        let mut out = match otherwise {
            Some(_) => values.next_back().unwrap_or_default(),
            None => quote_spanned!(s=> ::core::option::Option::None),
        };
        for ((cond, _), r) in whens.iter().zip(values).rev() {
            let c = self.condition(cond, scope)?;
            // A `match`, not `if`: the code carries the query's span, so clippy lints it
            // as the user's, and `CASE WHEN c THEN x ELSE x END` is valid SQL that
            // `if_same_then_else` would refuse.
            out = quote_spanned! {s=>
                match #rt::sql::holds(#c) { true => #r, false => #out }
            };
        }
        if !widening {
            return Ok(out);
        }
        let mut witnesses = witnesses.into_iter();
        let first = witnesses.next().unwrap_or_default();
        let folded = witnesses.fold(first, |a, b| self.widen_check(e, a, b));
        Ok(quote_spanned! {s=> {
            #(#closures)*
            let #ty = #folded;
            #out
        }})
    }

    /// A column's value in `scope`.
    fn column(&self, name: &str, scope: &Scope<'_>) -> Result<TokenStream, String> {
        let s = self.span;
        match scope {
            Scope::Row { row, from } => {
                let column = match name.split_once('.') {
                    Some((table, column)) if from.is_named(table) => column,
                    Some((table, _)) => {
                        return Err(format!(
                            "`{table}` names no stream of this query (its FROM is {})",
                            from.describe()
                        ));
                    }
                    None => name,
                };
                let place = self.place(quote_spanned!(s=> #row), from, column)?;
                Ok(self.column_check(column, place))
            }
            Scope::Joined {
                row,
                left,
                right,
                left_outer,
            } => {
                let (column, right_side) = match name.split_once('.') {
                    Some((table, column)) if left.is_named(table) => (column, false),
                    Some((table, column)) if right.is_named(table) => (column, true),
                    Some((table, _)) => {
                        return Err(format!(
                            "`{table}` names no stream of this query (it joins {} and {})",
                            left.describe(),
                            right.describe()
                        ));
                    }
                    None => (name, side_of(name, left, right)?),
                };
                if !right_side {
                    let place = self.place(quote_spanned!(s=> #row.1.0), left, column)?;
                    return Ok(self.column_check(column, place));
                }
                if !*left_outer {
                    let place = self.place(quote_spanned!(s=> #row.1.1), right, column)?;
                    return Ok(self.column_check(column, place));
                }
                // A left join's right side may be missing: its columns are NULL then.
                let x = Ident::new("__x", Span::mixed_site().located_at(s));
                let place = self.place(quote_spanned!(s=> #x), right, column)?;
                Ok(self.column_check(
                    column,
                    quote_spanned!(s=> ::core::option::Option::map(::core::option::Option::as_ref(&#row.1.1), |#x| &#place)),
                ))
            }
            Scope::Grouped {
                keys,
                aggs: _,
                aliases,
                window,
            } => {
                // Spark names the window column `window` (`session_window` for sessions),
                // with fields `start` and `end`.
                if let Some(w) = window {
                    match name {
                        "window" | "session_window" => {
                            return Ok(
                                self.some(quote_spanned!(s=> ::core::clone::Clone::clone(&#w)))
                            );
                        }
                        "window.start" | "session_window.start" => {
                            return Ok(self.some(quote_spanned!(s=> #w.start)));
                        }
                        "window.end" | "session_window.end" => {
                            return Ok(self.some(quote_spanned!(s=> #w.end)));
                        }
                        _ => {}
                    }
                }
                let col = Expr::Column(name.to_owned());
                if let Some((_, var)) = keys.iter().find(|(k, _)| *k == col) {
                    return Ok(self.key_value(var));
                }
                // `alias.column` grouped as `column`, or the other way round.
                let bare = name.split_once('.').map_or(name, |(_, c)| c);
                if let Some((_, var)) = keys.iter().find(|(k, _)| {
                    matches!(k, Expr::Column(c) if c.split_once('.').map_or(c.as_str(), |(_, c)| c) == bare)
                }) {
                    return Ok(self.key_value(var));
                }
                if let Some((_, e)) = aliases.iter().find(|(a, _)| a == name) {
                    if !matches!(e, Expr::Column(c) if c == name) {
                        return self.expr(e, scope);
                    }
                }
                Err(format!(
                    "column `{name}` is neither in GROUP BY nor inside an aggregate: add it to GROUP BY, or read it through one, such as `max({name})`"
                ))
            }
        }
    }
}

impl Writer {
    /// The place holding `column` of an element `row` of a stream shaped `from`.
    fn place(
        &self,
        row: TokenStream,
        from: &FromShape,
        column: &str,
    ) -> Result<TokenStream, String> {
        let s = self.span;
        Ok(match &from.columns {
            Some(cols) => match cols.iter().position(|c| c == column) {
                Some(_) if cols.len() == 1 => row,
                Some(i) => {
                    let i = syn::Index {
                        index: i as u32,
                        span: s,
                    };
                    quote_spanned!(s=> #row.#i)
                }
                None => {
                    let hint = suggest::closest(column, cols.iter().map(String::as_str))
                        .map(|c| format!("; did you mean `{c}`?"))
                        .unwrap_or_default();
                    return Err(format!(
                        "no column `{column}` in `{}`, whose columns are {}{hint}",
                        from.name,
                        list(cols)
                    ));
                }
            },
            None => match tuple_index(column) {
                Some(i) => {
                    let i = syn::Index { index: i, span: s };
                    quote_spanned!(s=> #row.#i)
                }
                None => {
                    let field = field_ident(column, s)?;
                    quote_spanned!(s=> #row.#field)
                }
            },
        })
    }
}

impl FromShape {
    /// The shape FROM (or JOIN) gives a stream.
    pub fn of(f: &super::query::From) -> FromShape {
        FromShape {
            name: f.name.clone(),
            stream: f.stream.clone(),
            columns: f.columns.clone(),
        }
    }

    /// Whether `table` (a column's qualifier) names this stream.
    pub fn is_named(&self, table: &str) -> bool {
        table == self.name || table == self.stream
    }

    fn describe(&self) -> String {
        if self.name != self.stream {
            format!("`{} AS {}`", self.stream, self.name)
        } else {
            format!("`{}`", self.stream)
        }
    }

    /// Whether its column list (if it has one) holds `column`.
    fn lists(&self, column: &str) -> Option<bool> {
        self.columns.as_ref().map(|c| c.iter().any(|c| c == column))
    }
}

/// Which side of a join an unqualified column is on (`true`: the right), from the column
/// lists the streams were given; without them the column must be qualified.
fn side_of(column: &str, left: &FromShape, right: &FromShape) -> Result<bool, String> {
    match (left.lists(column), right.lists(column)) {
        (Some(true), Some(true)) => Err(format!(
            "`{column}` is a column of both joined streams: write `{}.{column}` or `{}.{column}`",
            left.name, right.name
        )),
        (Some(true), _) | (None, Some(false)) => Ok(false),
        (_, Some(true)) | (Some(false), None) => Ok(true),
        (Some(false), Some(false)) => Err(format!(
            "no column `{column}` in {} or {}",
            left.describe(),
            right.describe()
        )),
        (None, None) => Err(format!(
            "qualify `{column}` in a JOIN: `{}.{column}` or `{}.{column}`",
            left.name, right.name
        )),
    }
}

/// A Rust field name for a column (rustc then checks that the record has it).
pub fn field_ident(column: &str, span: Span) -> Result<Ident, String> {
    syn::parse_str::<Ident>(column)
        .map(|i| Ident::new(&i.to_string(), span))
        .map_err(|_| format!("`{column}` cannot be a Rust field's name; name the columns with `FROM s AS t(a, b)`"))
}

/// `_1`, `_2`, ..: a tuple's fields, as Spark names a tuple's columns.
fn tuple_index(column: &str) -> Option<u32> {
    column
        .strip_prefix('_')?
        .parse::<u32>()
        .ok()
        .filter(|&i| i >= 1)
        .map(|i| i - 1)
}

fn list(cols: &[String]) -> String {
    cols.iter()
        .map(|c| format!("`{c}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

trait AtSpan {
    fn into_token_stream_at(self, span: Span) -> TokenStream;
}

impl AtSpan for Literal {
    fn into_token_stream_at(mut self, span: Span) -> TokenStream {
        self.set_span(span);
        proc_macro2::TokenTree::Literal(self).into()
    }
}
