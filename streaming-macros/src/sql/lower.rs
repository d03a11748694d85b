//! A query as stages: the DSL text a user would write by hand for it, as tokens, parsed by
//! the operators' own parsers afterwards (so a query gets exactly their code and checks).
//!
//! ```text
//! SELECT k, count(*) AS n FROM s WHERE p GROUP BY k HAVING n > 1 ORDER BY n DESC LIMIT 3
//!   s |> filter |r| p
//!     |> map |r| ((key(k),), (count_star(),))          one accumulator tuple per row
//!     |> reduce_by_key(merge)                          per group
//!     |> flat_map |(k, a)| HAVING ? Some(Row { k, n }) : None
//!     |> transform(|_, b| first(b, 3, |o| (sort_key(o.n, desc),)))   top 3 selected
//! ```
//!
//! Without HAVING (or DISTINCT), the top 3 groups are picked before the `flat_map`, from
//! the `(key, accumulators)` pairs, so only their rows are built.
//!
//! ORDER BY without LIMIT is a `sort_by`, LIMIT without ORDER BY a `take`. Without GROUP
//! BY, aggregates fold the whole batch in a `transform` (one row even for an empty batch, as
//! SQL gives); without aggregates the projection is a `map`.

use std::sync::atomic::{AtomicUsize, Ordering};

use proc_macro2::{Literal, Span, TokenStream, TokenTree};
use quote::{format_ident, quote_spanned};
use syn::{Ident, LitStr};

use super::checks::UnaryCheck;
use super::expr::{FromShape, Scope, Writer, field_ident};
use super::query::{self, Agg, BinOp, Expr, Query, SelectItem, TimeWindow};
use crate::ast::{Catalog, Queries};
use crate::names::rt_at;

mod extreme_join;

/// What a query becomes: its FROM stream, the stages reading it, and the items (its row
/// struct) the pipeline's code must declare.
/// A stage as tokens: its operator's name and its arguments.
pub type StageTokens = (Ident, Vec<TokenTree>);

/// A hidden statement a query needs: `let binding = from |> stages;`.
pub type Extra = (Ident, Ident, Vec<StageTokens>);

pub struct Lowered {
    pub from: Ident,
    pub stages: Vec<StageTokens>,
    pub items: TokenStream,
    /// Statements the query needs besides its own: a JOIN's other side, keyed
    /// (`let binding = from |> stages;`).
    pub extra: Vec<Extra>,
    /// A query it joins and computes again itself ([`extreme_join`]), not read by its
    /// stages.
    pub reads: Vec<Ident>,
}

/// Each query's row struct gets a name of its own within the expansion.
static QUERIES: AtomicUsize = AtomicUsize::new(0);

/// The stages for the query `text`; `Err` is a message for the query's span.
pub fn lower(text: &LitStr, emit: Option<&Ident>, catalog: &Catalog) -> Result<Lowered, String> {
    let tables = &catalog.tables;
    let q = query::read(&text.value())?;
    if tables.contains_key(&q.from.stream) {
        return Err(format!(
            "`{}` is a table, and a query reads a stream: put the stream first and join the table, `FROM stream JOIN {} ON ..`",
            q.from.stream, q.from.stream
        ));
    }
    let span = text.span();
    let n = QUERIES.fetch_add(1, Ordering::Relaxed);
    let l = Lowering {
        q: &q,
        emit,
        w: Writer::new(span, n),
        span,
        shape: FromShape::of(&q.from),
        right: q.join.as_ref().map(|j| FromShape::of(&j.right)),
        right_table: q.join.as_ref().and_then(|j| tables.get(&j.right.stream)),
        queries: &catalog.queries,
        n,
    };
    l.lower()
}

struct Lowering<'q> {
    q: &'q Query,
    /// `sql(..) emit update`: the event-time aggregation's emit mode.
    emit: Option<&'q Ident>,
    w: Writer,
    span: Span,
    shape: FromShape,
    /// A JOIN's other stream.
    right: Option<FromShape>,
    /// A JOIN's other side when it is a static table: its expression.
    right_table: Option<&'q TokenStream>,
    /// The pipeline's streams that are a query, whose text a join may read.
    queries: &'q Queries,
    /// The query's number in the expansion (its row struct's and hidden streams' names).
    n: usize,
}

/// An output column: its label (shown by `print`), its field and its expression.
struct Column<'q> {
    label: &'q str,
    field: Ident,
    expr: &'q Expr,
}

impl Lowering<'_> {
    fn var(&self, name: &str) -> Ident {
        Ident::new(name, Span::mixed_site().located_at(self.span))
    }

    fn lower(&self) -> Result<Lowered, String> {
        let q = self.q;
        let s = self.span;
        let rt = rt_at(s);
        let row = self.var("__r");
        let mut stages = Vec::new();
        let mut extra = Vec::new();
        let mut extra_items = TokenStream::new();
        let mut reads = Vec::new();
        let scope = match (&q.join, &self.right) {
            (Some(j), Some(right)) => {
                match self.extreme_join(j, right, &row) {
                    Some((joined, items)) => {
                        stages.extend(joined);
                        extra_items = items;
                        reads.push(Ident::new(&j.right.stream, s));
                    }
                    None => extra.extend(self.join(j, right, &row, &mut stages)?),
                }
                Scope::Joined {
                    row: &row,
                    left: &self.shape,
                    right,
                    left_outer: j.left_outer,
                }
            }
            _ => Scope::Row {
                row: &row,
                from: &self.shape,
            },
        };

        if let Some(p) = &q.filter {
            let p = self.w.condition(p, &scope)?;
            stages.push(self.stage("filter", quote_spanned!(s=> |#row| #rt::sql::holds(#p))));
        }

        let wildcard = q.select.iter().any(|i| matches!(i, SelectItem::Wildcard));
        if wildcard && q.select.len() > 1 {
            return Err("`*` cannot be mixed with other columns in SELECT".into());
        }
        let columns = self.columns()?;
        let aggregates = !q.group_by.is_empty()
            || q.distinct
            || columns.iter().any(|c| c.expr.has_agg())
            || q.having.as_ref().is_some_and(Expr::has_agg);
        if let Some(h) = &q.having
            && !aggregates
        {
            let _ = h;
            return Err("HAVING needs GROUP BY or an aggregate; use WHERE to filter rows".into());
        }

        let name = format_ident!("__SqlRow{}", self.n, span = s);
        let items = if wildcard {
            if aggregates {
                return Err("`SELECT *` cannot be grouped: name the columns".into());
            }
            if q.join.is_some() {
                return Err("`SELECT *` over a JOIN: name the columns".into());
            }
            TokenStream::new()
        } else {
            self.row_struct(&name, &columns)
        };

        let mut ordered = false;
        if aggregates {
            ordered = self.grouped(&name, &columns, &row, &scope, &mut stages)?;
        } else if !wildcard {
            let fields = self.fields(&columns, &scope)?;
            stages.push(self.stage("map", quote_spanned!(s=> |#row| #name { #(#fields),* })));
        }

        if !q.order_by.is_empty() && !ordered {
            let o = self.var("__o");
            let keys = q
                .order_by
                .iter()
                .map(|k| {
                    let v = if wildcard {
                        self.w.expr(
                            &k.expr,
                            &Scope::Row {
                                row: &o,
                                from: &self.shape,
                            },
                        )?
                    } else {
                        let f = self.order_column(&k.expr, &columns)?;
                        quote_spanned!(s=> ::core::clone::Clone::clone(&#o.#f))
                    };
                    Ok(self.sort_key(v, k, "sort_key"))
                })
                .collect::<Result<Vec<_>, String>>()?;
            match q.limit {
                // ORDER BY .. LIMIT n: the first n selected, then sorted (ties in any
                // order, as SQL leaves them), instead of sorting the whole batch.
                Some(n) => {
                    let mut n = Literal::usize_unsuffixed(n as usize);
                    n.set_span(s);
                    let (t, b) = (self.var("__t"), self.var("__b"));
                    stages.push(self.stage(
                        "transform",
                        quote_spanned!(s=> (|#t, #b| #rt::sql::order::first(#b, #n, |#o| (#(#keys,)*)))),
                    ));
                }
                None => {
                    stages.push(self.stage("sort_by", quote_spanned!(s=> |#o| (#(#keys,)*) asc)))
                }
            }
        }
        let checks = self.w.take_checks();
        if let (Some(n), true, false) = (q.limit, q.order_by.is_empty(), ordered) {
            let mut n = Literal::usize_unsuffixed(n as usize);
            n.set_span(s);
            stages.push(self.stage("take", quote_spanned!(s=> (#n))));
        }

        Ok(Lowered {
            from: Ident::new(&q.from.stream, s),
            stages: stages.into_iter().filter_map(split_stage).collect(),
            items: quote::quote!(#items #checks #extra_items),
            extra,
            reads,
        })
    }

    /// SELECT's columns, with field names Rust accepts and no two alike.
    fn columns(&self) -> Result<Vec<Column<'_>>, String> {
        let mut out: Vec<Column<'_>> = Vec::new();
        for (i, item) in self.q.select.iter().enumerate() {
            let SelectItem::Expr {
                expr,
                label,
                aliased,
            } = item
            else {
                continue;
            };
            let base = if *aliased {
                let bare = label.split_once('.').map_or(label.as_str(), |(_, c)| c);
                field_ident(bare, self.span)?.to_string()
            } else {
                sanitize(label).unwrap_or_else(|| format!("_c{i}"))
            };
            let mut field = base.clone();
            let mut n = 1;
            while out.iter().any(|c| c.field == field) {
                if *aliased && n == 1 {
                    return Err(format!(
                        "two output columns are named `{base}`: give one another alias"
                    ));
                }
                n += 1;
                field = format!("{base}_{n}");
            }
            out.push(Column {
                label,
                field: Ident::new(&field, self.span),
                expr,
            });
        }
        Ok(out)
    }

    /// GROUP BY (or aggregates over the whole batch): the grouping stages and the output
    /// rows.
    fn grouped(
        &self,
        name: &Ident,
        columns: &[Column<'_>],
        row: &Ident,
        scope: &Scope<'_>,
        stages: &mut Vec<TokenStream>,
    ) -> Result<bool, String> {
        let q = self.q;
        let s = self.span;
        let rt = rt_at(s);
        // SELECT DISTINCT a, b is GROUP BY a, b. With aggregates and no GROUP BY there is
        // one row, distinct already (grouping by the aggregates did not compile).
        let global = columns.iter().any(|c| c.expr.has_agg());
        let key_exprs: Vec<&Expr> = if q.group_by.is_empty() && q.distinct && !global {
            columns.iter().map(|c| c.expr).collect()
        } else {
            q.group_by.iter().collect()
        };
        for k in &key_exprs {
            if k.has_agg() {
                return Err(format!("GROUP BY cannot hold an aggregate (`{}`)", k));
            }
        }
        let windows: Vec<TimeWindow> = key_exprs
            .iter()
            .filter_map(|k| match k {
                Expr::TimeWindow(w) => Some(*w),
                _ => None,
            })
            .collect();
        if windows.len() > 1 {
            return Err("GROUP BY can hold one event-time window".into());
        }
        let window = windows.first().copied();
        if let (Some(mode), None) = (self.emit, window) {
            return Err(format!(
                "`emit {mode}` applies to a GROUP BY over an event-time window, such as `GROUP BY window(time, '1 hour'), k`"
            ));
        }
        let key_exprs: Vec<&Expr> = key_exprs
            .into_iter()
            .filter(|k| !matches!(k, Expr::TimeWindow(_)))
            .collect();
        let keys: Vec<(Expr, Ident)> = key_exprs
            .iter()
            .enumerate()
            .map(|(i, e)| ((*e).clone(), self.var(&format!("__g{i}"))))
            .collect();
        let mut aggs: Vec<(Expr, Ident)> = Vec::new();
        let mut found = |e: &Expr| {
            if let Expr::Agg(..) = e
                && !aggs.iter().any(|(x, _)| x == e)
            {
                let var = self.var(&format!("__v{}", aggs.len()));
                aggs.push((e.clone(), var));
            }
        };
        for c in columns {
            c.expr.visit(&mut found);
        }
        if let Some(h) = &q.having {
            h.visit(&mut found);
        }
        let mut inits = Vec::new();
        for (e, _) in &aggs {
            let Expr::Agg(a, arg) = e else { continue };
            if let Some(arg) = arg
                && arg.has_agg()
            {
                return Err(format!("an aggregate cannot hold another (`{}`)", e));
            }
            let v = arg.as_deref().map(|x| self.w.expr(x, scope)).transpose()?;
            let x = arg.as_deref().unwrap_or(e);
            inits.push(match (a, v) {
                (Agg::Count, None) => quote_spanned!(s=> #rt::sql::agg::count_star()),
                (Agg::Count, Some(v)) => quote_spanned!(s=> #rt::sql::agg::count(&#v)),
                (Agg::CountDistinct, Some(v)) => {
                    quote_spanned!(s=> #rt::sql::agg::count_distinct(#v))
                }
                (Agg::Sum, Some(v)) => self.w.unary_check("SUM", e, x, v, UnaryCheck::Sum),
                (Agg::Avg, Some(v)) => self.w.unary_check("AVG", e, x, v, UnaryCheck::Avg),
                (Agg::Min, Some(v)) => quote_spanned!(s=> #rt::sql::agg::min(#v)),
                (Agg::Max, Some(v)) => quote_spanned!(s=> #rt::sql::agg::max(#v)),
                (_, None) => return Err(format!("`{}` needs a column", e)),
            });
        }
        let aliases = aliases(columns);
        let w = self.var("__w");
        let grouped = Scope::Grouped {
            keys: &keys,
            aggs: &aggs,
            aliases: &aliases,
            window: window.is_some().then_some(&w),
        };
        let fields = self.fields(columns, &grouped)?;
        let having = match &q.having {
            Some(h) => {
                let h = self.w.condition(h, &grouped)?;
                quote_spanned!(s=> #rt::sql::holds(#h))
            }
            None => quote_spanned!(s=> true),
        };
        let (k, a) = (self.var("__k"), self.var("__a"));
        let key_vars = keys.iter().map(|(_, v)| v);
        let agg_vars = aggs.iter().map(|(_, v)| v);
        let output = quote_spanned! {s=>
            let (#(#agg_vars,)*) = #rt::sql::agg::finish(#a);
            if #having {
                ::core::option::Option::Some(#name { #(#fields),* })
            } else {
                ::core::option::Option::None
            }
        };
        if let Some(window) = window {
            stages.push(self.keyed_map(&keys, &inits, row, scope)?);
            let ms = |n: u64| self.millis(n);
            let emit = self.emit.map(|m| quote_spanned!(s=> emit #m));
            stages.push(match window {
                TimeWindow::Fixed { length, slide } => {
                    let (l, sl) = (ms(length), ms(slide));
                    self.stage(
                        "event_window",
                        quote_spanned!(s=> (#l, #sl) reduce_by_key(#rt::sql::agg::merge) #emit),
                    )
                }
                TimeWindow::Session { gap } => {
                    let g = ms(gap);
                    self.stage(
                        "session_window",
                        quote_spanned!(s=> (#g) reduce_by_key(#rt::sql::agg::merge) #emit),
                    )
                }
            });
            stages.push(self.stage(
                "flat_map",
                quote_spanned!(s=> |((#w, #k), #a)| { let (#(#key_vars,)*) = #k; #output }),
            ));
        } else if keys.is_empty() {
            stages.push(self.stage("map", quote_spanned!(s=> |#row| (#(#inits,)*))));
            let (t, b) = (self.var("__t"), self.var("__b"));
            stages.push(self.stage(
                "transform",
                quote_spanned!(s=> (|#t, #b| ::core::iter::once(#rt::sql::agg::fold_all(#b)))),
            ));
            stages.push(self.stage("flat_map", quote_spanned!(s=> |#a| { #output })));
        } else {
            stages.push(self.keyed_map(&keys, &inits, row, scope)?);
            stages.push(self.stage("reduce_by_key", quote_spanned!(s=> (#rt::sql::agg::merge))));
            // ORDER BY .. LIMIT n over groups, with nothing that drops rows after them
            // (HAVING, DISTINCT): the first n groups are picked from the (key,
            // accumulators) pairs, so rows are built for those alone.
            if let (Some(n), false, None, false) =
                (q.limit, q.order_by.is_empty(), &q.having, q.distinct)
            {
                let p = self.var("__p");
                let mut order = Vec::new();
                for key in &q.order_by {
                    let f = self.order_column(&key.expr, columns)?;
                    let Some(c) = columns.iter().find(|c| &c.field == f) else {
                        continue;
                    };
                    let v = self.w.expr(c.expr, &grouped)?;
                    order.push(self.sort_key(v, key, "sort_key_as_is"));
                }
                let key_vars = keys.iter().map(|(_, v)| v);
                let agg_vars = aggs.iter().map(|(_, v)| v);
                let mut n = Literal::usize_unsuffixed(n as usize);
                n.set_span(s);
                let (t, b) = (self.var("__t"), self.var("__b"));
                stages.push(self.stage(
                    "transform",
                    quote_spanned!(s=> (|#t, #b| #rt::sql::order::first(#b, #n, |#p| {
                        #[allow(unused_variables)]
                        let (#(#key_vars,)*) = ::core::clone::Clone::clone(&#p.0);
                        #[allow(unused_variables)]
                        let (#(#agg_vars,)*) = #rt::sql::agg::SqlAcc::result(&#p.1);
                        (#(#order,)*)
                    }))),
                ));
                let key_vars = keys.iter().map(|(_, v)| v);
                stages.push(self.stage(
                    "flat_map",
                    quote_spanned!(s=> |(#k, #a)| { let (#(#key_vars,)*) = #k; #output }),
                ));
                return Ok(true);
            }
            stages.push(self.stage(
                "flat_map",
                quote_spanned!(s=> |(#k, #a)| { let (#(#key_vars,)*) = #k; #output }),
            ));
            if q.distinct && !q.group_by.is_empty() {
                // SELECT DISTINCT over groups: two groups can give the same row, kept once
                // (DISTINCT was ignored here). The rows are grouped again by all their
                // columns, which must be groupable (as for DISTINCT without GROUP BY).
                let (d, u) = (self.var("__d"), self.var("__u"));
                let fields: Vec<&Ident> = columns.iter().map(|c| &c.field).collect();
                let idx = (0..columns.len()).map(|i| syn::Index {
                    index: i as u32,
                    span: s,
                });
                stages.push(self.stage(
                    "map",
                    quote_spanned!(s=> |#d| ((#(#rt::sql::agg::key(#d.#fields),)*), ())),
                ));
                stages
                    .push(self.stage("reduce_by_key", quote_spanned!(s=> (#rt::sql::agg::merge))));
                stages.push(self.stage(
                    "map",
                    quote_spanned!(s=> |(#u, ())| #name { #(#fields: #rt::sql::owned(#u.#idx)),* }),
                ));
            }
        }
        Ok(false)
    }

    /// The row struct's fields: each column's value in `scope`, owned.
    fn fields(
        &self,
        columns: &[Column<'_>],
        scope: &Scope<'_>,
    ) -> Result<Vec<TokenStream>, String> {
        let s = self.span;
        let rt = rt_at(s);
        columns
            .iter()
            .map(|c| {
                let (f, e) = (&c.field, self.w.expr(c.expr, scope)?);
                Ok(quote_spanned!(s=> #f: #rt::sql::owned(#e)))
            })
            .collect()
    }

    /// Whether no part of the key tuple `key` (of `n` `Option`s) is NULL: a key that has
    /// one meets nothing in a join, as in SQL. (With no parts, `true`: never `true && ..`,
    /// which clippy would lint in the user's code, the code carrying the query's span.)
    fn all_some(&self, key: &TokenStream, n: usize) -> TokenStream {
        let s = self.span;
        (0..n)
            .map(|i| {
                let i = syn::Index {
                    index: i as u32,
                    span: s,
                };
                quote_spanned!(s=> ::core::option::Option::is_some(&#key.#i))
            })
            .reduce(|a, b| quote_spanned!(s=> #a && #b))
            .unwrap_or_else(|| quote_spanned!(s=> true))
    }

    /// The `map` to `(key, accumulators)` that grouping starts with. A key that is the
    /// element itself (`FROM words AS w(word) .. GROUP BY word`) is taken by value
    /// (`elem_key`), so a stream of borrowed words keeps them borrowed, as the DSL's
    /// `reduce_by_key` does; other keys are owned (`key`). The accumulators are made first,
    /// while the row is whole.
    fn keyed_map(
        &self,
        keys: &[(Expr, Ident)],
        inits: &[TokenStream],
        row: &Ident,
        scope: &Scope<'_>,
    ) -> Result<TokenStream, String> {
        let s = self.span;
        let rt = rt_at(s);
        let key_values = keys
            .iter()
            .map(|(e, _)| {
                if self.is_whole_element(e, scope) {
                    return Ok(quote_spanned!(s=> #rt::sql::agg::elem_key(#row)));
                }
                let v = self.w.expr(e, scope)?;
                Ok(quote_spanned!(s=> #rt::sql::agg::key(#v)))
            })
            .collect::<Result<Vec<_>, String>>()?;
        let a = self.var("__i");
        Ok(self.stage(
            "map",
            quote_spanned!(s=> |#row| { let #a = (#(#inits,)*); ((#(#key_values,)*), #a) }),
        ))
    }

    /// Whether `e` is the whole element of the FROM stream: its one column named by
    /// `AS t(col)`.
    fn is_whole_element(&self, e: &Expr, scope: &Scope<'_>) -> bool {
        let (Scope::Row { from, .. }, Expr::Column(name)) = (scope, e) else {
            return false;
        };
        let column = match name.split_once('.') {
            Some((t, c)) if from.is_named(t) => c,
            Some(_) => return false,
            None => name,
        };
        matches!(&from.columns, Some(cols) if cols.len() == 1 && cols[0] == column)
    }

    /// An ORDER BY key of `value` in `key`'s direction, made by the runtime's `make`
    /// (`sort_key` owns the value, `sort_key_as_is` keeps it).
    fn sort_key(&self, value: TokenStream, key: &query::OrderKey, make: &str) -> TokenStream {
        let s = self.span;
        let rt = rt_at(s);
        let desc = key.descending;
        let nulls = match key.nulls_first {
            Some(true) => quote_spanned!(s=> ::core::option::Option::Some(true)),
            Some(false) => quote_spanned!(s=> ::core::option::Option::Some(false)),
            None => quote_spanned!(s=> ::core::option::Option::None),
        };
        let make = Ident::new(make, s);
        quote_spanned!(s=> #rt::sql::order::#make(#value, #desc, #nulls))
    }

    /// The output field an ORDER BY key names: an output column's label or field, the
    /// expression of one, or its position (`ORDER BY 2`).
    fn order_column<'c>(&self, e: &Expr, columns: &'c [Column<'_>]) -> Result<&'c Ident, String> {
        let found = match e {
            Expr::Int(n) => usize::try_from(*n)
                .ok()
                .and_then(|n| n.checked_sub(1))
                .and_then(|i| columns.get(i)),
            Expr::Column(name) => columns
                .iter()
                .find(|c| c.label == name || c.field == name.as_str())
                .or_else(|| columns.iter().find(|c| c.expr == e)),
            _ => columns.iter().find(|c| c.expr == e),
        };
        found.map(|c| &c.field).ok_or_else(|| {
            format!(
                "ORDER BY `{}`: order by the query's output columns (an alias, a selected column or expression, or a position)",
                e
            )
        })
    }

    /// The struct of the query's rows: one field per output column, each an `Option` (NULL
    /// is `None`), generic over the values' types so rustc infers them.
    fn row_struct(&self, name: &Ident, columns: &[Column<'_>]) -> TokenStream {
        let s = self.span;
        let rt = rt_at(s);
        let params: Vec<Ident> = (0..columns.len())
            .map(|i| format_ident!("T{}", i, span = s))
            .collect();
        let fields: Vec<&Ident> = columns.iter().map(|c| &c.field).collect();
        let labels: Vec<&str> = columns.iter().map(|c| c.label).collect();
        let first = fields.first().into_iter();
        let rest = fields.iter().skip(1);
        // For sinks writing to tables: the table's columns (a window fills two), and the
        // ones identifying a row.
        let mut db_columns = Vec::new();
        let mut key = Vec::new();
        for c in columns {
            let f = c.field.to_string();
            let names = if self.is_window(c.expr) {
                vec![format!("{f}_start"), format!("{f}_end")]
            } else {
                vec![f]
            };
            if self.is_key(c.expr) {
                key.extend(names.iter().cloned());
            }
            db_columns.extend(names);
        }
        let row_fields = &fields;
        // `save_to_kafka(..)`: a row is a record's value (`.json()` writes it as an object).
        let kafka = cfg!(feature = "kafka").then(|| {
            quote_spanned! {s=>
                impl<#(#params),*> #rt::KafkaElement for #name<#(#params),*> {
                    type Key = ();
                    type Value = Self;
                    fn key(&self) -> ::core::option::Option<&()> {
                        ::core::option::Option::None
                    }
                    fn value(&self) -> &Self {
                        self
                    }
                }
            }
        });
        quote_spanned! {s=>
            #kafka

            impl<#(#params: #rt::sink::postgres::SqlParam),*> #rt::sink::postgres::SqlRow for #name<#(#params),*> {
                const DB_COLUMNS: &'static [&'static str] = &[#(#db_columns),*];
                const KEY: &'static [&'static str] = &[#(#key),*];
                fn db_values(&self, __out: &mut ::std::vec::Vec<::core::option::Option<::std::string::String>>) {
                    #(#rt::sink::postgres::SqlParam::push_params(&self.#row_fields, __out);)*
                }
            }

            /// A row of the query's result.
            // Deserialize too: a stage that keeps rows across batches (a time-range JOIN's
            // other side) checkpoints them.
            #[derive(::core::fmt::Debug, ::core::clone::Clone, ::core::cmp::PartialEq, ::streaming::__private::serde::Serialize, ::streaming::__private::serde::Deserialize)]
            #[serde(crate = "::streaming::__private::serde")]
            #[allow(non_camel_case_types)]
            pub struct #name<#(#params),*> {
                #(pub #fields: ::core::option::Option<#params>,)*
            }

            // `sql(..) |> collect(out)`: the row's fields are owned SQL values already, so
            // `collect` stores the row as it is (without this, collecting a query's rows
            // did not compile).
            impl<#(#params: ::core::marker::Send + 'static),*> #rt::IntoOwned for #name<#(#params),*> {
                type Owned = Self;
                #[inline]
                fn into_owned(self) -> Self {
                    self
                }
            }

            impl<#(#params: #rt::SparkDisplay),*> #rt::SparkDisplay for #name<#(#params),*> {
                const COLUMNS: ::core::option::Option<&'static [&'static str]> =
                    ::core::option::Option::Some(&[#(#labels),*]);
                fn fmt_spark(&self, __f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                    // Spark's `Row.toString`: `[a,1]`.
                    __f.write_str("[")?;
                    #(__f.write_str(&#rt::sql::table::cell(&self.#first))?;)*
                    #(__f.write_str(",")?; __f.write_str(&#rt::sql::table::cell(&self.#rest))?;)*
                    __f.write_str("]")
                }
                fn cells(&self, __out: &mut ::std::vec::Vec<::std::string::String>) {
                    #(__out.push(#rt::sql::table::cell(&self.#fields));)*
                }
            }
        }
    }

    /// A JOIN: the other stream keyed by its ON columns in a statement of its own (`Some`),
    /// or a static table's rows keyed in the join's `table(..)` (`None`), and this one keyed
    /// and joined with it (`join` or `left_outer_join`: elements `(key, (left, right))`). Rows whose key has a NULL never match, as in SQL: the other
    /// side drops them; a left join keeps this side's with a NULL right side.
    fn join(
        &self,
        j: &query::Join,
        right: &FromShape,
        row: &Ident,
        stages: &mut Vec<TokenStream>,
    ) -> Result<Option<Extra>, String> {
        let s = self.span;
        let rt = rt_at(s);
        let (left_scope, right_scope) = (
            Scope::Row {
                row,
                from: &self.shape,
            },
            Scope::Row { row, from: right },
        );
        let mut left_keys = Vec::new();
        let mut right_keys = Vec::new();
        if j.on.is_empty() {
            return Err("a JOIN needs ON with at least one equality".into());
        }
        for (a, b) in &j.on {
            // Each side of an equality must read one stream; either may be written first.
            let (l, r) = match (self.w.expr(a, &left_scope), self.w.expr(b, &right_scope)) {
                (Ok(l), Ok(r)) if !self.reads(a, right) && !self.reads(b, &self.shape) => (l, r),
                _ => match (self.w.expr(b, &left_scope), self.w.expr(a, &right_scope)) {
                    (Ok(l), Ok(r)) => (l, r),
                    (Err(e), _) | (_, Err(e)) => {
                        return Err(format!(
                            "ON: each equality compares a column of `{}` with one of `{}` ({e})",
                            self.shape.name, right.name
                        ));
                    }
                },
            };
            left_keys.push(quote_spanned!(s=> #rt::sql::agg::key(#l)));
            right_keys.push(quote_spanned!(s=> #rt::sql::agg::key(#r)));
        }
        let p = self.var("__p");
        let keyed = |keys: &[TokenStream]| quote_spanned!(s=> |#row| ((#(#keys,)*), #row));
        let all_some = self.all_some(&quote_spanned!(s=> #p.0), j.on.len());
        let not_null = quote_spanned!(s=> |#p| #all_some);
        let range = self.time_range(j, right)?;
        let op = match (&range, j.left_outer) {
            (Some(_), _) => "interval_join",
            (None, true) => "left_outer_join",
            (None, false) => "join",
        };
        stages.push(self.stage("map", keyed(&left_keys)));
        if !j.left_outer {
            stages.push(self.stage("filter", not_null.clone()));
        }
        // A static table: its rows keyed the same way, indexed once by `join(table(..))`.
        if let Some(table) = self.right_table {
            let keyed = keyed(&right_keys);
            let rows = quote_spanned! {s=>
                ::core::iter::Iterator::filter(
                    ::core::iter::Iterator::map(::core::iter::IntoIterator::into_iter(#table), #keyed),
                    #not_null,
                )
            };
            stages.push(self.stage(op, quote_spanned!(s=> (table(#rows)))));
            return Ok(None);
        }
        let other = format_ident!("__sql{}_right", self.n, span = s);
        let right_stages = vec![
            self.stage("map", keyed(&right_keys)),
            self.stage("filter", not_null),
        ];
        stages.push(match range {
            // Across batches: the other side at its time column's value.
            Some(TimeRange {
                lower,
                upper,
                other_time,
            }) => {
                let ms = |n: i64| {
                    let l = self.millis(n.unsigned_abs());
                    if n < 0 {
                        quote_spanned!(s=> - #l)
                    } else {
                        quote_spanned!(s=> #l)
                    }
                };
                let (lower, upper) = (ms(lower), ms(upper));
                let time = self.w.expr(&Expr::Column(other_time), &right_scope)?;
                self.stage(
                    op,
                    quote_spanned!(s=> (#other, #lower, #upper) time(|#row| #time)),
                )
            }
            None => self.stage(op, quote_spanned!(s=> (#other))),
        });
        Ok(Some((
            other,
            Ident::new(&right.stream, s),
            right_stages.into_iter().filter_map(split_stage).collect(),
        )))
    }

    /// ON's time range, `l.t >= r.u - INTERVAL '10' SECOND AND l.t < r.u` (or BETWEEN), as
    /// the bounds of `r.u − l.t` in milliseconds and the column `r.u` (`None`: no range, a
    /// join per batch). This side's time is its event time (its `event_time` stamp), as
    /// for `GROUP BY window(t, ..)`; the other's is its column's value, which must be when
    /// its rows come (a window's end for a windowed GROUP BY's results).
    fn time_range(&self, j: &query::Join, right: &FromShape) -> Result<Option<TimeRange>, String> {
        if j.range.is_empty() {
            return Ok(None);
        }
        const USAGE: &str = "write this stream's time column against the other's, give or take an interval, `ON a.k = b.k AND a.t >= b.t - INTERVAL '10' SECOND AND a.t < b.t` (or `a.t BETWEEN .. AND ..`)";
        if j.left_outer {
            return Err(format!(
                "a LEFT JOIN with a time range is not in the subset yet, an inner JOIN is: {USAGE}"
            ));
        }
        if self.right_table.is_some() {
            return Err(format!(
                "a time range joins two streams, and `{}` is a table: drop the range to join the table every batch",
                right.stream
            ));
        }
        // `column` or `column ± INTERVAL ..` of the other stream: (column, milliseconds).
        let other_time = |e: &Expr| -> Option<(String, i64)> {
            let (c, offset) = match e {
                Expr::Column(c) => (c, 0),
                Expr::Binary(c, op @ (BinOp::Add | BinOp::Sub), i) => {
                    let (Expr::Column(c), Expr::Str(text)) = (&**c, &**i) else {
                        return None;
                    };
                    let ms = i64::try_from(query::duration_ms(text)?).ok()?;
                    (c, if *op == BinOp::Sub { -ms } else { ms })
                }
                _ => return None,
            };
            self.reads(&Expr::Column(c.clone()), right)
                .then(|| (c.clone(), offset))
        };
        let this_time = |e: &Expr| match e {
            Expr::Column(c) if !self.reads(e, right) => Some(c.clone()),
            _ => None,
        };
        let (mut lower, mut upper) = (None::<i64>, None::<i64>);
        let mut columns: Option<(String, String)> = None;
        for (a, op, b) in &j.range {
            // As `this.t OP other.u + c`.
            let (t, op, (u, c)) = match (this_time(a), other_time(b), this_time(b), other_time(a)) {
                (Some(t), Some(u), ..) => (t, *op, u),
                (.., Some(t), Some(u)) => (
                    t,
                    match op {
                        BinOp::Lt => BinOp::Gt,
                        BinOp::Le => BinOp::Ge,
                        BinOp::Gt => BinOp::Lt,
                        _ => BinOp::Le,
                    },
                    u,
                ),
                _ => return Err(format!("`{a} {} {b}`: {USAGE}", op_text(*op))),
            };
            match &columns {
                Some((t0, u0)) if *t0 != t || *u0 != u => {
                    return Err(format!(
                        "a JOIN's time range reads one time column of each stream (`{t0}` and `{u0}`), not `{t}` and `{u}`"
                    ));
                }
                _ => columns = Some((t, u)),
            }
            // On d = u − t: t ≥ u + c is d ≤ −c; t > u + c is d ≤ −c − 1 (milliseconds);
            // t ≤ u + c is d ≥ −c; t < u + c is d ≥ −c + 1.
            // Several bounds on one side: the tightest holds.
            match op {
                BinOp::Ge => upper = Some(upper.map_or(-c, |x| x.min(-c))),
                BinOp::Gt => upper = Some(upper.map_or(-c - 1, |x| x.min(-c - 1))),
                BinOp::Le => lower = Some(lower.map_or(-c, |x| x.max(-c))),
                _ => lower = Some(lower.map_or(-c + 1, |x| x.max(-c + 1))),
            }
        }
        let (Some(lower), Some(upper), Some((_, u))) = (lower, upper, columns) else {
            return Err(format!(
                "a JOIN's time range needs a bound on each side, so that each stream's rows can be freed once the watermark passes them: {USAGE}"
            ));
        };
        if lower > upper {
            return Err("the JOIN's time range is empty: no rows could ever meet".into());
        }
        Ok(Some(TimeRange {
            lower,
            upper,
            other_time: u,
        }))
    }

    /// Whether `e` reads a column qualified with `shape`'s name.
    fn reads(&self, e: &Expr, shape: &FromShape) -> bool {
        let mut found = false;
        e.visit(&mut |x| {
            if let Expr::Column(c) = x
                && let Some((t, _)) = c.split_once('.')
            {
                found |= shape.is_named(t);
            }
        });
        found
    }

    /// Whether an output column's expression is the GROUP BY's event-time window.
    fn is_window(&self, e: &Expr) -> bool {
        let grouped_by_window = self
            .q
            .group_by
            .iter()
            .any(|g| matches!(g, Expr::TimeWindow(_)));
        grouped_by_window
            && (matches!(e, Expr::TimeWindow(_))
                || matches!(e, Expr::Column(c) if c == "window" || c == "session_window"))
    }

    /// Whether an output column identifies its row: a GROUP BY key (or the window), or
    /// any column of a SELECT DISTINCT.
    fn is_key(&self, e: &Expr) -> bool {
        let q = self.q;
        (q.distinct && q.group_by.is_empty()) || self.is_window(e) || q.group_by.contains(e)
    }

    /// A duration literal of `n` milliseconds, as the DSL's stages read one (`500ms`).
    fn millis(&self, n: u64) -> Literal {
        let mut l: Literal = format!("{n}ms")
            .parse()
            .unwrap_or_else(|_| Literal::u64_unsuffixed(n));
        l.set_span(self.span);
        l
    }

    /// A stage as the DSL would spell it: its name and its argument tokens.
    fn stage(&self, name: &str, args: TokenStream) -> TokenStream {
        let name = Ident::new(name, self.span);
        quote_spanned!(self.span=> #name #args)
    }
}

/// A JOIN's time range: `other_time − this side's time` within `lower ..= upper`
/// milliseconds.
struct TimeRange {
    lower: i64,
    upper: i64,
    /// The other stream's time column, as ON names it (`m.endtime`).
    other_time: String,
}

/// Each output column's label and expression: what an alias in HAVING (or a query's
/// column read after grouping) stands for.
fn aliases(columns: &[Column<'_>]) -> Vec<(String, Expr)> {
    columns
        .iter()
        .map(|c| (c.label.to_owned(), c.expr.clone()))
        .collect()
}

/// A comparison's operator as SQL writes it.
fn op_text(op: BinOp) -> &'static str {
    match op {
        BinOp::Lt => "<",
        BinOp::Le => "<=",
        BinOp::Gt => ">",
        _ => ">=",
    }
}

/// A field name from an expression's text (`count(*)` → `count`, `sum(x)` → `sum_x`).
fn sanitize(label: &str) -> Option<String> {
    let mut out = String::new();
    for c in label.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') && !out.is_empty() {
            out.push('_');
        }
    }
    let out = out.trim_end_matches('_').to_owned();
    let ok =
        out.starts_with(|c: char| c.is_ascii_alphabetic()) && syn::parse_str::<Ident>(&out).is_ok();
    ok.then_some(out)
}

/// Splits a stage's tokens into its name and arguments, for the operators' parsers.
fn split_stage(stage: TokenStream) -> Option<(Ident, Vec<TokenTree>)> {
    let mut tokens = stage.into_iter();
    match tokens.next()? {
        TokenTree::Ident(name) => Some((name, tokens.collect())),
        _ => None,
    }
}
